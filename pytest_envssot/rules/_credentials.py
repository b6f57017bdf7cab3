"""Is a hard-coded value a credential? Judged by the value first, the name second.

A name holding KEY or TOKEN says little: ``TOKEN_ALGORITHM`` holds ``HS256``,
``COOKIE_REFRESH_TOKEN_KEY`` a cookie name, ``LLM_KEY`` a model key. A value is a credential
when it looks like one (a token shape, entropy: :func:`secretscan.scan`), or when the name
says the value *is* the secret (``SECRET_KEY``, ``DB_PASSWORD``) and the value is neither a
name-like thing (identifier, path, header, algorithm), a dev placeholder, nor public by design.
"""

from __future__ import annotations

import re

# Words that make a name describe *something about* a secret, not the secret itself.
_DESCRIPTOR_WORDS = frozenset(
    {"ALGORITHM", "ALGORITHMS", "ALG", "PREFIX", "SUFFIX", "PATH", "PATHS", "PATTERN", "URL",
     "URI", "HEADER", "COOKIE", "NAME", "TYPE", "TOKENS", "TOKENIZER", "DIR", "DIRECTORY",
     "FILE", "MODEL", "LLM", "PARAMETER", "PARAM", "EXPIRE", "EXPIRES", "EXPIRY", "TTL",
     "LENGTH", "SIZE", "TIMEOUT", "LIMIT", "MAX", "MIN", "COUNT", "BUDGET", "ENDPOINT", "HOST",
     "PORT", "REGION", "BUCKET", "VERSION", "PROVIDER", "ID", "FIELD", "QUERY", "HASHERS",
     "ENABLED", "LOCATION", "RESERVED", "SCHEME", "MODE", "STRATEGY", "FORMAT"}
)  # fmt: skip
_CREDENTIAL_WORDS = frozenset(
    {"SECRET", "PASSWORD", "PASSWD", "PWD", "PASS", "TOKEN", "CREDENTIAL", "CREDENTIALS",
     "APIKEY", "PASSPHRASE", "SALT", "PEPPER"}
)  # fmt: skip
# KEY is a credential only after one of these (SECRET_KEY, API_KEY, ENCRYPTION_LOCAL_KEY).
_KEY_QUALIFIERS = frozenset(
    {"SECRET", "API", "PRIVATE", "ACCESS", "ENCRYPTION", "SIGNING", "MASTER", "AES", "HMAC",
     "JWT", "FERNET", "CRYPTO", "CIPHER", "SESSION", "WEBHOOK", "AUTH", "SERVICE", "LICENSE"}
)  # fmt: skip
_PASSWORD_WORDS = frozenset({"PASSWORD", "PASSWD", "PWD", "PASS"})

# Widely known weak passwords: a credential, not a placeholder, when a password var holds one.
WEAK_PASSWORDS = frozenset(
    {"changeme", "change_me", "change-me", "admin", "secret", "password", "123456",
     "12345678", "qwerty", "letmein", "root", "pass"}
)  # fmt: skip

# Words that say "fill me in" or "only for development": dev_secret_key_change_in_prod,
# fillmein, DummyKey, super secret jwt secret, minio_local_secret, polar123456789.
_DEV_PLACEHOLDER = re.compile(
    r"(?i)(?:^|[^a-z])(?:dev|devel|development|local|localdev|test|testing|example|sample|"
    r"dummy|fake|mock|placeholder|insecure|unsafe|notsecret|not[-_ ]secret|todo)(?:$|[^a-z])|"
    r"change[-_ ]?(?:me|it|this|in[-_ ]prod)|fill[-_ ]?me|dummy|super[-_ ]?secret|"
    r"replace[-_ ]?me|123456"
)
# Keys that are public by design (shipped to browsers): PostHog project keys, Stripe
# publishable keys.
_PUBLISHABLE = re.compile(r"(?:phc_|pk_(?:live|test)_)[A-Za-z0-9]+")

_HEADER = re.compile(r"(?i)x-[a-z0-9-]+|authorization|cookie|set-cookie")
_ALGORITHM = re.compile(
    r"(?i)(?:hs|rs|es|ps)(?:256|384|512)|eddsa|bcrypt|argon2(?:id|i|d)?|scrypt|pbkdf2[_a-z0-9]*|"
    r"sha(?:1|224|256|384|512)|md5|aes[-_]?\d*[-_a-z]*|hmac[-_a-z0-9]*"
)
_NAMESPACE = re.compile(r"[A-Za-z0-9_.{}-]+(?::[A-Za-z0-9_.{}-]*)+")  # app:token, fba:refresh:


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^A-Z0-9]+", name.upper()) if w]


def credential_named(name: str) -> bool:
    """The name says its value *is* a secret (``SECRET_KEY``, ``DB_PASSWORD``, ``API_TOKEN``)."""
    words = _words(name)
    if any(w in _DESCRIPTOR_WORDS for w in words):
        return False
    if any(w in _CREDENTIAL_WORDS for w in words):
        return True
    return any(w == "KEY" and i and words[i - 1] in _KEY_QUALIFIERS for i, w in enumerate(words))


def password_named(name: str) -> bool:
    return any(w in _PASSWORD_WORDS for w in _words(name))


def weak_password(name: str, value: str) -> bool:
    """A well-known weak password in a password var: a credential, however guessable."""
    return password_named(name) and value.strip().lower() in WEAK_PASSWORDS


def exempt(value: str) -> str | None:
    """Why ``value`` is no credential even when it looks random: a collection literal
    (``["bcrypt"]``, a dict of reserved words) or a key public by design (``phc_…``)."""
    text = value.strip()
    if text.startswith(("[", "{", "(")):
        return "a collection, not a credential"
    if _PUBLISHABLE.fullmatch(text):
        return "a key that is public by design (shipped to browsers)"
    return None


def not_a_credential(value: str) -> str | None:
    """Why a plain-looking ``value`` is something other than a credential (a path, a
    header, an algorithm, a key prefix), or None. Asked after the entropy scan, so a token
    hiding in a path still counts."""
    text = value.strip()
    if text.startswith(("/", "./", "../", "~/")):
        return "a path"
    if _HEADER.fullmatch(text):
        return "a header name"
    if _ALGORITHM.fullmatch(text):
        return "an algorithm name"
    if _NAMESPACE.fullmatch(text):
        return "a key prefix"
    return None


def dev_placeholder(value: str) -> bool:
    """A default that says it is for development or to be replaced."""
    return bool(_DEV_PLACEHOLDER.search(value))
