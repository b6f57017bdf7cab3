"""The one engine behind both faces: config -> files -> readers -> index -> findings.

The plugin and the CLI call :func:`check`; nothing here knows pytest.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from pytest_envssot.adoption import PSEUDO_RULES, Adoption
from pytest_envssot.adoption import apply as adopt
from pytest_envssot.adoption.baseline import BASELINE_FILE, Entry
from pytest_envssot.adoption.baseline import load as load_baseline
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
        """The failures that fail the run (not warnings, not baselined)."""
        return [f for f in self.findings if f.blocking]

    @property
    def problems(self) -> list[Finding]:
        """Every failure, warnings and baselined ones included."""
        return [f for f in self.findings if f.outcome is Outcome.FAILED]

    def summary(self) -> dict[str, int]:
        """Counts per outcome; ``failed`` counts what fails the run, ``warnings`` and
        ``baselined`` the failures that do not."""
        counts = {o.value: 0 for o in Outcome}
        counts.update(warnings=0, baselined=0)
        for finding in self.findings:
            if finding.outcome is Outcome.FAILED and finding.baselined:
                counts["baselined"] += 1
            elif finding.outcome is Outcome.FAILED and finding.level == "warning":
                counts["warnings"] += 1
            else:
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
        examples=(_read_example(root, layers),),
        dockerfiles=tuple(_read(read_dockerfile, DockerFile, root, p) for p in layers.dockerfiles),
        external=frozenset(config.external),
        infra=config.infra,
        compose=tuple(_read(read_compose, ComposeFile, root, p) for p in layers.compose),
    )


def _read_example(root: Path, layers: LayerFiles) -> ExampleFile:
    read = _read(read_example, ExampleFile, root, layers.env_example)
    if layers.example_searched and read.error is not None:
        from pytest_envssot.discovery import EXAMPLE_NAMES

        where = ", ".join(layers.example_searched)
        message = (
            f"no example env file found: looked for {', '.join(EXAMPLE_NAMES)} in {where}; "
            'if yours has another name or place, set [tool.envssot] env_example = "path/to/it"'
        )
        return replace(read, error=ReaderError(Location(layers.env_example, 0), message))
    return read


def select_rules(
    config: Config, only: Iterable[str] = (), disable: Iterable[str] = ()
) -> tuple[Rule, ...]:
    """``only`` (CLI/ini) or ``[tool.envssot] rules`` narrows; ``disable`` (both places) removes."""
    wanted = tuple(only) or config.rules
    off = {*config.disable, *disable}
    unknown = sorted(
        (set(wanted) | off | set(config.warn)) - set(RULES_BY_NAME) - set(PSEUDO_RULES)
    )
    if unknown:
        known = ", ".join((*RULES_BY_NAME, *PSEUDO_RULES))
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
    baseline: Path | bool | None = None,
) -> None:
    """What :func:`check` would raise ConfigError for, without reading any layer file."""
    config = load_config(root, overrides)
    rules = select_rules(config, only, disable)
    discover(config)
    _adoption(config, rules, only, disable, baseline)


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
    baseline: Path | bool | None = None,
) -> Report:
    """Run the selected rules over the repository at ``root``. Raises ConfigError on bad config.

    ``defer`` (the pytest face) leaves expensive checks pending until their item runs.
    ``baseline``: a file (relative to the current folder), None for the repository's
    ``.envssot-baseline.json`` when there is one, False for none.
    """
    config = load_config(root, overrides)
    rules = select_rules(config, only, disable)
    layers = discover(config)
    config = replace(config, env_example=layers.env_example)
    how = _adoption(config, rules, only, disable, baseline)
    try:
        with _fewer_collections():
            index = Index.build(read_contract(config, layers), config)
            findings = adopt(config.root, layers, run_rules(index, rules, defer), how)
            close_import_session(index)  # import mode's child: every answer it gives is in
            return Report(config, layers, index, findings, Redactor(index.secret_values()))
    finally:
        parse_module.cache_clear()  # the settings trees are shared within one run only


def _adoption(
    config: Config,
    rules: Sequence[Rule],
    only: Iterable[str],
    disable: Iterable[str],
    baseline: Path | bool | None,
) -> Adoption:
    off = {*config.disable, *disable}
    # Ignores are judged only in a full run (or when asked for by name): a run narrowed to a
    # few rules (`envssot vars`, --rules) cannot tell what every ignore suppresses.
    wanted = set(only) or set(config.rules)
    judged = {"stale-baseline"} | (
        {"unused-ignore"} if not wanted or "unused-ignore" in wanted else set()
    )
    ran = {r.name for r in rules} | {name for name in judged if name not in off}
    entries: tuple[Entry, ...] | None = None
    shown = BASELINE_FILE
    if baseline is None and (config.root / BASELINE_FILE).is_file():
        baseline = config.root / BASELINE_FILE
    if isinstance(baseline, Path):
        path = baseline.resolve()
        try:
            shown = path.relative_to(config.root).as_posix()
        except ValueError:
            shown = str(path)
        entries = load_baseline(path, shown)
    return Adoption(
        ran=frozenset(ran),
        known=frozenset((*RULES_BY_NAME, *PSEUDO_RULES)),
        warn=frozenset(config.warn),
        baseline=entries,
        baseline_path=shown,
    )


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
