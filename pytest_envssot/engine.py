"""The one engine behind both faces: config -> files -> readers -> index -> findings.

The plugin and the CLI call :func:`check`; nothing here knows pytest.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pytest_envssot.config import Config, ConfigError, load_config
from pytest_envssot.discovery import LayerFiles, discover
from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.index import Index
from pytest_envssot.model import (
    ComposeFile,
    Contract,
    DockerFile,
    ExampleFile,
    Location,
    ReaderError,
    SettingsFile,
    TemplateFile,
)
from pytest_envssot.readers.compose import read_compose
from pytest_envssot.readers.dockerfile import read_dockerfile
from pytest_envssot.readers.example import read_example
from pytest_envssot.readers.settings import parse_module, read_settings
from pytest_envssot.readers.template import read_template
from pytest_envssot.redact import Redactor
from pytest_envssot.rules import ALL_RULES, RULES_BY_NAME, Rule
from pytest_envssot.rules._imported import close as close_import_session


@dataclass(frozen=True)
class Report:
    config: Config
    layers: LayerFiles
    index: Index
    findings: tuple[Finding, ...]
    redactor: Redactor

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome is Outcome.FAILED]

    def summary(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for finding in self.findings:
            counts[finding.outcome.value] += 1
        counts["total"] = len(self.findings)
        return counts


_LayerFile = TypeVar("_LayerFile", TemplateFile, SettingsFile, ExampleFile, DockerFile, ComposeFile)


def _read(
    reader: Callable[[Path, str], _LayerFile],
    kind: Callable[..., _LayerFile],
    root: Path,
    rel: str,
) -> _LayerFile:
    """One file through its reader; whatever escapes the reader fails that file only.

    Readers never raise by contract; this keeps a reader bug (or a RecursionError from a
    library they call) a failing ``layer-parses`` item instead of an INTERNALERROR. Only the
    exception's type is shown: its text could quote the file.
    """
    try:
        return reader(root / rel, rel)
    except (Exception, RecursionError, MemoryError) as exc:
        message = f"internal error reading this file ({type(exc).__name__}); please report it"
        return kind(path=rel, error=ReaderError(Location(rel, 0), message))


def read_contract(config: Config, layers: LayerFiles) -> Contract:
    """Read every layer file exactly once."""
    root = config.root
    return Contract(
        root=str(root),
        project=config.project,
        templates=tuple(_read(read_template, TemplateFile, root, p) for p in layers.templates),
        settings=tuple(_read(read_settings, SettingsFile, root, p) for p in layers.settings),
        examples=(_read(read_example, ExampleFile, root, layers.env_example),),
        dockerfiles=tuple(_read(read_dockerfile, DockerFile, root, p) for p in layers.dockerfiles),
        external=frozenset(config.external),
        infra=config.infra,
        compose=tuple(_read(read_compose, ComposeFile, root, p) for p in layers.compose),
    )


def select_rules(
    config: Config, only: Iterable[str] = (), disable: Iterable[str] = ()
) -> tuple[Rule, ...]:
    """``only`` (CLI/ini) or ``[tool.envssot] rules`` narrows; ``disable`` (both places) removes."""
    wanted = tuple(only) or config.rules
    off = {*config.disable, *disable}
    unknown = sorted((set(wanted) | off) - set(RULES_BY_NAME))
    if unknown:
        known = ", ".join(RULES_BY_NAME)
        raise ConfigError(f"unknown rule name(s): {', '.join(unknown)} (known: {known})")
    chosen = [r for r in ALL_RULES if not wanted or r.name in wanted]
    return tuple(r for r in chosen if r.name not in off)


def run_rules(index: Index, rules: Sequence[Rule], defer: bool = False) -> tuple[Finding, ...]:
    """Every finding; with ``defer`` the expensive ones keep their check for the item to run."""
    findings = (finding for rule in rules for finding in _guarded(rule, index))
    return tuple(findings if defer else (f.resolve() for f in findings))


def validate(
    root: Path,
    overrides: dict[str, object] | None = None,
    only: Iterable[str] = (),
    disable: Iterable[str] = (),
) -> None:
    """What :func:`check` would raise ConfigError for, without reading any layer file."""
    config = load_config(root, overrides)
    select_rules(config, only, disable)
    discover(config)


def _guarded(rule: Rule, index: Index) -> Iterator[Finding]:
    """A rule's findings; should the rule raise, one failing item says so instead of the
    whole run ending in an INTERNALERROR (only the type: the text could quote a value)."""
    try:
        yield from rule.check(index)
    except Exception as exc:
        yield Finding(
            rule.name,
            "",
            Outcome.FAILED,
            Location(index.config.env_example, 0),
            lines=(f"internal error in this rule ({type(exc).__name__}); please report it",),
        )


def check(
    root: Path,
    overrides: dict[str, object] | None = None,
    only: Iterable[str] = (),
    disable: Iterable[str] = (),
    defer: bool = False,
) -> Report:
    """Run the selected rules over the repository at ``root``. Raises ConfigError on bad config.

    ``defer`` (the pytest face) leaves expensive checks pending until their item runs.
    """
    config = load_config(root, overrides)
    rules = select_rules(config, only, disable)
    layers = discover(config)
    try:
        with _fewer_collections():
            index = Index.build(read_contract(config, layers), config)
            findings = run_rules(index, rules, defer)
            close_import_session(index)  # import mode's child: every answer it gives is in
            redactor = Redactor(index.secret_values(), index.public_names())
            return Report(config, layers, index, findings, redactor)
    finally:
        parse_module.cache_clear()  # the settings trees are shared within one run only


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A run allocates millions of long-lived objects (trees, fields, findings) and hardly any
    garbage cycles; at the default threshold the cyclic collector's passes over them took a
    fifth of a monorepo's check. Collect less often while checking; restore the user's setting."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 100_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
