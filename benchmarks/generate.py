"""Generate a realistic, fully consistent repository for benchmarking envssot.

The repository has the shape of ``examples/sample_repo``: ``pyproject.toml``, one
pydantic-settings file per service, ``.env.example``, Vault templates and a frontend
Dockerfile. Every layer agrees with every other, so ``envssot check`` reports no failure.

``n_vars`` is the number of distinct keys in ``.env.example``; they are split into

* external variables (``POSTGRES_*``, rendered by an extra ``01.postgres`` template and
  listed under ``[tool.envssot] external``; only when ``n_vars >= 20``),
* frontend build arguments (``NEXT_PUBLIC_*``, declared as Dockerfile ``ARG``),
* settings fields, spread over ``services`` settings files; each file holds a base class, a
  settings class inheriting from it, and a nested ``BaseModel`` read through
  ``env_nested_delimiter="__"``.

Required ``SecretStr`` fields are always rendered by a template; about a third of the other
fields are too. Rendered variables, and only those, carry ``[VAULT]`` in ``.env.example``.
``templates`` application templates share the rendered variables in contiguous chunks.

``--monorepo`` adds ``env_prefix`` per service and ``AliasChoices`` aliases; the monorepo
benchmark uses it with 50 services and 100 templates.

Usage: ``python -m benchmarks.generate OUT --vars N [--services S] [--templates T] [--seed X]
[--monorepo]``
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = "bench_app"
EXTERNAL = ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB")
SERVICE_NAMES = ("backend", "worker", "billing", "notifier", "search", "scheduler", "gateway")
COMPONENTS = ("app", "worker", "billing", "notifier", "search", "scheduler", "gateway", "jobs")
GROUPS = (
    "DATABASE", "REDIS", "S3", "SMTP_RELAY", "AUTH", "OAUTH", "PAYMENTS", "STRIPE", "SENTRY",
    "OTEL", "CACHE", "QUEUE", "KAFKA", "SEARCH", "ELASTIC", "FEATURE", "BILLING", "INVOICE",
    "CRM", "ANALYTICS", "GEO", "CDN", "WEBHOOK", "AUDIT", "EXPORT", "REPORTS", "LEDGER", "FX",
)  # fmt: skip
# suffix -> kind; the kind decides the annotation, the default and the example value.
SUFFIXES = (
    ("URL", "url"),
    ("HOST", "str"),
    ("PORT", "int"),
    ("TIMEOUT_SECONDS", "float"),
    ("MAX_RETRIES", "int"),
    ("ENABLED", "bool"),
    ("API_KEY", "secret"),
    ("PASSWORD", "secret"),
    ("ACCESS_TOKEN", "secret"),
    ("ALLOWED_ORIGINS", "list"),
    ("LOG_LEVEL", "literal"),
    ("REGION", "optional"),
    ("BATCH_SIZE", "int"),
    ("BUCKET", "str"),
)
NESTED_FIELDS = (
    ("host", "str", '"localhost"'),
    ("port", "int", "587"),
    ("use_tls", "bool", "True"),
)


@dataclass
class Var:
    """One environment variable as every layer sees it."""

    name: str
    kind: str
    description: str
    example: str  # the value written to .env.example
    field_source: str = ""  # the class-body line(s) of the settings field, empty if not a field
    rendered: bool = False
    commented_out: bool = False  # documented as `# NAME=value` (optional fields)


@dataclass
class Service:
    name: str
    prefix: str = ""  # env_prefix of its settings classes (monorepo mode)
    vars: list[Var] = field(default_factory=list)
    nested: list[Var] = field(default_factory=list)  # <NESTED>__<FIELD> variables


def _names(count: int, rng: random.Random, taken: set[str]) -> list[tuple[str, str]]:
    """``count`` unique (NAME, kind) pairs that read like real configuration."""
    out: list[tuple[str, str]] = []
    round_ = 0
    while len(out) < count:
        for group in rng.sample(GROUPS, len(GROUPS)):
            for suffix, kind in rng.sample(SUFFIXES, len(SUFFIXES)):
                prefix = group if round_ == 0 else f"{group}{round_ + 1}"
                name = f"{prefix}_{suffix}"
                if name in taken:
                    continue
                taken.add(name)
                out.append((name, kind))
                if len(out) == count:
                    return out
        round_ += 1
    return out


def _describe(name: str, kind: str) -> str:
    words = name.replace("_", " ").lower()
    return {
        "secret": f"{words} (from Vault in production)",
        "bool": f"turn {words.removesuffix(' enabled')} on or off",
        "list": f"{words} (JSON list)",
        "optional": f"{words}; unset means the provider default",
    }.get(kind, words)


def _settings_var(
    name: str, kind: str, i: int, rng: random.Random, prefix: str = "", choices: bool = False
) -> Var:
    """A settings field in one of several styles, plus its example value.

    ``prefix``: the class's ``env_prefix``; ``name`` starts with it and fields without an alias
    are named without it. ``choices``: some aliases are ``AliasChoices(NAME, LEGACY_NAME)``.
    """
    attr = name.removeprefix(prefix).lower()
    desc = _describe(name, kind)
    style = rng.randrange(3)
    alias = f'validation_alias="{name}"'
    if choices and rng.random() < 0.5:
        alias = f'validation_alias=AliasChoices("{name}", "LEGACY_{name}")'

    def field_call(default: str, extra: str = "") -> str:
        return (
            f"    {attr}: {{ann}} = Field(\n        default={default},{extra}\n"
            f'        {alias},\n        description="{desc}",\n    )'
        )

    if kind == "secret":
        if style == 0:  # optional secret, empty by default
            src = f'    {attr}: SecretStr = Field(default=SecretStr(""), {alias}, description="{desc}")'
        else:  # required: production must render it
            src = f'    {attr}: SecretStr = Field({alias}, description="{desc}")'
        return Var(name, kind, desc, "changeme" if style else "", src, rendered=True)
    if kind in ("url", "str"):
        value = (
            f"http://localhost:{8000 + i % 1000}"
            if kind == "url"
            else f"{attr.split('_')[0]}-local"
        )
        lines = [
            field_call(json.dumps(value)).format(ann="str"),
            f"    {attr}: str = {json.dumps(value)}",
            f'    {attr}: str = Field({json.dumps(value)}, description="{desc}")',
        ]
        return Var(name, kind, desc, value, lines[style])
    if kind == "int":
        value = str(rng.choice((1, 5, 10, 30, 100, 500, 5432, 6379)))
        lines = [
            field_call(value, " ge=0,").format(ann="int"),
            f"    {attr}: Annotated[int, Field(ge=1)] = {value}",
            f"    {attr}: int = {value}",
        ]
        return Var(name, kind, desc, value, lines[style])
    if kind == "float":
        value = f"{rng.choice((0.5, 2.5, 10.0, 30.0))}"
        src = (
            field_call(value, " gt=0,").format(ann="float")
            if style
            else f"    {attr}: float = {value}"
        )
        return Var(name, kind, desc, value, src)
    if kind == "bool":
        flag = rng.choice((True, False))
        src = field_call(str(flag)).format(ann="bool") if style else f"    {attr}: bool = {flag}"
        return Var(name, kind, desc, str(flag).lower(), src)
    if kind == "list":
        origins = [f"http://localhost:{3000 + k}" for k in range(2)]
        if style == 0:
            src = f'    {attr}: list[str] = Field(default_factory=list, {alias}, description="{desc}")'
            return Var(name, kind, desc, "[]", src)
        return Var(
            name,
            kind,
            desc,
            json.dumps(origins),
            field_call(json.dumps(origins)).format(ann="list[str]"),
        )
    if kind == "literal":
        src = f'    {attr}: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"'
        return Var(name, kind, desc, "INFO", src)
    # optional: documented commented out, like a knob most developers never set
    src = f'    {attr}: str | None = Field(default=None, {alias}, description="{desc}")'
    return Var(name, kind, desc, "eu-west-1", src, commented_out=True)


def _plan(
    n_vars: int, services: int, seed: int, monorepo: bool = False
) -> tuple[list[Service], list[Var], list[Var]]:
    """Decide every variable: (services, external vars, Dockerfile build args)."""
    rng = random.Random(seed)
    external = [Var(n, "external", "", "") for n in EXTERNAL] if n_vars >= 20 else []
    n_docker = max(1, n_vars // 50) if n_vars >= 10 else 0
    n_fields = n_vars - len(external) - n_docker
    if n_fields < services * (len(NESTED_FIELDS) + 1):
        raise ValueError(f"--vars {n_vars} is too small for {services} service(s)")
    docker = [
        Var(f"NEXT_PUBLIC_{g}_URL" if k == 0 else f"NEXT_PUBLIC_{g}{k + 1}_URL", "docker", "", "")
        for k, g in ((i // len(GROUPS), GROUPS[i % len(GROUPS)]) for i in range(n_docker))
    ]
    for var in docker:
        var.example = f"http://localhost:{3000 + len(var.name)}"
        var.description = f"browser-visible {var.name.removeprefix('NEXT_PUBLIC_').lower()}"
    taken = {v.name for v in (*external, *docker)}
    out: list[Service] = []
    for s in range(services):
        svc_name = SERVICE_NAMES[s] if s < len(SERVICE_NAMES) else f"service{s + 1}"
        svc = Service(svc_name, prefix=f"{svc_name.upper()}_" if monorepo else "")
        count = n_fields // services + (1 if s < n_fields % services else 0)
        nested_prefix = f"{svc.prefix}MAIL" if monorepo else f"{svc_name.upper()}_MAIL"
        for attr, kind, default in NESTED_FIELDS:
            name = f"{nested_prefix}__{attr.upper()}"
            value = default.strip('"').lower()
            var = Var(name, kind, f"outgoing mail {attr}", value, rendered=attr == "host")
            svc.nested.append(var)
        taken.update(v.name for v in svc.nested)
        # A monorepo's services each have their own DATABASE_URL, told apart by env_prefix.
        own = set(taken) if monorepo else taken
        for i, (name, kind) in enumerate(_names(count - len(NESTED_FIELDS), rng, own)):
            var = _settings_var(svc.prefix + name, kind, i, rng, svc.prefix, choices=monorepo)
            var.rendered = var.rendered or (not var.commented_out and rng.random() < 0.3)
            svc.vars.append(var)
        out.append(svc)
    return out, external, docker


# --------------------------------------------------------------------------- writers


def _settings_file(svc: Service) -> str:
    cls = "".join(part.capitalize() for part in svc.name.split("_"))
    nested_attr = "mail" if svc.prefix else f"{svc.name}_mail"
    prefix = f'        env_prefix="{svc.prefix}",\n' if svc.prefix else ""
    nested_cls = f"{cls}MailConfig"
    half = len(svc.vars) // 10  # the base class holds the first tenth
    base_fields = "\n".join(v.field_source for v in svc.vars[:half]) or "    pass"
    own_fields = "\n".join(v.field_source for v in svc.vars[half:])
    nested_body = "\n".join(f"    {a}: {k} = {d}" for a, k, d in NESTED_FIELDS)
    return f'''"""Configuration of the {svc.name} service.

Production and staging get their values from Vault (see the secrets.ctmpl templates);
local development reads .env (see .env.example).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class {nested_cls}(BaseModel):
    """Outgoing mail, read as {svc.prefix}{nested_attr.upper()}__HOST and so on."""

{nested_body}


class {cls}BaseSettings(BaseSettings):
    """Settings every {svc.name} process shares."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
{prefix}        env_ignore_empty=True,  # an empty template fallback keeps the default
        extra="ignore",
    )

    SERVICE_NAME: ClassVar[str] = "{svc.name}"

{base_fields}


class {cls}Settings({cls}BaseSettings):
    """All settings of the {svc.name} service."""

    {nested_attr}: {nested_cls} = {nested_cls}()

{own_fields}

    _cache: dict[str, str] = {{}}

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    def describe(self) -> str:
        return f"{{self.SERVICE_NAME}}: {{len(type(self).model_fields)}} settings"


@lru_cache
def get_settings() -> {cls}Settings:
    return {cls}Settings()  # type: ignore[call-arg]
'''


def _template_line(name: str) -> str:
    return f'{name}={{{{ with .Data.data.{name} }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}""{{{{ end }}}}'


def _template(component: str, names: list[str]) -> str:
    head = (
        f"{{{{/*\n  {PROJECT} {component}: rendered by vault-agent into /etc/vault/secrets.\n"
        "  ENV is set per container (production, staging, pr-N).\n*/}}\n"
        f'{{{{ with secret (printf "secret/data/{PROJECT}/%s/{component}" (env "ENV")) }}}}\n'
    )
    return head + "".join(_template_line(n) + "\n" for n in names) + "{{ end }}\n"


def _example(services: list[Service], external: list[Var], docker: list[Var]) -> str:
    out = [
        f"# {PROJECT}: every variable a developer may set.",
        "# Copy to .env for local development. Values here are safe local defaults only.",
        "# [VAULT] marks variables that production and staging get from Vault",
        f"# (secret/data/{PROJECT}/<env>/<component>); never put real secrets here.",
    ]

    def section(title: str, items: list[Var], note: Callable[[Var], str] = lambda v: "") -> None:
        out.extend(("", f"# --- {title} ---", ""))
        for var in items:
            marker = "[VAULT] " if var.rendered else ""
            out.append(f"# {marker}{var.description}{note(var)}")
            value = var.example
            if value and any(ch in value for ch in " #\"'$\\"):
                value = "'" + value + "'"
            out.append(f"# {var.name}={value}" if var.commented_out else f"{var.name}={value}")

    for svc in services:
        section(f"{svc.name} service", svc.vars)
        section(f"{svc.name} outgoing mail (nested settings)", svc.nested)
    if external:
        for var in external:
            var.rendered = True
            var.description = f"database container: {var.name.removeprefix('POSTGRES_').lower()}"
            var.example = "postgres" if var.name != "POSTGRES_DB" else PROJECT
        section("Database container (read by the postgres image, not by Python)", external)
    if docker:
        section("Frontend (baked into the build by apps/frontend/Dockerfile)", docker)
    return "\n".join(out) + "\n"


def _dockerfile(docker: list[Var]) -> str:
    args = "\n".join(f'ARG {v.name}=""' for v in docker)
    envs = "\n".join(f"ENV {v.name}=${{{v.name}}}" for v in docker)
    return (
        "FROM node:20-alpine AS build\nWORKDIR /app\n\n"
        "# NEXT_PUBLIC_* are embedded at build time, not read at runtime.\n"
        f"{args}\n{envs}\n\n"
        "COPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n\n"
        "FROM node:20-alpine\nWORKDIR /app\nCOPY --from=build /app/.next ./.next\n"
        'COPY --from=build /app/package.json ./\nCMD ["npm", "start"]\n'
    )


# What Vault really holds for a rendered non-secret variable, by kind (``[tool.envssot.domains]``);
# secrets get ``default_secret_domain``. Without them the round-trip rules draw every string.
DOMAINS = {
    "url": "url",
    "str": "regex:[a-z0-9][a-z0-9.-]{0,62}",
    "int": "regex:[1-9][0-9]{0,5}",
    "float": "regex:[0-9]{1,4}\\.[0-9]{1,2}",
    "bool": "regex:true|false",
    "literal": "regex:DEBUG|INFO|WARNING|ERROR",
    "list": "url",  # a domain narrows the str leaves: the origins inside the JSON list
}


def _pyproject(external: list[Var], rendered: list[Var]) -> str:
    text = f'[project]\nname = "{PROJECT}"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
    text += "\n[tool.envssot]\n# Keys are rotated with secrets.token_urlsafe.\n"
    text += 'default_secret_domain = "token_urlsafe"\n'
    if external:
        names = ", ".join(f'"{v.name}"' for v in external)
        text += (
            f"# The postgres container reads these from its own Vault path.\nexternal = [{names}]\n"
        )
    domains = [f"{v.name} = {json.dumps(DOMAINS[v.kind])}" for v in rendered if v.kind in DOMAINS]
    if domains:
        text += "\n[tool.envssot.domains]\n" + "\n".join(domains) + "\n"
    return text


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate_repo(
    root: Path,
    n_vars: int,
    *,
    services: int = 1,
    templates: int = 1,
    seed: int = 0,
    monorepo: bool = False,
) -> None:
    """Write a consistent repository with ``n_vars`` documented variables under ``root``.

    ``monorepo``: each service's settings use ``env_prefix="<SERVICE>_"`` (its own
    ``<SERVICE>_DATABASE_URL``...), and half the aliases are ``AliasChoices`` with a legacy name.
    """
    if services < 1 or templates < 1:
        raise ValueError("services and templates must be at least 1")
    svcs, external, docker = _plan(n_vars, services, seed, monorepo)

    _write(root / ".gitignore", ".env\n__pycache__/\nnode_modules/\n.next/\n")
    for svc in svcs:
        src = root / "apps" / svc.name / "src" / svc.name
        _write(src / "__init__.py", "")
        _write(src / "config.py", _settings_file(svc))
    rendered_vars = [v for svc in svcs for v in (*svc.vars, *svc.nested) if v.rendered]
    _write(root / "pyproject.toml", _pyproject(external, rendered_vars))
    rendered = [v.name for v in rendered_vars]
    base = root / "repo" / PROJECT / PROJECT
    for k in range(templates):
        component = COMPONENTS[k] if k < len(COMPONENTS) else f"app{k + 1}"
        chunk = rendered[k * len(rendered) // templates : (k + 1) * len(rendered) // templates]
        _write(base / f"{10 + k:02d}.{component}" / "secrets.ctmpl", _template(component, chunk))
    if external:
        _write(base / "01.postgres" / "secrets.ctmpl", _template("postgres", list(EXTERNAL)))
    _write(root / ".env.example", _example(svcs, external, docker))
    if docker:
        _write(root / "apps" / "frontend" / "Dockerfile", _dockerfile(docker))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="directory to write (created if missing)")
    parser.add_argument("--vars", type=int, default=1000, help="number of variables")
    parser.add_argument("--services", type=int, default=1, help="number of settings files")
    parser.add_argument("--templates", type=int, default=1, help="number of application templates")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--monorepo",
        action="store_true",
        help="env_prefix per service and AliasChoices (see benchmarks.monorepo for the full shape)",
    )
    args = parser.parse_args(argv)
    generate_repo(
        args.out,
        args.vars,
        services=args.services,
        templates=args.templates,
        seed=args.seed,
        monorepo=args.monorepo,
    )
    print(f"wrote a repository with {args.vars} variables to {args.out}")


if __name__ == "__main__":
    main()
