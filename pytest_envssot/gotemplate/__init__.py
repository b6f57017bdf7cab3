"""The Go text/template language: tree, lexer, parser, executor, fmt verbs."""
