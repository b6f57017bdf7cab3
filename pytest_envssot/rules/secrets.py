"""No real credential in the repository: ``no-secret-in-example`` and ``no-secret-default``.

A variable is secret-classified when any layer says so (:meth:`Index.secret_reasons`), or when
its value has the shape of a known token. Allowed everywhere: empty values, placeholders,
local-development credentials (:func:`secretscan.allowance`). Values are shown masked only.
"""

from __future__ import annotations

from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import FieldRef, Index, literal_default
from pytest_envssot.model import ExampleEntry, Layer
from pytest_envssot.redact import DEFAULT_SECRET_NAMES, is_secret_name, is_secret_type, mask
from pytest_envssot.rules import _edits
from pytest_envssot.rules._credentials import (
    credential_named,
    dev_placeholder,
    exempt,
    not_a_credential,
    weak_password,
)
from pytest_envssot.rules._text import field_line
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo, tmpl_line
from pytest_envssot.secretscan import Suspicion, allowance, scan, token_shape

NO_SECRET_DEFAULT = Reporter("no-secret-default")

NO_SECRET_IN_EXAMPLE = Reporter("no-secret-in-example")

_LEAKED = (
    "The repository is not a vault: anyone with read access (and its history) has that value. "
    "If it was ever real, rotate it."
)


def _example_value(entry: ExampleEntry) -> str | None:
    """The value, also of a commented-out ``# KEY=value`` line: a comment leaks just as well."""
    if entry.value is not None or not entry.commented_out:
        return entry.value
    _, _, rest = entry.raw.partition("=")
    return rest.strip().strip("'\"") or None


def _why(index: Index, name: str, value: str) -> list[str]:
    reasons = index.secret_reasons(name)
    if not reasons and token_shape(value):
        reasons = ["its value has the shape of a token"]
    return reasons


# --------------------------------------------------------------------------- no-secret-in-example


def no_secret_in_example(index: Index) -> Iterator[Finding]:
    seen: set[str] = set()
    for entry in index.example_entries():
        if entry.key in seen:
            continue
        seen.add(entry.key)
        rule, at = NO_SECRET_IN_EXAMPLE, entry.location
        value = _example_value(entry)
        suspicion = scan(value) if value else None
        reasons = _why(index, entry.key, value) if value and suspicion else []
        if suspicion is None or not reasons:
            yield rule.passed(entry.key, at)
            continue
        yield rule.failed(
            entry.key,
            at,
            lines=(
                f"{at} sets {entry.key} to {mask(value or '')}: {suspicion.reason}",
                f"{entry.key} is secret-classified ({'; '.join(reasons)}).",
                _LEAKED,
                "Keep the real value in Vault and your untracked .env; in .env.example leave it "
                "empty or a placeholder:",
            ),
            fix=(f"{'# ' if entry.commented_out else ''}{entry.key}=",),
            edit=_edits.example_blank(entry),
        )


# --------------------------------------------------------------------------- no-secret-default


def _default_problem(index: Index, ref: FieldRef) -> tuple[str, list[str]] | None:
    """(what is wrong, why the field is secret) or None when the default is fine.

    The value decides (:mod:`._credentials`): a token shape or a random-looking string is a
    credential whatever the name; any other value only when the field's type or name says
    its value *is* the secret, and it is no name-like value, dev placeholder or public key.
    """
    if ref.field.default is None:
        return None
    value = literal_default(ref.field.default)
    if value is None:
        return None  # not a literal: nothing hard-coded we can see
    name = ref.primary
    if weak_password(name, value):
        return "a well-known weak password", _why(index, name, value) or ["its name says so"]
    shape = token_shape(value)
    if shape is None and (allowance(value) is not None or exempt(value)):
        return None  # allowed (placeholder, local default), a collection, a public key
    reasons = _why(index, name, value)
    if not reasons:
        return None
    suspicion: Suspicion | None = scan(value)
    if suspicion is not None:
        return f"hard-coded, and {suspicion.reason}", reasons
    if not_a_credential(value):
        return None  # a path, header, algorithm or key prefix: a name, not a secret
    typed = any(is_secret_type(r.field.annotation) for r in index.fields_reading(name))
    # The project's own [tool.envssot] secret_names say the value is the secret, as the
    # name's credential words do (a dev-looking value included: the project said so); the
    # built-in patterns (*KEY*, *TOKEN*) alone do not.
    own = set(index.config.secret_names) - set(DEFAULT_SECRET_NAMES)
    if is_secret_name(name, own) or (
        (typed or credential_named(name)) and not dev_placeholder(value)
    ):
        # By type or name the value is the credential: any hard-coded value is one.
        return "a hard-coded credential (neither empty, a placeholder nor a local default)", reasons
    return None  # a name that only mentions KEY/TOKEN, or a dev placeholder


def no_secret_default(index: Index) -> Iterator[Finding]:
    seen: set[str] = set()
    for ref in index.distinct_fields():
        if ref.primary in seen:
            continue
        seen.add(ref.primary)
        rule, at = NO_SECRET_DEFAULT, ref.field.location
        problem = _default_problem(index, ref)
        if problem is None:
            yield rule.passed(ref.primary, at)
            continue
        what, reasons = problem
        fld = ref.field
        yield rule.failed(
            ref.primary,
            at,
            lines=(
                field_line(index, ref),
                f"{ref.primary} is secret-classified ({'; '.join(reasons)}); its default is {what}.",
                "A default ships with the code and keeps working wherever Vault or .env forgets "
                f"the key, production included. {_LEAKED}",
                "Drop the default (the value comes from Vault, locally from .env), or default "
                "to empty:",
            ),
            fix=(f'{fld.name}: {fld.annotation} = Field(validation_alias="{ref.primary}")',),
            edit=_edits.field_drop_default(ref),
        )


# --------------------------------------------------------------------------- the catalogue entries

# A GitHub-token-shaped value made for these examples only.
_TOKEN = "ghp_" + "R8mXk2Lq9VwT4zYb7NcJ5pHs3FdG6aE1uQ0o"
# A PostHog project key: public by design (it ships to every browser), made up for the example.
_PUBLIC_KEY = "phc_" + "Zq8LmW3xR7tN2vB5kJ9pH4sD6fG1cY0aE"
_KEY_FIELD = (
    'class Settings(BaseSettings):\n    api_key: SecretStr = Field(validation_alias="API_KEY")\n'
)
_SECRET_IMPORT = "from pydantic import SecretStr\n"

RULES = (
    Rule(
        NO_SECRET_IN_EXAMPLE,
        Layer.EXAMPLE,
        "a secret-classified var carries a real-looking value",
        no_secret_in_example,
        hangs_under="`.env.example`",
        details="a secret-classified var (or a token-shaped value) carries a real-looking value: a known token shape (`sk-…`, `ghp_…`, `AKIA…`, JWT, `hvs.…`, private key), a detect-secrets-style high-entropy string, or a URL password for a non-local host. Empty values, placeholders (`changeme`, `<…>`, `your-…-here`) and local credentials (`postgres:postgres@localhost`) pass. Commented-out lines count",
        why=".env.example is committed and public to every clone; a real credential in it is a leaked credential.",
        valid=(
            RuleExample(mini_repo(_SECRET_IMPORT + _KEY_FIELD, "API_KEY=changeme\n"), "API_KEY"),
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    database_url: str = ""\n',
                    "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/app\n",
                ),
                "DATABASE_URL",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(_SECRET_IMPORT + _KEY_FIELD, f"API_KEY={_TOKEN}\n"),
                "API_KEY",
                message=(
                    ".env.example:1 sets API_KEY to ***bb0a98: it has the shape of a GitHub token (ghp_/gho_/ghu_/ghs_/ghr_…)",
                    "API_KEY is secret-classified (a SecretStr field reads it).",
                    "The repository is not a vault: anyone with read access (and its history) has that value. If it was ever real, rotate it.",
                    "Keep the real value in Vault and your untracked .env; in .env.example leave it empty or a placeholder:",
                ),
                fix=("API_KEY=",),
            ),
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    database_url: str = ""\n',
                    "# [VAULT]\nDATABASE_URL=postgresql://app:Xq7-pW2z@db.prod.internal:5432/app\n",
                    tmpl_line("DATABASE_URL"),
                ),
                "DATABASE_URL",
                message=(
                    ".env.example:2 sets DATABASE_URL to ***96735b: it is a URL with a password for the non-local host db.prod.internal",
                    "DATABASE_URL is secret-classified ([VAULT] in .env.example; a template renders it from Vault; its value carries a URL password).",
                    "The repository is not a vault: anyone with read access (and its history) has that value. If it was ever real, rotate it.",
                    "Keep the real value in Vault and your untracked .env; in .env.example leave it empty or a placeholder:",
                ),
                fix=("DATABASE_URL=",),
            ),
        ),
    ),
    Rule(
        NO_SECRET_DEFAULT,
        Layer.SETTINGS,
        "a secret-classified field has a hard-coded non-empty default",
        no_secret_default,
        hangs_under="`config.py`",
        details="a field has a hard-coded default that looks like a credential: a known token shape or a random-looking string whatever the name, a well-known weak password (`admin`, `changeme`) in a password var, or, when the field's type (`SecretStr`) or name says its value is the secret (`SECRET_KEY`, `DB_PASSWORD`; not `TOKEN_ALGORITHM`, `COOKIE_KEY`, `LLM_KEY`), any value that is no placeholder, dev placeholder (`dev_…_change_in_prod`, `fillmein`), local default, identifier, path, header or algorithm name, or public-by-design key (`phc_…`)",
        why="A hard-coded credential in code ships to every environment and to everyone who reads the repository.",
        valid=(
            RuleExample(mini_repo(_SECRET_IMPORT + _KEY_FIELD, "API_KEY=\n"), "API_KEY"),
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    api_key: str = ""\n'
                    '    database_url: str = "postgresql://postgres:postgres@localhost/app"\n',
                    "API_KEY=\nDATABASE_URL=\n",
                ),
                "DATABASE_URL",
            ),
            # names that only mention KEY or TOKEN, holding no credential
            *(
                RuleExample(
                    mini_repo(f'class Settings(BaseSettings):\n    {field}: str = "{value}"\n', ""),
                    field.upper(),
                )
                for field, value in (
                    ("token_algorithm", "HS256"),
                    ("token_redis_prefix", "app:token"),
                    ("cookie_refresh_token_key", "refresh"),
                    ("trace_id_request_header_key", "X-Request-ID"),
                    ("llm_key", "OPENAI_GPT4O"),
                    ("oauth2_token_url", "/token"),
                    ("posthog_project_api_key", _PUBLIC_KEY),
                    # dev placeholders, overridden by Vault in production
                    ("secret_key", "dev_secret_key_change_in_prod"),
                    ("encryptor_aes_secret_key", "fillmein"),
                    ("jwt_secret", "super secret jwt secret"),
                )
            ),
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    password_hashers: list[str] = ["bcrypt"]\n',
                    "",
                ),
                "PASSWORD_HASHERS",
            ),
        ),
        invalid=(
            # the name says the value is the secret, and it looks like no name or placeholder
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    secret_key: str = "MYAPPSECRET"\n', ""
                ),
                "SECRET_KEY",
                message=(
                    "app/config.py:6 Settings.secret_key reads SECRET_KEY (str, default ***)",
                    "SECRET_KEY is secret-classified (its name looks secret); its default is a hard-coded credential (neither empty, a placeholder nor a local default).",
                    "A default ships with the code and keeps working wherever Vault or .env forgets the key, production included. The repository is not a vault: anyone with read access (and its history) has that value. If it was ever real, rotate it.",
                    "Drop the default (the value comes from Vault, locally from .env), or default to empty:",
                ),
                fix=('secret_key: str = Field(validation_alias="SECRET_KEY")',),
            ),
            # a known weak password is a credential, however guessable
            RuleExample(
                mini_repo('class Settings(BaseSettings):\n    admin_password: str = "admin"\n', ""),
                "ADMIN_PASSWORD",
                message=(
                    "app/config.py:6 Settings.admin_password reads ADMIN_PASSWORD (str, default ***)",
                    "ADMIN_PASSWORD is secret-classified (its name looks secret); its default is a well-known weak password.",
                    "A default ships with the code and keeps working wherever Vault or .env forgets the key, production included. The repository is not a vault: anyone with read access (and its history) has that value. If it was ever real, rotate it.",
                    "Drop the default (the value comes from Vault, locally from .env), or default to empty:",
                ),
                fix=('admin_password: str = Field(validation_alias="ADMIN_PASSWORD")',),
            ),
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    webhook_secret: str = "hunter2-but-longer"\n',
                    "WEBHOOK_SECRET=\n",
                ),
                "WEBHOOK_SECRET",
                message=(
                    "app/config.py:6 Settings.webhook_secret reads WEBHOOK_SECRET (str, default ***b0d090)",
                    "WEBHOOK_SECRET is secret-classified (its name looks secret); its default is a hard-coded credential (neither empty, a placeholder nor a local default).",
                    "A default ships with the code and keeps working wherever Vault or .env forgets the key, production included. The repository is not a vault: anyone with read access (and its history) has that value. If it was ever real, rotate it.",
                    "Drop the default (the value comes from Vault, locally from .env), or default to empty:",
                ),
                fix=('webhook_secret: str = Field(validation_alias="WEBHOOK_SECRET")',),
            ),
            RuleExample(
                mini_repo(
                    _SECRET_IMPORT + "class Settings(BaseSettings):\n"
                    f'    api_key: SecretStr = SecretStr("{_TOKEN}")\n',
                    "API_KEY=\n",
                ),
                "API_KEY",
                message=(
                    "app/config.py:7 Settings.api_key reads API_KEY (SecretStr, default ***7baed6)",
                    "API_KEY is secret-classified (a SecretStr field reads it); its default is hard-coded, and it has the shape of a GitHub token (ghp_/gho_/ghu_/ghs_/ghr_…).",
                    "A default ships with the code and keeps working wherever Vault or .env forgets the key, production included. The repository is not a vault: anyone with read access (and its history) has that value. If it was ever real, rotate it.",
                    "Drop the default (the value comes from Vault, locally from .env), or default to empty:",
                ),
                fix=('api_key: SecretStr = Field(validation_alias="API_KEY")',),
            ),
        ),
    ),
)
