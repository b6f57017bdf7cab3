"""``unique-env-name``: one field per env name in a class, one line per key in .env.example."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import FieldRef, Index
from pytest_envssot.model import ExampleEntry, Layer
from pytest_envssot.rules import _edits
from pytest_envssot.rules._text import field_line
from pytest_envssot.rules.base import DEBUG_FALSE, Reporter, Rule, RuleExample, mini_repo

UNIQUE_ENV_NAME = Reporter("unique-env-name")


def unique_env_name(index: Index) -> Iterator[Finding]:
    yield from _unique_fields(index)
    yield from _unique_example_keys(index)


def _unique_fields(index: Index) -> Iterator[Finding]:
    readers: dict[str, list[FieldRef]] = defaultdict(list)
    display: dict[str, str] = {}
    for ref in index.fields:
        # Two classes reading one var is normal (two services); two fields of one class is not.
        for name in ref.names:
            key = f"{ref.owner.cls.qualname}\0{name.key}"
            if ref not in readers[key]:
                readers[key].append(ref)
            display.setdefault(key, name.name)
    reported: set[tuple[str, str]] = set()
    for key, refs in readers.items():
        shown = display[key]
        first = refs[0].field.location
        if (first.path, shown) in reported:
            continue
        reported.add((first.path, shown))
        if len(refs) == 1:
            yield UNIQUE_ENV_NAME.passed(shown, first)
            continue
        yield UNIQUE_ENV_NAME.failed(
            shown,
            refs[1].field.location,
            lines=(
                f"{len(refs)} fields of {refs[0].owner.cls.name} read {shown}:",
                *(field_line(index, r) for r in refs),
                "pydantic-settings feeds the same value to each; keep one field, or give each its own name.",
            ),
        )


def _unique_example_keys(index: Index) -> Iterator[Finding]:
    entries: dict[str, list[ExampleEntry]] = defaultdict(list)
    for entry in index.example_entries(include_commented=False):
        entries[entry.key].append(entry)
    for key, found in entries.items():
        if len(found) == 1:
            yield UNIQUE_ENV_NAME.passed(key, found[0].location)
            continue
        lines = ", ".join(str(e.location.line) for e in found)
        yield UNIQUE_ENV_NAME.failed(
            key,
            found[1].location,
            lines=(
                f"{key} is set {len(found)} times in {found[0].location.path} (lines {lines})",
                "python-dotenv keeps the last one; readers see the first. Keep one line.",
            ),
            edit=_edits.example_dedupe(found),
        )


RULES = (
    Rule(
        UNIQUE_ENV_NAME,
        Layer.SETTINGS,
        "two fields read the same env name, or an example key is duplicated",
        unique_env_name,
        hangs_under="`config.py` / `.env.example`",
        details="two fields of one class read one env name, or an example key is set twice",
        why="Two fields reading one name, or one key set twice, means one of them silently wins; which one depends on order, not intent.",
        valid=(RuleExample(mini_repo(*DEBUG_FALSE), "DEBUG"),),
        invalid=(
            RuleExample(
                mini_repo(
                    "class Settings(BaseSettings):\n    debug: bool = False\n"
                    '    verbose: bool = Field(default=False, validation_alias="DEBUG")\n',
                    "DEBUG=false\n",
                ),
                "DEBUG",
                message=(
                    "2 fields of Settings read DEBUG:",
                    "app/config.py:6 Settings.debug reads DEBUG (bool, default false)",
                    "app/config.py:7 Settings.verbose reads DEBUG (bool, default false)",
                    "pydantic-settings feeds the same value to each; keep one field, or give each its own name.",
                ),
            ),
            RuleExample(
                mini_repo(
                    "class Settings(BaseSettings):\n    debug: bool = False\n",
                    "DEBUG=false\nDEBUG=true\n",
                ),
                "DEBUG",
                message=(
                    "DEBUG is set 2 times in .env.example (lines 1, 2)",
                    "python-dotenv keeps the last one; readers see the first. Keep one line.",
                ),
            ),
        ),
    ),
)
