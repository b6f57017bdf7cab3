"""``layer-parses``: every layer file can be read, or says exactly where it cannot."""

from __future__ import annotations

from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.model import Layer, Location, ReaderError
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo

LAYER_PARSES = Reporter("layer-parses")


def _files(index: Index) -> Iterator[tuple[str, ReaderError | None]]:
    contract = index.contract
    for group in (contract.templates, contract.settings, contract.examples, contract.dockerfiles):
        for file in group:
            yield file.path, file.error or index.hierarchy_error(file.path)
    for error in contract.unreadable:
        yield error.location.path, error


def layer_parses(index: Index) -> Iterator[Finding]:
    seen: set[str] = set()
    for path, error in _files(index):
        if path in seen:
            continue
        seen.add(path)
        if error is None:
            yield LAYER_PARSES.passed("", Location(path, 0))
        else:
            yield LAYER_PARSES.failed(
                "",
                error.location,
                lines=(str(error), "Items of the other layers still ran; fix this file first."),
            )
    if not index.contract.settings:
        yield LAYER_PARSES.failed(
            "",
            Location(index.config.env_example, 0),
            lines=(
                "no settings class found: no Python file outside tests/ defines a BaseSettings "
                "subclass",
                'Point [tool.envssot] settings = ["path/to/config.py"] at it.',
            ),
        )


RULES = (
    Rule(
        LAYER_PARSES,
        Layer.REPO,
        "the file cannot be read (one item per file; message has path:line)",
        layer_parses,
        hangs_under="each layer file",
        details="the file cannot be read (message has `path:line`); the other layers' items still run, and items whose evidence sat in the broken file are skipped, not blamed",
        why="A file the tool cannot read silently drops every check of its layer; one failing item per file says so, with the line.",
        valid=(
            RuleExample(mini_repo("class Settings(BaseSettings):\n    x: int = 1\n", "X=1\n"), ""),
        ),
        invalid=(
            RuleExample(
                mini_repo("class Settings(BaseSettings:\n    x: int = 1\n", "X=1\n"),
                "",
                message=(
                    "app/config.py:5: syntax error: invalid syntax",
                    "Items of the other layers still ran; fix this file first.",
                ),
            ),
            RuleExample(
                mini_repo("class Settings(BaseSettings):\n    x: int = 1\n", "X=1\n", "{{ if }}\n"),
                "",
                message=(
                    "deploy/app/secrets.ctmpl:2: missing value for if",
                    "Items of the other layers still ran; fix this file first.",
                ),
            ),
        ),
    ),
)
