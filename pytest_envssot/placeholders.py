"""Values that stand in for a real one: empty, ``changeme``, ``<...>``, ``your-...``, ``xxx``.

Narrower than :func:`is_placeholder`, which also counts ``none`` or
``example`` (harmless in a documentation file, legitimate values in production). Here a
match means "somebody forgot to fill this in", in Vault or in a frontend build. The
description names the kind of placeholder, never the value.
"""

from __future__ import annotations

import re

_WHOLE = re.compile(
    r"(?i)^(?:change[-_ ]?me|change[-_ ]?it|placeholder|todo|tbd|fixme|dummy|replace[-_ ]?me|"
    r"x{3,}|\*{3,}|\.{3}|…|undefined)$"
)
# Inside a longer value (a URL): https://<your-domain>, https://your-api.example.com, ${API_URL}.
_INSIDE = re.compile(
    r"(?i)<[a-z][a-z0-9_ -]{2,59}>|(?<![a-z0-9])your[-_][a-z0-9]|change[-_]?me|\$\{[^}]*\}|"
    r"(?<![a-z0-9])x{3,}(?![a-z0-9])"
)


def placeholder_kind(value: str) -> str | None:
    """Why ``value`` is no real value (``"empty"``, ``"whitespace only"``, ``"a placeholder"``),
    or None for a value that looks filled in."""
    if value == "":
        return "empty"
    if not value.strip():
        return "whitespace only"
    if _WHOLE.match(value.strip()) or _INSIDE.search(value):
        return "a placeholder (changeme, <...>, your-..., xxx, TODO, ${...})"
    return None


_BLANK_OR_STANDIN = re.compile(
    r"(?i)^(?:|changeme|change-me|change_me|changeit|placeholder|todo|tbd|example|dummy|none|null|"
    r"secret|password|x+|\*+|<[^<>]*>|\$\{[^}]*\}|your[-_].*[-_]here|replace[-_]?me)$"
)


# Credentials every local docker-compose uses; they protect nothing and appear in paths and names.
LOCAL_DEFAULTS = frozenset(
    {"postgres", "minioadmin", "minio", "admin", "root", "guest", "redis", "test", "dev", "local",
     "localhost", "user", "app", "secret", "password"}
)  # fmt: skip


def is_placeholder(value: str) -> bool:
    """Obviously not a real value: empty, ``changeme``, ``<...>``, ``xxx``, ``your-key-here``."""
    return bool(_BLANK_OR_STANDIN.match(value.strip()))


def is_local_default(value: str) -> bool:
    return value.strip().lower() in LOCAL_DEFAULTS
