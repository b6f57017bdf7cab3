"""Import mode's own rules: the settings modules import, and the env names agree.

Only with import mode on (``envssot_import = true``); otherwise they make no items, so a
default run is unchanged. The static derivation (:mod:`pytest_envssot.pysettings.envnames`) decides what
every other rule compares; ``env-names-match-import`` proves it against the real class, whose
names come from pydantic-settings' own env source in the child process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pytest_envssot.findings import Finding
from pytest_envssot.index import FieldRef, Index
from pytest_envssot.model import Layer, Location
from pytest_envssot.rules import _imported
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo

if TYPE_CHECKING:
    from pytest_envssot.pysettings.importmode import ImportFailure

ENV_NAMES_MATCH_IMPORT = Reporter("env-names-match-import")

SETTINGS_IMPORTS = Reporter("settings-imports")


def settings_imports(index: Index) -> Iterator[Finding]:
    rule = SETTINGS_IMPORTS
    if not index.config.import_settings:
        return
    for rel, classes in _imported.file_classes(index).items():
        loaded = _imported.load(index, rel)
        if _imported.failed(loaded):
            yield _import_failed(rel, loaded)
            continue
        missing = [c for c in classes if loaded is not None and c not in loaded]
        if missing:
            yield rule.failed(
                "", Location(rel, 0),
                lines=(f"{rel} imported, but has no BaseSettings class {', '.join(missing)} "
                       "after import (defined conditionally, or replaced at import)",),
            )  # fmt: skip
            continue
        yield rule.passed("", Location(rel, 0))


def _import_failed(rel: str, failure: ImportFailure) -> Finding:
    here = failure.path == rel
    lines = [f"import mode could not import {rel}: {failure.message}"]
    if failure.path and not here:
        lines.append(
            f"raised at {failure.path}:{failure.line}" if failure.line else f"in {failure.path}"
        )
    lines.append(
        "The static checks still ran; the type and env-name checks that need the real class "
        "are skipped until it imports."
    )
    if "ValidationError at import" in failure.message:
        lines.append(
            "Import mode runs the module with a minimal environment (no .env, none of the "
            "settings' variables): build the settings lazily (e.g. an lru_cache'd "
            "get_settings()) instead of at import."
        )
    location = Location(rel, failure.line if here else 0)
    return SETTINGS_IMPORTS.failed("", location, lines=tuple(lines))


def env_names_match_import(index: Index) -> Iterator[Finding]:
    rule = ENV_NAMES_MATCH_IMPORT
    if not index.config.import_settings:
        return
    by_name: dict[str, list[FieldRef]] = {}
    for ref in index.fields:
        by_name.setdefault(ref.primary, []).append(ref)
    for name, refs in by_name.items():
        at = refs[0].field.location
        problems: list[str] = []
        skipped: list[str] = []
        for ref in refs:
            outcome = _compare(index, ref)
            if outcome is None:
                continue
            (skipped if outcome[0] == "skip" else problems).extend(outcome[1])
        if problems:
            yield rule.failed(
                name, at,
                lines=(
                    *problems,
                    "Every other envssot rule uses the predicted names. Make the names visible "
                    "statically: literal env_prefix / alias / validation_alias in the class, "
                    "an alias_generator of pydantic's own (to_camel, to_snake...), no names "
                    "computed at import.",
                ),
            )  # fmt: skip
        elif skipped:
            yield rule.skipped(name, at, lines=tuple(dict.fromkeys(skipped)))
        else:
            yield rule.passed(name, at)


def _compare(index: Index, ref: FieldRef) -> tuple[str, list[str]] | None:
    owner = ref.owner.cls
    if "." in owner.name:
        return "skip", [
            f"{owner.name} is a nested class; import mode looks up module-level classes"
        ]
    real = _imported.real_field(index, ref)
    if _imported.failed(real):
        return "skip", [
            f"{_imported.failure_reason(real)} (see settings-imports for {owner.location.path})"
        ]
    if real is None:
        return None
    predicted = [n for n in ref.names if not n.nested]
    predicted_keys = {n.key for n in predicted}
    real_keys = set(real.names)
    if predicted_keys == real_keys:
        return None

    def shown(key: str) -> str:
        return key if real.case_sensitive else key.upper()

    where = f"{ref.field.location} {owner.name}.{ref.field.name}"
    only_predicted = [n.name for n in predicted if n.key not in real_keys]
    only_real = [shown(k) for k in real.names if k not in predicted_keys]
    lines = [
        f"{where}: envssot predicted {_listed([n.name for n in predicted])}",
        f"the imported class reads {_listed([shown(k) for k in real.names])} "
        "(pydantic-settings' own env source)",
    ]
    if only_predicted:
        lines.append(f"predicted but not read: {', '.join(only_predicted)}")
    if only_real:
        lines.append(f"read but not predicted: {', '.join(only_real)}")
    return "fail", lines


def _listed(names: list[str]) -> str:
    return ", ".join(names) if names else "no env name"


# --------------------------------------------------------------------------- the catalogue

_PYPROJECT = '[project]\nname = "demo"\n[tool.envssot]\nimport = true\nimport_timeout = 20\n'


def _example(
    config_py: str, env_example: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    files = mini_repo(config_py, env_example, extra=extra)
    files["pyproject.toml"] = _PYPROJECT
    return files


_PREFIX_CONST = {"app/naming.py": 'PREFIX = "SHOP_"\n'}
_PREFIXED = (
    "from pydantic_settings import SettingsConfigDict\n"
    "from app.naming import PREFIX\n\n\n"
    "class Settings(BaseSettings):\n"
    "    model_config = SettingsConfigDict(env_prefix=PREFIX)\n"
    "    workers: int = 2\n"
)

RULES = (
    Rule(
        SETTINGS_IMPORTS,
        Layer.SETTINGS,
        "import mode is on and the settings module cannot be imported (path:line of the cause)",
        settings_imports,
        hangs_under="`config.py`",
        details="import mode only: the settings module does not import (`path:line` of the cause; a hang is killed after `import_timeout`)",
        why="If the settings module does not import, the app does not start: found here before a deploy.",
        valid=(
            RuleExample(_example("class Settings(BaseSettings):\n    x: int = 1\n", "X=1\n"), ""),
        ),
        invalid=(
            RuleExample(
                _example(
                    "import missing_dependency_xyz\n\n\nclass Settings(BaseSettings):\n"
                    "    x: int = 1\n",
                    "X=1\n",
                ),
                "",
                message=(
                    "import mode could not import app/config.py: ModuleNotFoundError: No module named 'missing_dependency_xyz'",
                    "The static checks still ran; the type and env-name checks that need the real class are skipped until it imports.",
                ),
            ),
            RuleExample(
                _example(
                    "class Settings(BaseSettings):\n    x: int = 1\n\n\nraise SystemExit(3)\n",
                    "X=1\n",
                ),
                "",
                message=(
                    "import mode could not import app/config.py: the module called sys.exit(3) while being imported",
                    "The static checks still ran; the type and env-name checks that need the real class are skipped until it imports.",
                ),
            ),
        ),
    ),
    Rule(
        ENV_NAMES_MATCH_IMPORT,
        Layer.SETTINGS,
        "import mode is on and the env names envssot predicts differ from those the real class reads",
        env_names_match_import,
        hangs_under="`config.py`",
        details="import mode only: the env names envssot predicts differ from those the real class reads",
        why="Static analysis must read the same env names as the real class, or every other rule checks the wrong names.",
        valid=(
            RuleExample(
                _example(
                    'class Settings(BaseSettings):\n    workers: int = Field(2, alias="WORKERS")\n',
                    "WORKERS=2\n",
                ),
                "WORKERS",
            ),
        ),
        invalid=(
            RuleExample(
                _example(_PREFIXED, "WORKERS=2\n", _PREFIX_CONST),
                "WORKERS",
                message=(
                    "app/config.py:11 Settings.workers: envssot predicted WORKERS",
                    "the imported class reads SHOP_WORKERS (pydantic-settings' own env source)",
                    "predicted but not read: WORKERS",
                    "read but not predicted: SHOP_WORKERS",
                    "Every other envssot rule uses the predicted names. Make the names visible statically: literal env_prefix / alias / validation_alias in the class, an alias_generator of pydantic's own (to_camel, to_snake...), no names computed at import.",
                ),
            ),
        ),
    ),
)
