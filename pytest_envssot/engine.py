"""The one engine behind both faces: config -> files -> readers -> index -> findings.

The plugin and the CLI call :func:`check`; nothing here knows pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from pytest_envssot.adoption import PSEUDO_RULES, Adoption
from pytest_envssot.adoption import apply as adopt
from pytest_envssot.adoption.baseline import BASELINE_FILE, Entry
from pytest_envssot.adoption.baseline import load as load_baseline
from pytest_envssot.config import Config, ConfigError, load_config
from pytest_envssot.discovery import LayerFiles, discover
from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.gc_threshold import fewer_collections
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
from pytest_envssot.readers.example import parse_example, read_example
from pytest_envssot.readers.settings import parse_module, parse_settings, read_settings
from pytest_envssot.readers.template import parse_template, read_template
from pytest_envssot.records import frozen
from pytest_envssot.redact import Redactor
from pytest_envssot.rules import CONTRACT_RULES, RULES_BY_NAME, Rule
from pytest_envssot.safefile import file_limit
from pytest_envssot.secretscan import scan


@frozen(slots=False)
class Report:
    """What one check found, with what it needs to render it."""

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


Progress = Callable[[int, int], None]  # (files read, files to read)


def read_contract(
    config: Config,
    layers: LayerFiles,
    texts: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Contract:
    """Read every layer file exactly once; ``progress`` hears after each file.

    ``texts`` (path -> text) stands in for files on disk: ``envssot fix`` checks its edits
    before writing anything.
    """
    root = config.root
    given: Mapping[str, str] = texts or {}
    total = (
        len(layers.templates) + len(layers.settings) + 1 + len(layers.dockerfiles)
        + len(layers.compose)
    )  # fmt: skip
    done = 0

    def each(
        reader: Callable[[Path, str], _LayerFile],
        kind: Callable[..., _LayerFile],
        rel: str,
        parser: Callable[[str, str], _LayerFile] | None = None,
    ) -> _LayerFile:
        nonlocal done
        if parser is not None and rel in given:
            read = parser(given[rel], rel)
        else:
            read = _read(reader, kind, root, rel)
        done += 1
        if progress is not None:
            progress(done, total)
        return read

    return Contract(
        root=str(root),
        project=config.project,
        templates=tuple(
            each(read_template, TemplateFile, p, parse_template) for p in layers.templates
        ),
        settings=tuple(
            each(read_settings, SettingsFile, p, parse_settings) for p in layers.settings
        ),
        examples=(
            _with_search_hint(
                each(read_example, ExampleFile, layers.env_example, parse_example), layers
            ),
        ),
        dockerfiles=tuple(each(read_dockerfile, DockerFile, p) for p in layers.dockerfiles),
        external=frozenset(config.external),
        infra=config.infra,
        compose=tuple(each(read_compose, ComposeFile, p) for p in layers.compose),
        unreadable=tuple(
            ReaderError(
                Location(folder, 0), f"cannot read folder: {why}; layer files in it are missed"
            )
            for folder, why in layers.unreadable
        ),
        odd_gitignores=layers.odd_gitignores,
    )


def _with_search_hint(read: ExampleFile, layers: LayerFiles) -> ExampleFile:
    """A missing example file that discovery searched for says where and under which names."""
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
    # live and smoke rules are run by their own runners, when their option asks for them
    chosen = [r for r in CONTRACT_RULES if not wanted or r.name in wanted]
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
    texts: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    baseline: Path | bool | None = None,
) -> Report:
    """Run the selected rules over the repository at ``root``. Raises ConfigError on bad config.

    ``defer`` (the pytest face) leaves expensive checks pending until their item runs;
    ``texts`` replaces the content of some layer files (see :func:`read_contract`);
    ``progress`` (the CLI) hears how far reading the layer files got.
    ``baseline``: a file (relative to the current folder), None for the repository's
    ``.envssot-baseline.json`` when there is one, False for none.
    """
    config = load_config(root, overrides)
    rules = select_rules(config, only, disable)
    layers = discover(config)
    config = replace(config, env_example=layers.env_example)
    how = _adoption(config, rules, only, disable, baseline)
    # The verdicts on the previous run's values (kept for its output and deferred checks).
    scan.cache_clear()
    try:
        with fewer_collections(), file_limit(config.max_file_bytes):
            index = Index.build(read_contract(config, layers, texts, progress), config)
            findings = adopt(config.root, layers, run_rules(index, rules, defer), how)
            index.close_services()  # e.g. import mode's child: every answer it gives is in
            redactor = Redactor(index.secret_values(), index.public_names())
            return Report(config, layers, index, findings, redactor)
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
