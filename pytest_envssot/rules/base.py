"""What a rule is: a stable name, the layer it speaks about, a pure check, and examples.

The VALID and INVALID examples are small repositories (path -> text). The test suite
turns each into a test automatically: a valid one must pass the rule for ``variable``,
an invalid one must fail it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pytest_envssot.findings import Edit, Finding, Outcome
from pytest_envssot.model import Layer, Location
from pytest_envssot.records import frozen

if TYPE_CHECKING:
    from pytest_envssot.index import Index


# Each rule's name as a plain ``str``, made once: ``str(reporter)`` copies the text, and a run
# of 100,000 variables makes half a million findings (33 MB of copies).
_PLAIN: dict[str, str] = {}


class Reporter(str):
    """A rule's stable name, and the one way its findings are made, so the name is written once
    per rule: ``FIELD_DOCUMENTED.failed(var, at, lines=..., fix=...)``. Being a ``str``, it is
    the rule name wherever a name is expected (``Rule(FIELD_DOCUMENTED, ...)``, messages)."""

    __slots__ = ()

    def finding(
        self,
        variable: str,
        outcome: Outcome,
        at: Location,
        lines: Sequence[str] = (),
        fix: Sequence[str] = (),
        edit: Edit | None = None,
        pending: Callable[[], Finding] | None = None,
    ) -> Finding:
        name = _PLAIN.get(self)
        if name is None:
            name = _PLAIN[self] = str(self)
        return Finding(name, variable, outcome, at, tuple(lines), tuple(fix), edit, pending=pending)

    def passed(self, variable: str, at: Location, lines: Sequence[str] = (), fix: Sequence[str] = (), edit: Edit | None = None) -> Finding:  # fmt: skip
        return self.finding(variable, Outcome.PASSED, at, lines, fix, edit)

    def failed(self, variable: str, at: Location, lines: Sequence[str] = (), fix: Sequence[str] = (), edit: Edit | None = None) -> Finding:  # fmt: skip
        return self.finding(variable, Outcome.FAILED, at, lines, fix, edit)

    def skipped(self, variable: str, at: Location, lines: Sequence[str] = (), fix: Sequence[str] = (), edit: Edit | None = None) -> Finding:  # fmt: skip
        return self.finding(variable, Outcome.SKIPPED, at, lines, fix, edit)


@frozen(slots=False)
class RuleExample:
    """A small repository a rule must pass (valid) or fail (invalid) for ``variable``."""

    files: Mapping[str, str]
    variable: str  # the item the example is about (a variable, or "" for file-level rules)
    git: bool = False  # run `git init` + `git add -A` in it first (rules that ask git)
    # An invalid example pins what its rule reports (the explanation is the product): the
    # failure's lines and fix lines, exactly (masks made with the docs' fixed key).
    message: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()


@frozen(slots=False)
class Rule:
    """One rule of the catalogue."""

    name: str
    layer: Layer
    summary: str
    check: Callable[[Index], Iterable[Finding]]
    valid: tuple[RuleExample, ...] = ()
    invalid: tuple[RuleExample, ...] = ()
    # The documentation (README table, docs/rules.md) is generated from these three.
    hangs_under: str = ""  # where its items hang, as the docs say it
    details: str = ""  # "fails when", in full (``summary`` is the one-line form for SARIF)
    why: str = ""  # why a maintainer should care
    # "contract" rules run on every check; "live" (Vault, a frontend build) and "smoke" rules
    # look outside the repository and run only when their option asks for them, through
    # their own runner. All are in the catalogue, so every face knows every rule it reports.
    family: str = "contract"


# A one-field settings class with its example line: the plain valid case several rules share.
DEBUG_FALSE = ("class Settings(BaseSettings):\n    debug: bool = False\n", "DEBUG=false\n")


def mini_repo(
    config_py: str,
    env_example: str,
    template: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A one-service repository for rule examples: config.py, .env.example, optional template."""
    files = {
        "pyproject.toml": '[project]\nname = "demo"\n',
        "app/config.py": "from pydantic import Field\nfrom pydantic_settings import BaseSettings\n\n\n"
        + config_py,
        ".env.example": env_example,
    }
    if template is not None:
        files["deploy/app/secrets.ctmpl"] = (
            '{{ with secret (printf "secret/data/demo/%s/app" (env "ENV")) }}\n'
            + template
            + "{{ end }}\n"
        )
    files.update(extra or {})
    return files


def tmpl_line(name: str, fallback: str = '""', key: str | None = None) -> str:
    """One rendered line in the seed's style."""
    key = key or name
    return f'{name}={{{{ with .Data.data.{key} }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}{fallback}{{{{ end }}}}\n'


# The seed's template style (issue 13): the environment bound once, a container suffix outside
# production, a DSN composed around the postgres password.
SEED_HEAD = (
    "{{- $env := ENV_EXPR -}}\n"
    '{{- $suffix := "" -}}{{- if ne $env "production" -}}{{- $suffix = printf "-%s" $env -}}'
    "{{- end -}}\n"
)
SEED_DSN = '"{{ printf "postgresql://app:%s@demo-postgres%s:5432/demo" $pw $suffix }}"'


def seed_repo(
    value: str = SEED_DSN, envssot: str = "", env_expr: str = 'env "ENV"', app_lines: str = ""
) -> dict[str, str]:
    """A repository whose template composes DATABASE_URL in the seed's style."""
    files = mini_repo(
        "from pydantic import PostgresDsn\n\n\nclass Settings(BaseSettings):\n"
        '    database_url: PostgresDsn = Field(default="postgresql://app:app@localhost:5432/demo", '
        'validation_alias="DATABASE_URL")\n'
        '    environment: str = Field(default="development", validation_alias="ENVIRONMENT")\n',
        "# [VAULT]\nDATABASE_URL=postgresql://app:app@localhost:5432/demo\n"
        "# [VAULT]\nENVIRONMENT=development\n",
        extra={"pyproject.toml": f'[project]\nname = "demo"\n[tool.envssot]\n{envssot}'},
    )
    files["deploy/app/secrets.ctmpl"] = (
        SEED_HEAD.replace("ENV_EXPR", env_expr)
        + '{{- with secret (printf "secret/data/demo/%s/postgres" $env) -}}\n'
        + "  {{- $pw := .Data.data.POSTGRES_PASSWORD }}\n"
        + f"DATABASE_URL={value}\n"
        + "{{ end -}}\n"
        + '{{- with secret (printf "secret/data/demo/%s/app" $env) }}\n'
        + (app_lines or tmpl_line("ENVIRONMENT", '"production"'))
        + "{{ end -}}\n"
    )
    return files
