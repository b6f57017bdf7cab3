"""pytest hooks only: options, gating, items, failure text, reportinfo.

Without ``--envssot`` (or ``envssot = true`` in the ini) every hook returns at once, and
nothing heavier than this module is imported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_envssot.engine import Report
    from pytest_envssot.findings import Finding

# Naming and branch-database fixtures: registered always, inert until a test asks for one.
pytest_plugins = ["pytest_envssot.isolation.fixtures"]

_REPORT = pytest.StashKey["Report"]()
_BY_PATH = pytest.StashKey[dict[str, list["Finding"]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("envssot", "environment variable single source of truth")
    group.addoption(
        "--envssot",
        action="store_true",
        default=False,
        help="collect one item per rule x variable for the env-var contract",
    )
    group.addoption(
        "--envssot-only",
        action="store_true",
        default=False,
        help="the contract items and nothing else: no conftest.py, no test module is imported "
        "(a lint job without the app's dependencies)",
    )
    group.addoption(
        "--envssot-baseline",
        default=None,
        metavar="FILE",
        help="accept the failures FILE lists (default: .envssot-baseline.json when present)",
    )
    group.addoption(
        "--envssot-rules",
        default=None,
        metavar="NAMES",
        help="comma-separated rule names to run (default: all not disabled)",
    )
    group.addoption(
        "--envssot-disable",
        default=None,
        metavar="NAMES",
        help="comma-separated rule names to switch off (adds to [tool.envssot] disable)",
    )
    group.addoption(
        "--envssot-root",
        default=None,
        metavar="PATH",
        help="repository to check (default: the nearest pyproject.toml with [tool.envssot] "
        "from the current directory up to rootdir, else rootdir)",
    )
    group.addoption(
        "--envssot-examples",
        default=None,
        type=int,
        metavar="N",
        help="hypothesis examples per template var for template-roundtrip (default 25)",
    )
    group.addoption(
        "--envssot-seed",
        default=None,
        type=int,
        metavar="SEED",
        help="fixed seed for template-roundtrip's draws (CI=true derandomizes without one)",
    )
    group.addoption(
        "--envssot-import",
        action="store_true",
        default=None,
        help="import mode for this run (like envssot_import = true)",
    )
    group.addoption(
        "--envssot-vault",
        default=None,
        metavar="ENV",
        help="read each template's Vault path for ENV (VAULT_ADDR, read-only VAULT_APP_TOKEN): "
        "one item per key, plus one per key no template reads; refuses a root token",
    )
    group.addoption(
        "--envssot-vault-timeout",
        default=None,
        type=float,
        metavar="SECONDS",
        help="timeout of each Vault request (default 5)",
    )
    group.addoption(
        "--envssot-frontend-build",
        default=None,
        metavar="DIR",
        help="check a built Next.js output (DIR, DIR/.next or DIR/.next/static) carries every "
        "NEXT_PUBLIC_* value, none empty or a placeholder",
    )
    # Smoke checks: does each service the settings describe answer (README "Smoke checks").
    group.addoption(
        "--envssot-smoke",
        action="store_true",
        default=False,
        help="one item per service the settings describe: PostgreSQL, Redis, S3, AI API",
    )
    group.addoption(
        "--envssot-critical-only",
        action="store_true",
        default=False,
        help="smoke-check the critical services only (database and S3); implies --envssot-smoke",
    )
    group.addoption(
        "--envssot-env-file",
        default=None,
        metavar="PATH",
        help="values for the smoke checks (e.g. a rendered Vault file); wins over the environment",
    )
    group.addoption(
        "--envssot-smoke-timeout",
        default=None,
        type=float,
        metavar="SECONDS",
        help="timeout of each smoke check (default: [tool.envssot.smoke] timeout, else 5)",
    )
    parser.addini("envssot_smoke", type="bool", default=False, help="run the smoke checks")
    parser.addini(
        "envssot_critical_only", type="bool", default=False, help="smoke-check critical only"
    )
    parser.addini("envssot_env_file", default="", help="env file the smoke checks read")
    parser.addini("envssot_smoke_timeout", default="", help="seconds per smoke check")
    parser.addini("envssot", type="bool", default=False, help="run the envssot contract items")
    parser.addini(
        "envssot_only", type="bool", default=False, help="run the contract items and nothing else"
    )
    parser.addini("envssot_examples", default="", help="hypothesis examples per template var")
    parser.addini("envssot_seed", default="", help="fixed seed for template-roundtrip")
    parser.addini(
        "envssot_import",
        type="bool",
        default=None,
        help="import mode: a child process imports the settings modules to validate types "
        "static reading cannot resolve and to prove the env names (see README)",
    )
    parser.addini(
        "envssot_import_timeout",
        default="",
        help="seconds each import-mode request may take before the child is killed (default 30)",
    )
    parser.addini("envssot_rules", type="args", default=[], help="rule names to run")
    parser.addini("envssot_disable", type="args", default=[], help="rule names to switch off")


def _contract(config: pytest.Config) -> bool:
    return bool(config.getoption("envssot") or config.getini("envssot") or _only(config))


def _only(config: pytest.Config) -> bool:
    return bool(config.getoption("envssot_only") or config.getini("envssot_only"))


def _live(config: pytest.Config) -> bool:
    """The opt-in families that look outside the repository (Vault, a frontend build)."""
    return bool(config.getoption("envssot_vault") or config.getoption("envssot_frontend_build"))


def _critical_only(config: pytest.Config) -> bool:
    return bool(config.getoption("envssot_critical_only") or config.getini("envssot_critical_only"))


def _smoke_enabled(config: pytest.Config) -> bool:
    return bool(
        config.getoption("envssot_smoke")
        or config.getini("envssot_smoke")
        or _critical_only(config)
    )


def _enabled(config: pytest.Config) -> bool:
    return _contract(config) or _live(config) or _smoke_enabled(config)


def _names(option: str | None, ini: list[str]) -> list[str]:
    raw = [part for value in ([option] if option else []) for part in value.split(",")]
    return [name.strip() for name in [*raw, *ini] if name.strip()]


def pytest_configure(config: pytest.Config) -> None:
    if not _enabled(config):
        return
    config.addinivalue_line("markers", "envssot: an environment-variable contract item")
    if _contract(config):
        # The repository's own tests failing to import must not hide the contract: pytest
        # still reports those collection errors (and the run fails), but runs our items.
        config.option.continue_on_collection_errors = True
    if os.environ.get("GITHUB_ACTIONS") == "true" and not hasattr(config, "workerinput"):
        config.pluginmanager.register(GithubAnnotations(), "envssot-github-annotations")
    from pytest_envssot.config import ConfigError
    from pytest_envssot.engine import check, validate

    rules = _names(config.getoption("envssot_rules"), config.getini("envssot_rules"))
    disable = _names(config.getoption("envssot_disable"), config.getini("envssot_disable"))
    if not _contract(config):
        rules = ["layer-parses"]  # the cheapest rule; only the opt-in families' items are kept
    try:
        if _xdist_controller(config) and not (_live(config) or _smoke_enabled(config)):
            # Only workers collect; the controller just reports a bad configuration early
            # instead of reading the whole repository a third time before they start. (The
            # live and smoke checks may refuse to run, a usage error: they still run here.)
            validate(
                _repo_root(config),
                _overrides(config),
                only=rules,
                disable=disable,
                baseline=_from_invocation(config, config.getoption("envssot_baseline")),
            )
            return
        report = check(
            _repo_root(config),
            _overrides(config),
            only=rules,
            disable=disable,
            defer=True,
            baseline=_from_invocation(config, config.getoption("envssot_baseline")),
        )
        if _live(config):
            from pytest_envssot.live.runner import with_live_findings

            report = with_live_findings(
                report,
                keep_contract=_contract(config),
                vault_env=config.getoption("envssot_vault"),
                vault_timeout=config.getoption("envssot_vault_timeout"),
                frontend_build=_from_invocation(config, config.getoption("envssot_frontend_build")),
            )
        if _smoke_enabled(config):
            report = _with_smoke(config, report)
    except ConfigError as exc:
        raise pytest.UsageError(f"envssot: {exc}") from None
    config.stash[_REPORT] = report
    config.stash[_BY_PATH] = _by_path(report)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Any:
    """``--envssot-only`` loads no conftest.py (they import the app); with ``--envssot`` an
    initial conftest that fails to import is left for collection to report as an error."""
    # pytest exports no public name for it; it is what an initial conftest's import error raises
    from _pytest.config import ConftestImportFailure

    namespace = early_config.known_args_namespace
    only = bool(getattr(namespace, "envssot_only", False) or early_config.getini("envssot_only"))
    if only:
        namespace.noconftest = True
    try:
        return (yield)
    except ConftestImportFailure:
        contract = getattr(namespace, "envssot", False) or early_config.getini("envssot")
        if not (contract or only):
            raise
        return None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Contract-only: nothing but the layer files and the folders on the way to them."""
    if not _only(config) or _REPORT not in config.stash:
        return None
    root = config.stash[_REPORT].config.root
    try:
        rel = collection_path.resolve().relative_to(root).as_posix()
    except ValueError:
        return True
    by_path = config.stash[_BY_PATH]
    if rel in by_path or rel == ".":
        return None
    if collection_path.is_dir() and any(p.startswith(rel + "/") for p in by_path):
        return None
    return True


def _xdist_controller(config: pytest.Config) -> bool:
    """pytest-xdist's controller process: it schedules items its workers collect."""
    if hasattr(config, "workerinput") or config.getoption("collectonly"):
        return False  # a worker, or --collect-only (which xdist leaves to the controller)
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def _with_smoke(config: pytest.Config, report: Report) -> Report:
    """``report`` plus one smoke item per service. Smoke checks alone keep no contract item but
    a settings file they could not read (no silent zero)."""
    from dataclasses import replace

    from pytest_envssot import smoke
    from pytest_envssot.findings import Outcome

    kept = report.findings
    if not (_contract(config) or _live(config)):
        settings_files = set(report.layers.settings)
        kept = tuple(
            f for f in kept if f.outcome is Outcome.FAILED and f.location.path in settings_files
        )
    timeout = config.getoption("envssot_smoke_timeout")
    ini_timeout = str(config.getini("envssot_smoke_timeout") or "").strip()
    # the option is relative to where pytest runs, the ini value to the ini file
    env_file = config.getoption("envssot_env_file")
    folder = config.invocation_params.dir
    if not env_file:
        env_file = str(config.getini("envssot_env_file") or "")
        folder = config.inipath.parent if config.inipath else config.rootpath
    try:
        env_path = folder / env_file if env_file else None
        timeout = timeout if timeout is not None else ini_timeout or None
        checks = smoke.checks_for(report, env_path, env_file, timeout, _critical_only(config))
    except smoke.EnvFileError as exc:
        raise pytest.UsageError(f"envssot: --envssot-env-file {exc}") from None
    return replace(report, findings=(*kept, *checks))


def _overrides(config: pytest.Config) -> dict[str, object]:
    """Command line beats ini beats [tool.envssot]."""
    out: dict[str, object] = {}
    for key in ("examples", "seed"):
        value = config.getoption(f"envssot_{key}")
        ini = str(config.getini(f"envssot_{key}") or "").strip()
        if value is not None:
            out[key] = value
        elif ini:
            out[key] = ini
    imported = config.getoption("envssot_import") or config.getini("envssot_import")
    if imported is not None:
        out["import"] = bool(imported)
    timeout = str(config.getini("envssot_import_timeout") or "").strip()
    if timeout:
        out["import_timeout"] = timeout
    return out


def _from_invocation(config: pytest.Config, path: str | None) -> Path | None:
    return None if path is None else config.invocation_params.dir / path


def _repo_root(config: pytest.Config) -> Path:
    from pytest_envssot.isolation.fixtures import repo_root

    return repo_root(config)


def _by_path(report: Report) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in report.findings:
        grouped.setdefault(finding.location.path, []).append(finding)
    return grouped


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if not _enabled(config) or _REPORT not in config.stash:
        return None
    report = config.stash[_REPORT]
    try:
        rel = file_path.resolve().relative_to(report.config.root).as_posix()
    except ValueError:
        return None
    by_path = config.stash[_BY_PATH]
    if rel not in by_path:
        return None
    # Under a package (a folder with __init__.py), pytest imports that __init__.py to set the
    # package up before any item in it runs: our items read files and must execute nothing,
    # so they hang under the session, with the same node ids.
    if any(isinstance(node, pytest.Package) for node in parent.listchain()):
        parent = parent.session
    return LayerFile.from_parent(parent, path=file_path, findings=by_path[rel])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add the layer files the walk did not reach (``pytest --envssot tests/``, testpaths)."""
    if not _enabled(config) or _REPORT not in config.stash:
        return
    if any("::" in arg for arg in config.args):
        return  # the user picked items by node id; add nothing else
    root = config.stash[_REPORT].config.root
    # pytest may call pytest_collect_file for files it then drops, so look at what survived.
    present = {item.path for item in items if isinstance(item, RuleItem)}
    for rel, findings in config.stash[_BY_PATH].items():
        if root / rel in present:
            continue
        items.extend(LayerFile.from_parent(session, path=root / rel, findings=findings).collect())


class LayerFile(pytest.File):
    """A layer file (template, config.py, .env.example, Dockerfile) holding its rule items."""

    def __init__(self, *, findings: list[Finding], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.findings = findings

    def collect(self) -> list[pytest.Item]:
        return [RuleItem.from_parent(self, name=f.name, finding=f) for f in self.findings]


class EnvssotWarning(pytest.PytestWarning):
    """A failure of a rule listed under ``[tool.envssot] warn``: shown, not failing."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under GitHub Actions the annotation travels on the report: pytest-xdist ships a
    report's attributes to the controller, which prints them."""
    report = yield
    annotation = getattr(item, "annotation", None) if isinstance(item, RuleItem) else None
    if annotation and call.when == "call":
        report.envssot_annotation = annotation
    return report


class GithubAnnotations:
    """Registered under ``GITHUB_ACTIONS=true``: collects the annotations of every report
    (this process's, or the workers' under xdist) and prints them after the summary."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        line = getattr(report, "envssot_annotation", None)
        if isinstance(line, str) and line not in self.lines:
            self.lines.append(line)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for line in self.lines:
            terminalreporter.write_line(line)


class ContractFailure(Exception):
    """A rule failed; its text is the whole failure report (no traceback)."""


class RuleItem(pytest.Item):
    def __init__(self, *, finding: Finding, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.finding = finding
        self.annotation: str | None = None
        self.add_marker("envssot")

    def runtest(self) -> None:
        from pytest_envssot.findings import Outcome

        self.finding = self.finding.resolve()
        scrub = self.config.stash[_REPORT].redactor.scrub
        finding = self.finding
        if finding.outcome is Outcome.FAILED:
            if finding.baselined:
                pytest.xfail("baselined")
            text = scrub(finding.render())
            if os.environ.get("GITHUB_ACTIONS") == "true":
                from pytest_envssot.output import github_annotation

                self.annotation = github_annotation(finding, scrub)
            if finding.level == "warning":
                import warnings

                warnings.warn(EnvssotWarning(text), stacklevel=1)
                return
            raise ContractFailure(text)
        if finding.outcome is Outcome.SKIPPED:
            pytest.skip(scrub(" ".join(finding.lines)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ContractFailure):
            return str(excinfo.value)
        # A bug of ours: say so without a traceback that could carry values in its locals.
        return f"{self.nodeid}: envssot internal error: {type(excinfo.value).__name__}"

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        line = self.finding.location.line
        return self.path, (line - 1 if line else None), self.finding.name
