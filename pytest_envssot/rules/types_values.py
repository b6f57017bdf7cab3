"""Values written in one layer must validate as the field's type: example, default, fallback.

Validation is pydantic-settings' own (:class:`~pytest_envssot.pysettings.annotations.SettingsProbe`): complex
fields JSON-decoded unless ``NoDecode``, bools as pydantic spells them, ``Literal``
case-sensitive, ``Field`` constraints applied, ``env_ignore_empty`` honoured. Values of secret
variables are shown only through :func:`~pytest_envssot.redact.show`.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import FieldRef, Index, literal_text
from pytest_envssot.model import ExampleEntry, Layer, TemplateVar
from pytest_envssot.placeholders import is_local_default, is_placeholder
from pytest_envssot.pysettings.annotations import Checked, Unresolved
from pytest_envssot.quoting import interpolate, read_back
from pytest_envssot.redact import SECRET_TYPES, is_secret_type, show
from pytest_envssot.rules import _imported
from pytest_envssot.rules._typed import (
    Typed,
    nested_reason,
    resolver,
    type_words,
    typed,
    unresolved_words,
)
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo, tmpl_line
from pytest_envssot.secretscan import scan

TEMPLATE_FALLBACK_TYPE = Reporter("template-fallback-type")

DEFAULT_VALUE_TYPE = Reporter("default-value-type")

EXAMPLE_VALUE_TYPE = Reporter("example-value-type")

# --------------------------------------------------------------------------- example-value-type


def _example_values(index: Index) -> dict[str, str | None]:
    """The example's values as pydantic-settings sees them: interpolated by python-dotenv.

    From the bindings the example reader already parsed, in file order: the file is not parsed
    a second time."""
    entries = index.example_entries(include_commented=False)
    return interpolate((e.key, e.value) for e in sorted(entries, key=lambda e: e.location.line))


def example_value_type(index: Index) -> Iterator[Finding]:
    rule = EXAMPLE_VALUE_TYPE
    values = _example_values(index)
    seen: set[str] = set()
    todo: list[tuple[ExampleEntry, str, list[FieldRef]]] = []
    for entry in index.example_entries(include_commented=False):
        name = entry.key
        if name in seen or entry.value is None:
            continue
        seen.add(name)
        refs = index.fields_reading(name)
        value = values.get(name, entry.value)
        if refs and value is not None:
            todo.append((entry, value, refs))
    # Import mode: every value a static type cannot check goes to the real class in one batch.
    _imported.ask(index, [(ref, "env", value) for entry, value, refs in todo for ref in refs
                          if _needs_oracle(index, ref, entry.key, validators=True)])  # fmt: skip
    for entry, value, refs in todo:
        name = entry.key
        secret = index.is_secret(name)
        problems: list[tuple[FieldRef, Typed | None, Checked]] = []
        reasons: list[str] = []
        for ref in refs:
            outcome = _check_ref(index, ref, name, value)
            if isinstance(outcome, str):
                reasons.append(outcome)
            elif not outcome[1].ok:
                problems.append((ref, outcome[0], outcome[1]))
        if problems:
            ref, checked_type, checked = problems[0]
            lines, fix = _explain_example(index, ref, checked_type, checked, name, value, secret)
            shown = show(value, secret)
            yield rule.failed(
                name, entry.location,
                lines=(f"{entry.location} sets {name}={shown}", *lines), fix=fix,
            )  # fmt: skip
        elif reasons and len(reasons) == len(refs):
            yield rule.skipped(name, entry.location, lines=(reasons[0],))
        else:
            yield rule.passed(name, entry.location)


def _needs_oracle(index: Index, ref: FieldRef, name: str, validators: bool = False) -> bool:
    """Import mode answers for types static reading cannot resolve, and (``validators``) for
    fields whose own before/wrap/plain validators only the real class can run."""
    if not index.config.import_settings or nested_reason(ref, name) is not None:
        return False
    found = typed(index, ref)
    return isinstance(found, Unresolved) or (validators and bool(found.resolved.raw_validators))


def _oracle(index: Index, ref: FieldRef, kind: str, text: str | None) -> Checked | str:
    """The real class's verdict as a :class:`Checked` (value: a digest), or a skip reason."""
    got = _imported.answer(index, ref, kind, text)
    if _imported.failed(got):
        return f"{type_words(ref)}: {_imported.failure_reason(got)}"
    return Checked(ok=got.ok, value=got.digest or None, unset=got.unset, error=got.error)


def _check_ref(
    index: Index, ref: FieldRef, name: str, value: str
) -> tuple[Typed | None, Checked] | str:
    reason = nested_reason(ref, name)
    if reason:
        return reason
    found = typed(index, ref)
    if isinstance(found, Unresolved):
        if not index.config.import_settings:
            return unresolved_words(index, ref, found)
        checked = _oracle(index, ref, "env", value)
        return checked if isinstance(checked, str) else (None, checked)
    static = found.probe.check(value)
    if static.ok and static.stopped_at_validator and index.config.import_settings:
        real = _oracle(index, ref, "env", value)  # the field's own validator decides
        return (None, real) if isinstance(real, Checked) else (found, static)
    return found, static


def _explain_example(
    index: Index,
    ref: FieldRef,
    t: Typed | None,
    checked: Checked,
    name: str,
    value: str,
    secret: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if t is None:  # import mode: the real class said no
        lines = [f"{type_words(ref)} rejects it (import mode, the real class): {checked.error}"]
        if checked.error.startswith("pydantic-settings cannot decode"):
            lines.append(
                "pydantic-settings JSON-decodes list, set, tuple, dict and model fields before "
                "any validator runs: write it as JSON, or mark the field NoDecode."
            )
        else:
            lines.append("Use a value the field accepts (or change the field).")
        return tuple(lines), ()
    lines = [f"{type_words(ref)} rejects it under pydantic-settings: {checked.error}"]
    if checked.error.startswith("pydantic-settings cannot decode"):
        lines.append(
            "pydantic-settings JSON-decodes list, set, tuple, dict and model fields before any "
            "validator runs; only Annotated[..., NoDecode] passes the raw text on."
        )
        candidate = json.dumps([p.strip() for p in value.split(",") if p.strip()])
        if not secret and t.probe.check(candidate).ok:
            lines.append(
                "Write it as JSON (or mark the field NoDecode and split it in a before-validator):"
            )
            return tuple(lines), (f"{name}={candidate}",)
        lines.append(
            "Write it as JSON, or mark the field NoDecode and parse it in a before-validator."
        )
        return tuple(lines), ()
    member = _case_match(t.resolved.annotation, value)
    if member is not None and not secret:
        lines.append(f"Literal values are case-sensitive: {value!r} is not {member!r}. Write:")
        return tuple(lines), (f"{name}={member}",)
    default = _safe_default_text(index, ref, t)
    if default is not None and not secret:
        lines.append("Use a value of the field's type, e.g. its default:")
        return tuple(lines), (f"{name}={default}",)
    lines.append("Use a value of the field's type (or change the annotation).")
    return tuple(lines), ()


def _case_match(tp: object, value: str) -> str | None:
    for member in _literal_members(tp):
        if isinstance(member, str) and member.lower() == value.lower() and member != value:
            return member
    return None


def _literal_members(tp: object) -> list[object]:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return list(typing.get_args(tp))
    return [m for arg in typing.get_args(tp) for m in _literal_members(arg)] if origin else []


def _safe_default_text(index: Index, ref: FieldRef, t: Typed) -> str | None:
    if ref.field.default is None or index.is_secret(ref.primary):
        return None
    text = literal_text(ref.field.default)
    return text if text is not None and t.probe.check(text).ok else None


# --------------------------------------------------------------------------- default-value-type


def default_value_type(index: Index) -> Iterator[Finding]:
    rule = DEFAULT_VALUE_TYPE
    seen: set[str] = set()
    refs: list[FieldRef] = []
    for ref in index.distinct_fields():
        if ref.field.default is None or ref.primary in seen:
            continue
        seen.add(ref.primary)
        refs.append(ref)
    _imported.ask(index, [(r, "default", None) for r in refs if _needs_oracle(index, r, r.primary)])
    for ref in refs:
        fld = ref.field
        at = fld.location
        found = typed(index, ref)
        if isinstance(found, Unresolved):
            yield _default_by_import(index, ref, found)
            continue
        known, value, reason = resolver(index).default(fld)
        if not known:
            yield rule.skipped(ref.primary, at, lines=(f"{type_words(ref)}: {reason}",))
            continue
        checked = found.probe.validate_python(value)
        if checked.ok:
            yield rule.passed(ref.primary, at)
            continue
        yield _default_failure(index, ref, checked)


def _default_by_import(index: Index, ref: FieldRef, found: Unresolved) -> Finding:
    rule, at = DEFAULT_VALUE_TYPE, ref.field.location
    if not index.config.import_settings:
        return rule.skipped(ref.primary, at, lines=(unresolved_words(index, ref, found),))
    checked = _oracle(index, ref, "default", None)
    if isinstance(checked, str):
        return rule.skipped(ref.primary, at, lines=(checked,))
    if checked.ok:
        return rule.passed(ref.primary, at)
    return _default_failure(index, ref, checked, " (import mode: the real class's default)")


def _default_failure(index: Index, ref: FieldRef, checked: Checked, how: str = "") -> Finding:
    fld = ref.field
    shown = show(fld.default or "", index.is_secret(ref.primary))
    return DEFAULT_VALUE_TYPE.failed(
        ref.primary, fld.location,
        lines=(
            f"{type_words(ref)} has the default {shown}",
            f"it does not validate as {fld.annotation}{how}: {checked.error}",
            "pydantic does not validate defaults (unless validate_default=True), so the "
            "application would start with a value of the wrong type whenever the variable is unset.",
            "Give the field a default of its type, or correct the annotation.",
        ),
    )  # fmt: skip


# --------------------------------------------------------------------------- template-fallback-type


def template_fallback_type(index: Index) -> Iterator[Finding]:
    todo: list[tuple[TemplateVar, FieldRef, str]] = []
    for template in index.templates():
        scope = index.settings_paths_for_template(template.path)
        consumer = index.config.consumer_for(template.path)
        seen: set[str] = set()
        for var in template.vars:
            if var.name in seen or var.fallback is None:
                continue
            seen.add(var.name)
            refs = index.fields_reading(var.name, scope)
            if refs:
                todo.append((var, refs[0], consumer))
    questions: list[_imported.Question] = []
    for var, ref, consumer in todo:
        if "{{" not in (var.fallback or "") and _needs_oracle(index, ref, var.name):
            text = read_back(consumer, f"{var.name}={var.fallback}\n", var.name)
            questions += [(ref, "env", text), (ref, "default", None)]
    _imported.ask(index, questions)
    for var, ref, consumer in todo:
        yield _fallback_finding(index, var, ref, consumer)


def _fallback_finding(index: Index, var: TemplateVar, ref: FieldRef, consumer: str) -> Finding:
    rule, name, at = TEMPLATE_FALLBACK_TYPE, var.name, var.location
    fallback = var.fallback or ""
    if "{{" in fallback:
        return rule.skipped(name, at,
                       lines=("the fallback is computed by template actions; only literal text is checked",))  # fmt: skip
    reason = nested_reason(ref, name)
    if reason:
        return rule.skipped(name, at, lines=(reason,))
    found = typed(index, ref)
    if isinstance(found, Unresolved) and not index.config.import_settings:
        return rule.skipped(name, at, lines=(unresolved_words(index, ref, found),))
    secret = index.is_secret(name)
    text = read_back(consumer, f"{name}={fallback}\n", name)
    if isinstance(found, Unresolved):
        oracle = _oracle(index, ref, "env", text)
        if isinstance(oracle, str):
            return rule.skipped(name, at, lines=(oracle,))
        checked, ignore_empty = oracle, False
    else:
        checked, ignore_empty = found.probe.check(text), found.probe.ignore_empty
    keys = ", ".join(var.vault_keys) or name
    rendered = f"{at} falls back to {name}={show(text, secret)} ({consumer}'s reading) when Vault has no {keys}"
    if not checked.ok:
        if text == "" and not ignore_empty:
            advice = (
                "An empty fallback is meant to leave the settings default in place: that takes "
                "env_ignore_empty=True in the settings class:"
            )
            fix = ("model_config = SettingsConfigDict(..., env_ignore_empty=True)",)
        else:
            default = literal_text(ref.field.default or "")
            advice = "Render a fallback of the field's type (e.g. the settings default):"
            fix = (f"{{{{ else }}}}{_go_literal(default or '', secret)}{{{{ end }}}}",)
        return rule.failed(
            name, at,
            lines=(rendered, f"{type_words(ref)} rejects it: {checked.error}", advice),
            fix=fix,
        )  # fmt: skip
    credential = _credential(index, name, text)
    if credential is not None:
        return rule.failed(
            name, at,
            lines=(
                rendered,
                f"{credential}: whenever Vault lacks {keys}, production runs with a credential "
                "everybody who can read the repository knows.",
                "Fall back to nothing and let the settings class refuse to start without it:",
            ),
            fix=('{{ else }}""{{ end }}',),
        )  # fmt: skip
    if checked.unset or ref.field.default is None:
        return rule.passed(name, at)
    if isinstance(found, Unresolved):  # import mode: the real default, compared by digest
        real = _oracle(index, ref, "default", None)
        default_checked = real if isinstance(real, Checked) else None
    else:
        known, default_value, _ = resolver(index).default(ref.field)
        default_checked = found.probe.validate_python(default_value) if known else None
    if default_checked is None or not default_checked.ok or default_checked.value == checked.value:
        return rule.passed(name, at)
    default_text = literal_text(ref.field.default)
    if text == "" and not ignore_empty and default_text != "":
        # "" is a valid str, so production's choice (issue 13 class 3); say what it does, since
        # the seed's {{ else }}""{{ end }} often means "Vault has no value" rather than "empty".
        return rule.passed(
            name, at,
            lines=(
                f"{rendered}: an empty value replaces {type_words(ref)}'s non-empty default "
                "(pydantic-settings takes an empty value as a value); valid, so taken as "
                "production's choice. To keep the default when Vault has none: "
                "model_config = SettingsConfigDict(..., env_ignore_empty=True)",
            ),
        )  # fmt: skip
    # A valid value other than the default is what templates are for: production's choice
    # (ENVIRONMENT="production" where the code defaults to "development"). Said, not failed.
    default_shown = show(literal_text(ref.field.default) or ref.field.default, secret)
    return rule.passed(
        name, at,
        lines=(
            f"{rendered}; {type_words(ref)} defaults to {default_shown}: a valid value, so a "
            "deliberate production choice",
        ),
    )  # fmt: skip


def _credential(index: Index, name: str, text: str | None) -> str | None:
    """Why a fallback is a credential, or None.

    A SecretStr-typed field: any non-empty fallback (placeholders too: production would run
    with ``changeme``). A secret-named one: a fallback that looks like a credential or is a
    known weak one (``changeme``, ``admin``), not any text (``TOKEN_ALGORITHM="HS256"`` is
    none). Anything else: a value that looks like a credential (a token's shape, high
    entropy, a URL with a password)."""
    if not text or not text.strip():
        return None
    found = scan(text)
    if any(is_secret_type(r.field.annotation) for r in index.fields_reading(name)):
        return f"{name} is read by a {'/'.join(_secret_types(index, name))} field and the fallback is not empty"
    if index.is_strong_secret(name) and (is_placeholder(text) or is_local_default(text)):
        return f"{name} looks secret by its name and the fallback is a well-known weak value"
    return None if found is None else f"the fallback looks like a credential: {found.reason}"


def _secret_types(index: Index, name: str) -> list[str]:
    return sorted(
        {t for r in index.fields_reading(name) for t in SECRET_TYPES if t in r.field.annotation}
    )


def _go_literal(text: str, secret: bool) -> str:
    if secret:
        return '""'
    return json.dumps(text)


# --------------------------------------------------------------------------- the catalogue

_LIST_FIELD = (
    "from typing import Annotated\nfrom pydantic_settings import NoDecode\n\n\n"
    "class Settings(BaseSettings):\n"
    '    models: {ann} = Field(default=["a"], validation_alias="MODELS")\n{extra}'
)
_SPLITTER = (
    '\n    @field_validator("models", mode="before")\n    @classmethod\n'
    "    def _split(cls, v: object) -> object:\n"
    '        return v.split(",") if isinstance(v, str) else v\n'
)
_LEVEL = 'class Settings(BaseSettings):\n    log_level: Literal["INFO", "DEBUG"] = "INFO"\n'
_INT = 'class Settings(BaseSettings):\n    workers: int = Field(default=2, ge=1, validation_alias="WORKERS")\n'
_FALLBACK = (
    "class Settings(BaseSettings):\n"
    "    model_config = SettingsConfigDict(env_ignore_empty=True)\n"
    '    workers: int = Field(default=2, validation_alias="WORKERS")\n'
)
_ENVIRONMENT = (
    "class Settings(BaseSettings):\n"
    '    environment: str = Field(default="development", validation_alias="ENVIRONMENT")\n'
)
_OPTIONAL = (
    "class Settings(BaseSettings):\n"
    '    sentry_dsn: str | None = Field(default=None, validation_alias="SENTRY_DSN")\n'
)
_DSN = (
    "from pydantic import PostgresDsn\n\n\nclass Settings(BaseSettings):\n"
    '    database_url: PostgresDsn = Field(default="postgresql://app@localhost/app", '
    'validation_alias="DATABASE_URL")\n'
)
_PASSWORD = (
    "class Settings(BaseSettings):\n"
    '    smtp_password: str = Field(default="", validation_alias="SMTP_PASSWORD")\n'
)
_ALGORITHM = (
    "class Settings(BaseSettings):\n"
    '    token_algorithm: str = Field(default="HS256", validation_alias="TOKEN_ALGORITHM")\n'
)
_SECRET = (
    "from pydantic import SecretStr\n\n\nclass Settings(BaseSettings):\n"
    '    secret_key: SecretStr = Field(default=SecretStr(""), validation_alias="SECRET_KEY")\n'
)
_IMPORTS = "from typing import Literal\nfrom pydantic import field_validator\nfrom pydantic_settings import SettingsConfigDict\n"

RULES = (
    Rule(
        EXAMPLE_VALUE_TYPE,
        layer=Layer.EXAMPLE,
        summary="the example value does not validate as the field's type under pydantic-settings semantics",
        check=example_value_type,
        hangs_under="`.env.example`",
        details="the value does not validate as the field's type under pydantic-settings (complex types must be JSON unless `NoDecode`; bools as pydantic spells them; `Literal` case-sensitive; `Field` constraints; `env_ignore_empty`)",
        why="A documented value the type rejects makes the app fail at start-up for everyone who copies .env.example.",
        valid=(
            RuleExample(
                mini_repo(_LIST_FIELD.format(ann="list[str]", extra=""), 'MODELS=["a","b"]\n'),
                "MODELS",
            ),
            RuleExample(
                mini_repo(
                    _IMPORTS
                    + _LIST_FIELD.format(ann="Annotated[list[str], NoDecode]", extra=_SPLITTER),
                    "MODELS=a,b\n",
                ),
                "MODELS",
            ),
            RuleExample(mini_repo(_IMPORTS + _LEVEL, "LOG_LEVEL=DEBUG\n"), "LOG_LEVEL"),
            RuleExample(mini_repo(_INT, "WORKERS=4\n"), "WORKERS"),
        ),
        invalid=(
            RuleExample(
                mini_repo(_LIST_FIELD.format(ann="list[str]", extra=""), "MODELS=a,b\n"),
                "MODELS",
                message=(
                    ".env.example:1 sets MODELS=a,b",
                    "app/config.py:10 Settings.models: list[str] rejects it under pydantic-settings: pydantic-settings cannot decode it: JSONDecodeError: Expecting value at column 1",
                    "pydantic-settings JSON-decodes list, set, tuple, dict and model fields before any validator runs; only Annotated[..., NoDecode] passes the raw text on.",
                    "Write it as JSON (or mark the field NoDecode and split it in a before-validator):",
                ),
                fix=('MODELS=["a", "b"]',),
            ),
            RuleExample(
                mini_repo(
                    _IMPORTS + _LIST_FIELD.format(ann="list[str]", extra=_SPLITTER), "MODELS=a,b\n"
                ),
                "MODELS",
                message=(
                    ".env.example:1 sets MODELS=a,b",
                    "app/config.py:13 Settings.models: list[str] rejects it under pydantic-settings: pydantic-settings cannot decode it: JSONDecodeError: Expecting value at column 1",
                    "pydantic-settings JSON-decodes list, set, tuple, dict and model fields before any validator runs; only Annotated[..., NoDecode] passes the raw text on.",
                    "Write it as JSON (or mark the field NoDecode and split it in a before-validator):",
                ),
                fix=('MODELS=["a", "b"]',),
            ),
            RuleExample(
                mini_repo(_IMPORTS + _LEVEL, "LOG_LEVEL=debug\n"),
                "LOG_LEVEL",
                message=(
                    ".env.example:1 sets LOG_LEVEL=debug",
                    "app/config.py:9 Settings.log_level: Literal[\"INFO\", \"DEBUG\"] rejects it under pydantic-settings: Input should be 'INFO' or 'DEBUG'",
                    "Literal values are case-sensitive: 'debug' is not 'DEBUG'. Write:",
                ),
                fix=("LOG_LEVEL=DEBUG",),
            ),
            RuleExample(
                mini_repo(_INT, "WORKERS=four\n"),
                "WORKERS",
                message=(
                    ".env.example:1 sets WORKERS=four",
                    "app/config.py:6 Settings.workers: int rejects it under pydantic-settings: Input should be a valid integer, unable to parse string as an integer",
                    "Use a value of the field's type, e.g. its default:",
                ),
                fix=("WORKERS=2",),
            ),
            RuleExample(
                mini_repo(_INT, "WORKERS=0\n"),
                "WORKERS",
                message=(
                    ".env.example:1 sets WORKERS=0",
                    "app/config.py:6 Settings.workers: int rejects it under pydantic-settings: Input should be greater than or equal to 1",
                    "Use a value of the field's type, e.g. its default:",
                ),
                fix=("WORKERS=2",),
            ),
        ),
    ),
    Rule(
        DEFAULT_VALUE_TYPE,
        layer=Layer.SETTINGS,
        summary="a literal default does not validate as the field's type",
        check=default_value_type,
        hangs_under="`config.py`",
        details="a literal default does not validate (pydantic does not validate defaults unless asked)",
        why="pydantic does not validate defaults: a default the type rejects only shows up when code uses it.",
        valid=(
            RuleExample(
                mini_repo("class Settings(BaseSettings):\n    port: int = 80\n", "PORT=80\n"),
                "PORT",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo('class Settings(BaseSettings):\n    port: int = "80a"\n', "PORT=80\n"),
                "PORT",
                message=(
                    'app/config.py:6 Settings.port: int has the default "80a"',
                    "it does not validate as int: Input should be a valid integer, unable to parse string as an integer",
                    "pydantic does not validate defaults (unless validate_default=True), so the application would start with a value of the wrong type whenever the variable is unset.",
                    "Give the field a default of its type, or correct the annotation.",
                ),
            ),
        ),
    ),
    Rule(
        TEMPLATE_FALLBACK_TYPE,
        layer=Layer.TEMPLATE,
        summary="the {{ else }} fallback does not validate as the field's type, or is a credential",
        check=template_fallback_type,
        hangs_under="template",
        details='the `{{ else }}` fallback, as the consumer reads it, is not a valid value of the field under pydantic-settings (`""` for a `PostgresDsn`, or for an `int` without `env_ignore_empty`; an empty fallback that silently replaces a non-empty default without `env_ignore_empty`), or is a credential (any non-empty fallback of a secret-classified var, or a value that looks like a credential). A different valid value (`"production"` where the code defaults to `"development"`, `""` for an optional field) is production\'s choice: it passes and the item says so',
        why="The {{ else }} fallback is what production gets when Vault lacks the key; if the type rejects it, the service does not start.",
        valid=(
            RuleExample(
                mini_repo(_IMPORTS + _FALLBACK, "# [VAULT]\nWORKERS=2\n", tmpl_line("WORKERS")),
                "WORKERS",
            ),
            RuleExample(
                mini_repo(
                    _IMPORTS + _FALLBACK, "# [VAULT]\nWORKERS=2\n", tmpl_line("WORKERS", '"2"')
                ),
                "WORKERS",
            ),
            # issue 13 class 3: a different valid value is production's deliberate choice
            RuleExample(
                mini_repo(
                    _IMPORTS + _FALLBACK, "# [VAULT]\nWORKERS=2\n", tmpl_line("WORKERS", '"8"')
                ),
                "WORKERS",
            ),
            RuleExample(
                mini_repo(
                    _ENVIRONMENT,
                    "# [VAULT]\nENVIRONMENT=development\n",
                    tmpl_line("ENVIRONMENT", '"production"'),
                ),
                "ENVIRONMENT",
            ),
            RuleExample(
                mini_repo(_OPTIONAL, "# [VAULT]\nSENTRY_DSN=\n", tmpl_line("SENTRY_DSN")),
                "SENTRY_DSN",
            ),
            # a secret-looking name holding an algorithm name is no credential
            RuleExample(
                mini_repo(
                    _ALGORITHM,
                    "# [VAULT]\nTOKEN_ALGORITHM=HS256\n",
                    tmpl_line("TOKEN_ALGORITHM", '"HS512"'),
                ),
                "TOKEN_ALGORITHM",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(
                    _IMPORTS + _FALLBACK, "# [VAULT]\nWORKERS=2\n", tmpl_line("WORKERS", '"two"')
                ),
                "WORKERS",
                message=(
                    "deploy/app/secrets.ctmpl:2 falls back to WORKERS=two (pydantic-settings's reading) when Vault has no WORKERS",
                    "app/config.py:10 Settings.workers: int rejects it: Input should be a valid integer, unable to parse string as an integer",
                    "Render a fallback of the field's type (e.g. the settings default):",
                ),
                fix=('{{ else }}"2"{{ end }}',),
            ),
            RuleExample(
                mini_repo(_INT, "# [VAULT]\nWORKERS=2\n", tmpl_line("WORKERS")),
                "WORKERS",
                message=(
                    'deploy/app/secrets.ctmpl:2 falls back to WORKERS="" (pydantic-settings\'s reading) when Vault has no WORKERS',
                    "app/config.py:6 Settings.workers: int rejects it: Input should be a valid integer, unable to parse string as an integer",
                    "An empty fallback is meant to leave the settings default in place: that takes env_ignore_empty=True in the settings class:",
                ),
                fix=("model_config = SettingsConfigDict(..., env_ignore_empty=True)",),
            ),
            # "" is no PostgresDsn (no env_ignore_empty to turn it into "unset")
            RuleExample(
                mini_repo(
                    _DSN,
                    "# [VAULT]\nDATABASE_URL=postgresql://app@localhost/app\n",
                    tmpl_line("DATABASE_URL"),
                ),
                "DATABASE_URL",
                message=(
                    'deploy/app/secrets.ctmpl:2 falls back to DATABASE_URL="" (pydantic-settings\'s reading) when Vault has no DATABASE_URL',
                    "app/config.py:9 Settings.database_url: PostgresDsn rejects it: Input should be a valid URL, input is empty",
                    "An empty fallback is meant to leave the settings default in place: that takes env_ignore_empty=True in the settings class:",
                ),
                fix=("model_config = SettingsConfigDict(..., env_ignore_empty=True)",),
            ),
            # a credential in the template: production's secret whenever Vault lacks the key
            RuleExample(
                mini_repo(
                    _SECRET, "# [VAULT]\nSECRET_KEY=\n", tmpl_line("SECRET_KEY", '"changeme"')
                ),
                "SECRET_KEY",
                message=(
                    "deploy/app/secrets.ctmpl:2 falls back to SECRET_KEY=*** (pydantic-settings's reading) when Vault has no SECRET_KEY",
                    "SECRET_KEY is read by a SecretStr field and the fallback is not empty: whenever Vault lacks SECRET_KEY, production runs with a credential everybody who can read the repository knows.",
                    "Fall back to nothing and let the settings class refuse to start without it:",
                ),
                fix=('{{ else }}""{{ end }}',),
            ),
            # a known weak password for a password-named var
            RuleExample(
                mini_repo(
                    _PASSWORD, "# [VAULT]\nSMTP_PASSWORD=\n", tmpl_line("SMTP_PASSWORD", '"admin"')
                ),
                "SMTP_PASSWORD",
                message=(
                    "deploy/app/secrets.ctmpl:2 falls back to SMTP_PASSWORD=*** (pydantic-settings's reading) when Vault has no SMTP_PASSWORD",
                    "SMTP_PASSWORD looks secret by its name and the fallback is a well-known weak value: whenever Vault lacks SMTP_PASSWORD, production runs with a credential everybody who can read the repository knows.",
                    "Fall back to nothing and let the settings class refuse to start without it:",
                ),
                fix=('{{ else }}""{{ end }}',),
            ),
        ),
    ),
)
