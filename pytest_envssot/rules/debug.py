"""``debug-off``: a debug flag defaults to false; it is switched on where wanted, never by default."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import FieldRef, Index, literal_default
from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import Layer
from pytest_envssot.rules import _edits
from pytest_envssot.rules._text import field_line
from pytest_envssot.rules.base import DEBUG_FALSE, Reporter, Rule, RuleExample, mini_repo

DEBUG_OFF = Reporter("debug-off")

_DEBUG_NAME = re.compile(r"(?i)(?:^|_)debug(?:_|$)")
_BOOL = lazy_compile(r"^(?:bool|StrictBool|Optional\[bool\]|bool\s*\|\s*None|None\s*\|\s*bool)$")


def is_debug_flag(ref: FieldRef) -> bool:
    names = [ref.field.name, *(n.name for n in ref.names)]
    annotation = ref.field.annotation.replace("pydantic.", "").replace("typing.", "")
    return any(_DEBUG_NAME.search(n) for n in names) and bool(_BOOL.match(annotation.strip()))


def debug_off(index: Index) -> Iterator[Finding]:
    seen: set[str] = set()
    for ref in index.distinct_fields():
        if ref.primary in seen or not is_debug_flag(ref):
            continue
        seen.add(ref.primary)
        fld, at = ref.field, ref.field.location
        default = literal_default(fld.default) if fld.default is not None else None
        if default != "true":
            yield DEBUG_OFF.passed(ref.primary, at)
            continue
        yield DEBUG_OFF.failed(
            ref.primary,
            at,
            lines=(
                field_line(index, ref),
                f"{ref.owner.cls.name}.{fld.name} defaults to true. A debug flag that defaults to true is on wherever nobody sets it: production "
                "too, the day Vault or Dokploy forgets it (stack traces, debug endpoints, verbose "
                "logs with values in them).",
                f"Default it to False; turn it on locally with {ref.primary}=true in your .env:",
            ),
            fix=(f"{fld.name}: {fld.annotation} = False",),
            edit=_edits.field_set_default(ref, "False"),
        )


RULES = (
    Rule(
        DEBUG_OFF,
        Layer.SETTINGS,
        "a debug flag defaults to true",
        debug_off,
        hangs_under="`config.py`",
        details="a debug-named bool defaults to true",
        why="A debug flag on by default turns on stack traces and debug endpoints wherever someone forgot to set it.",
        valid=(RuleExample(mini_repo(*DEBUG_FALSE), "DEBUG"),),
        invalid=(
            RuleExample(
                mini_repo(
                    "class Settings(BaseSettings):\n    debug: bool = True\n", "DEBUG=false\n"
                ),
                "DEBUG",
                message=(
                    "app/config.py:6 Settings.debug reads DEBUG (bool, default true)",
                    "Settings.debug defaults to true. A debug flag that defaults to true is on wherever nobody sets it: production too, the day Vault or Dokploy forgets it (stack traces, debug endpoints, verbose logs with values in them).",
                    "Default it to False; turn it on locally with DEBUG=true in your .env:",
                ),
                fix=("debug: bool = False",),
            ),
            RuleExample(
                mini_repo(
                    "class Settings(BaseSettings):\n"
                    '    sql_debug: bool = Field(default=True, validation_alias="APP_SQL_DEBUG")\n',
                    "APP_SQL_DEBUG=false\n",
                ),
                "APP_SQL_DEBUG",
                message=(
                    "app/config.py:6 Settings.sql_debug reads APP_SQL_DEBUG (bool, default true)",
                    "Settings.sql_debug defaults to true. A debug flag that defaults to true is on wherever nobody sets it: production too, the day Vault or Dokploy forgets it (stack traces, debug endpoints, verbose logs with values in them).",
                    "Default it to False; turn it on locally with APP_SQL_DEBUG=true in your .env:",
                ),
                fix=("sql_debug: bool = False",),
            ),
        ),
    ),
)
