"""Which services the settings describe: found from field types and names, or configured.

PostgreSQL: a ``PostgresDsn`` field or ``DATABASE_URL``-like name; Redis: ``RedisDsn`` or
``REDIS_URL``; S3: ``<P>ENDPOINT`` with ``<P>ACCESS_KEY``, ``<P>SECRET_KEY`` and ``<P>BUCKET``
beside it; an AI API: ``<P>_API_KEY`` of a known provider (or with a ``<P>_BASE_URL`` beside
it). ``[tool.envssot.smoke.<kind>]`` replaces what it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_envssot.index import FieldRef, Index
from pytest_envssot.model import Location
from pytest_envssot.smoke.config import KINDS, ROLES, SmokeConfig

_POSTGRES_NAME = re.compile(
    r"^(?:\w+_)?(?:DATABASE_(?:URL|DSN)|POSTGRES(?:QL)?_(?:URL|DSN)|PG_(?:URL|DSN))$"
)
_REDIS_NAME = re.compile(r"^(?:\w+_)?REDIS_(?:URL|DSN)$")
_S3_ENDPOINT = re.compile(r"^(?P<prefix>(?:\w+_)?(?:S3|MINIO)_)ENDPOINT(?:_URL)?$")
_S3_SIBLINGS = {
    "access_key": ("ACCESS_KEY", "ACCESS_KEY_ID"),
    "secret_key": ("SECRET_KEY", "SECRET_ACCESS_KEY"),
    "bucket": ("BUCKET", "BUCKET_NAME"),
    "region": ("REGION",),
}
_API_KEY = re.compile(r"^(?P<prefix>\w+)_API_KEY$")
_BASE_URL_SUFFIXES = ("_BASE_URL", "_API_BASE", "_API_BASE_URL", "_API_URL", "_URL")
# Providers whose documented API base serves GET /models with a bearer key.
KNOWN_AI_BASES = {
    "OPENROUTER": "https://openrouter.ai/api/v1",
    "OPENAI": "https://api.openai.com/v1",
    "GROQ": "https://api.groq.com/openai/v1",
    "MISTRAL": "https://api.mistral.ai/v1",
    "TOGETHER": "https://api.together.xyz/v1",
    "XAI": "https://api.x.ai/v1",
}
# An unknown prefix counts as an AI API only with a base URL beside it and one of these words.
_AI_HINT = re.compile(r"(?:^|_)(?:AI|LLM|GPT|MODEL|MODELS|INFERENCE)(?:_|$)")


@dataclass(frozen=True)
class Service:
    """One service to smoke-check: its kind, variables per role, and where the settings say so."""

    kind: str
    roles: tuple[tuple[str, str], ...]  # role -> variable name, or a literal URL
    location: Location

    def var(self, role: str) -> str | None:
        return next((v for r, v in self.roles if r == role), None)

    @property
    def variable(self) -> str:
        """The variable the item is named after (``smoke-postgres[DATABASE_URL]``)."""
        names = [v for r in ROLES[self.kind] if (v := self.var(r)) and "://" not in v]
        return names[0] if names else self.kind

    @property
    def rule(self) -> str:
        return f"smoke-{self.kind}"


def _field_names(index: Index) -> dict[str, FieldRef]:
    out: dict[str, FieldRef] = {}
    for ref in index.distinct_fields():
        out.setdefault(ref.primary.upper(), ref)
    return out


def _is(ref: FieldRef, type_name: str) -> bool:
    return re.search(rf"\b{type_name}\b", ref.field.annotation) is not None


def discover(index: Index) -> list[Service]:
    """Every service the settings describe, in field order."""
    fields = _field_names(index)
    found: list[Service] = []
    for name, ref in fields.items():
        where = ref.field.location
        if _is(ref, "PostgresDsn") or (_POSTGRES_NAME.match(name) and not _is(ref, "RedisDsn")):
            found.append(Service("postgres", (("url", name),), where))
        elif _is(ref, "RedisDsn") or _REDIS_NAME.match(name):
            found.append(Service("redis", (("url", name),), where))
        elif (s3 := _S3_ENDPOINT.match(name)) is not None:
            roles = [("endpoint", name)]
            for role, suffixes in _S3_SIBLINGS.items():
                sibling = next(
                    (s3["prefix"] + s for s in suffixes if s3["prefix"] + s in fields), None
                )
                if sibling:
                    roles.append((role, sibling))
            if {"access_key", "secret_key", "bucket"} <= {r for r, _ in roles}:
                found.append(Service("s3", tuple(roles), where))
        elif (key := _API_KEY.match(name)) is not None:
            prefix = key["prefix"]
            base = next((prefix + s for s in _BASE_URL_SUFFIXES if prefix + s in fields), None)
            if base is None and prefix in KNOWN_AI_BASES:
                base = KNOWN_AI_BASES[prefix]
            elif base is None or not (prefix in KNOWN_AI_BASES or _AI_HINT.search(prefix)):
                continue
            found.append(Service("ai", (("key", name), ("base_url", base)), where))
    return found


def plan(index: Index, config: SmokeConfig) -> list[Service]:
    """Discovered services with ``[tool.envssot.smoke.<kind>]`` applied, kind by kind."""
    discovered = discover(index)
    fields = _field_names(index)
    out: list[Service] = []
    for kind in KINDS:
        own = config.kind(kind)
        if not own.enabled:
            continue
        services = [s for s in discovered if s.kind == kind]
        if own.roles and kind in ("postgres", "redis"):
            services = [
                Service(kind, (("url", name),), _location(name, fields))
                for name in own.role("url") or ()
            ]
        elif own.roles:
            base = dict(services[0].roles) if services else {}
            base.update({role: names[0] for role, names in own.roles})
            roles = tuple((r, base[r]) for r in ROLES[kind] if r in base)
            first = next((v for _, v in roles if "://" not in v), "")
            where = services[0].location if services else _location(first, fields)
            services = [Service(kind, roles, where)]
        out.extend(s for s in services if s not in out)  # one item per id
    return out


def _location(name: str, fields: dict[str, FieldRef]) -> Location:
    ref = fields.get(name.upper())
    return ref.field.location if ref is not None else Location("pyproject.toml")
