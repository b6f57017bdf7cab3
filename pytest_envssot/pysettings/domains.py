"""Value domains a user may declare for what Vault really holds (``[tool.envssot.domains]``).

A domain is a name from :data:`DOMAINS` or ``"regex:<pattern>"`` (full match). It narrows
the strings the round trip draws for a variable: e.g. keys rotated with
``secrets.token_urlsafe`` only ever hold ``[A-Za-z0-9_-]``.
"""

from __future__ import annotations

import re

DOMAINS: dict[str, str] = {
    "token_urlsafe": r"[A-Za-z0-9_-]{1,86}",  # secrets.token_urlsafe(n), n <= 64
    "token_hex": r"[0-9a-f]{2,128}",  # secrets.token_hex(n), n <= 64
    "alnum": r"[A-Za-z0-9]{1,64}",
    "ascii_printable": r"[ -~]{1,64}",
    "url": "",  # http(s) URLs built from ASCII-safe parts
    "any": "",  # every string: what a plain str is drawn from without a domain
}


def domain_error(domain: str) -> str | None:
    """Why a configured domain is unusable, or None."""
    if domain.startswith("regex:"):
        try:
            re.compile(domain[6:])
        except re.error as exc:
            return f"invalid regex {domain[6:]!r}: {exc}"
        return None
    if domain not in DOMAINS:
        return f"unknown domain {domain!r} (known: {', '.join(DOMAINS)}, or regex:PATTERN)"
    return None


def domain_accepts(domain: str | None, value: str) -> bool:
    """Whether ``value`` belongs to ``domain`` (None and ``any`` hold every string).

    The ``url`` domain is built part by part, so no single hazard is claimed to belong to it.
    """
    if domain is None or domain == "any":
        return True
    pattern = domain[6:] if domain.startswith("regex:") else DOMAINS.get(domain, "")
    if not pattern:
        return False
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False
