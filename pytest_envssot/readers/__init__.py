"""Layer readers: each turns one file into model objects and never raises.

Every reader offers ``parse_*(text, rel) -> *File`` (pure) and ``read_*(path, rel) -> *File``
(reads bytes, decodes, delegates). Problems become ``*File.error`` with ``path:line``.
"""
