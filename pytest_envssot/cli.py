"""``envssot``: the same engine as the plugin, without pytest.

Exit codes: 0 every check passed, 1 a rule failed, 2 usage or configuration error,
3 an internal error (reported without a traceback). ``envssot render`` (offline Vault Agent
render, :mod:`pytest_envssot.vault.offline`) keeps the same meanings.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pytest_envssot import __version__
from pytest_envssot.gc_threshold import for_this_process

if TYPE_CHECKING:
    from pytest_envssot.engine import Report


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command line; only the options of the command ``argv`` names are declared (every
    command's when it names none: ``envssot --help``). Each option builds a help formatter:
    declaring all of them took ~1.5 ms of every check."""
    parser = argparse.ArgumentParser(prog="envssot", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"envssot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, (help_text, declare) in _COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        if named not in _COMMANDS or named == name:
            declare(command)
    return parser


def _check_options(check: argparse.ArgumentParser) -> None:
    check.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument("--diff", action="store_true", help="print the .env.example lines to add")
    check.add_argument("--rules", default="", help="comma-separated rule names to run")
    check.add_argument("--disable", default="", help="comma-separated rule names to switch off")
    check.add_argument("-v", "--verbose", action="store_true", help="list passed checks too")
    check.add_argument(
        "--import",
        dest="import_mode",
        action="store_true",
        default=None,
        help="import mode: import the settings modules in a child process (README)",
    )
    check.add_argument(
        "--import-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds each import-mode request may take (default 30)",
    )
    check.add_argument(
        "--frontend-build",
        metavar="DIR",
        default=None,
        help="also check a built Next.js output (DIR, DIR/.next or DIR/.next/static) carries "
        "every NEXT_PUBLIC_* value (next-public-in-build)",
    )
    check.add_argument(
        "--baseline",
        metavar="FILE",
        default=None,
        help="accept the failures FILE lists (default: .envssot-baseline.json when present)",
    )


def _vars_options(inv: argparse.ArgumentParser) -> None:
    inv.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    inv.add_argument("--format", choices=("text", "json"), default="text")


def _render_options(ren: argparse.ArgumentParser) -> None:
    ren.add_argument("template", help="the .ctmpl file")
    ren.add_argument(
        "--secrets",
        action="append",
        required=True,
        metavar="[VAULT_PATH=]FILE",
        help="`vault kv get -format=json` output, or an object of them keyed by Vault path "
        "(repeatable)",
    )
    ren.add_argument("--env", required=True, help='the value of env "ENV" (e.g. production)')
    ren.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="another env value"
    )
    ren.add_argument("--out", help="write the rendered file here (0600); - for stdout")
    ren.add_argument("--out-in-repo", action="store_true", help="allow --out inside the repository")
    ren.add_argument(
        "--validate",
        action="store_true",
        help="build the settings class from the rendered file (import mode); exit 1 and write "
        "nothing when it refuses",
    )
    ren.add_argument(
        "--settings", metavar="FILE:CLASS", help="the class --validate builds (default: found)"
    )
    ren.add_argument(
        "--import-timeout", type=float, default=30.0, metavar="SECONDS", help="for --validate"
    )


def _fix_options(fix: argparse.ArgumentParser) -> None:
    fix.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    fix.add_argument("--rules", default="", help="comma-separated rule names to fix")
    fix.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    fix.add_argument(
        "--diff", action="store_true", help="print the change as one patch; write nothing"
    )
    fix.add_argument(
        "--keep-orphans",
        action="store_true",
        help="add a settings field for a var no field reads (instead of leaving it to you)",
    )


def _smoke_options(smoke: argparse.ArgumentParser) -> None:
    smoke.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    smoke.add_argument("--critical-only", action="store_true", help="database and S3 only")
    smoke.add_argument("--env-file", default=None, help="values to use (wins over the environment)")
    smoke.add_argument("--timeout", type=float, default=None, help="seconds per check")


def _baseline_options(base: argparse.ArgumentParser) -> None:
    """``envssot baseline [PATH] [--prune]`` (``check --baseline FILE`` reads one)."""
    base.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    base.add_argument(
        "--prune",
        action="store_true",
        help="only remove the entries that no longer fail (add none)",
    )


# name -> (help, what declares its options), in the order `envssot --help` lists them
_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "check": ("run every contract rule over a repository", _check_options),
    "baseline": (
        "accept today's failures into .envssot-baseline.json (new ones fail)",
        _baseline_options,
    ),
    "vars": ("list every variable and the layers that hold it", _vars_options),
    "render": (
        "render a Vault Agent template offline from `vault kv get` JSON",
        _render_options,
    ),
    "fix": ("apply every mechanical fix across the three layers", _fix_options),
    "smoke": ("check that each service the settings describe answers", _smoke_options),
}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def console() -> NoReturn:
    """The ``envssot`` command: :func:`main` in a process of its own."""
    for_this_process()
    sys.exit(main())


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv).parse_args(argv)
    # template-roundtrip's hypothesis keeps storage under ./.hypothesis; a check writes nothing
    # where it runs, so (unless the user chose a place) it gets a folder that goes with it.
    if "HYPOTHESIS_STORAGE_DIRECTORY" in os.environ:
        return _main(args)
    with tempfile.TemporaryDirectory(prefix="envssot-hypothesis-") as storage:
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = storage
        try:
            return _main(args)
        finally:
            del os.environ["HYPOTHESIS_STORAGE_DIRECTORY"]


def _main(args: argparse.Namespace) -> int:
    if args.command == "render":
        return _render(args)
    if args.command == "fix":
        return _fix(args)
    from pytest_envssot.config import ConfigError
    from pytest_envssot.engine import check

    root = Path(args.path)
    if not root.is_dir():
        print(f"envssot: error: {args.path}: not a directory", file=sys.stderr)
        return 2
    try:
        if args.command == "smoke":
            return _smoke(check(root, only=("layer-parses",)), args)
        if args.command == "baseline":
            return _baseline(root, args)
        if args.command == "vars":
            report = check(root, only=("layer-parses",))
        else:
            overrides: dict[str, object] = {}
            if args.import_mode:
                overrides["import"] = True
            if args.import_timeout is not None:
                overrides["import_timeout"] = args.import_timeout
            report = check(
                root,
                overrides,
                only=_split(args.rules),
                disable=_split(args.disable),
                progress=_Progress(),
                baseline=Path(args.baseline) if args.baseline else None,
            )
            if args.frontend_build is not None:
                from pytest_envssot.live.runner import with_live_findings

                report = with_live_findings(report, frontend_build=args.frontend_build)
    except ConfigError as exc:
        print(f"envssot: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug of ours: no traceback, whose locals could hold values
        print(f"envssot: internal error: {type(exc).__name__}; please report it", file=sys.stderr)
        return 3
    if args.command == "vars":
        return _vars(report, args.format)
    return _check(report, args.format, args.diff, args.verbose)


class _Progress:
    """``envssot: read 5000/20000 layer files`` on stderr, once reading takes a while: quiet
    for the first seconds (most runs), then every few seconds, and the last count."""

    QUIET = 3.0  # seconds before the first line
    EVERY = 2.0

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._next = self._clock() + self.QUIET
        self._spoke = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if now >= self._next or (self._spoke and done == total):
            print(f"envssot: read {done}/{total} layer files", file=sys.stderr, flush=True)
            self._spoke = True
            self._next = now + self.EVERY


def _smoke(report: Report, args: argparse.Namespace) -> int:
    """One line per service: ok / skipped with the reason / the failure text. Exit 1 on a failure."""
    from pytest_envssot import smoke
    from pytest_envssot.findings import Outcome

    try:
        env_file = Path(args.env_file) if args.env_file else None
        checks = smoke.checks_for(
            report, env_file, args.env_file or "", args.timeout, args.critical_only
        )
    except smoke.EnvFileError as exc:
        print(f"envssot: error: --env-file {exc}", file=sys.stderr)
        return 2
    failed = 0
    for pending in checks:
        finding = pending.resolve()
        if finding.outcome is Outcome.FAILED:
            failed += 1
            print(report.redactor.scrub(finding.render()))
        else:
            word = "ok" if finding.outcome is Outcome.PASSED else "skipped"
            last = finding.lines[-1] if finding.lines else ""
            print(report.redactor.scrub(f"{finding.location}: {finding.name}: {word}: {last}"))
    print(f"{len(checks)} checked, {failed} failed")
    return 1 if failed else 0


def _vars(report: Report, fmt: str) -> int:
    from pytest_envssot import inventory

    rows = inventory.inventory(report.index)
    render = inventory.render_json if fmt == "json" else inventory.render_text
    sys.stdout.write(render(rows, report.redactor.scrub))
    for finding in report.failed:
        print(report.redactor.scrub(finding.render()), file=sys.stderr)
    return 1 if report.failed else 0


def _check(report: Report, fmt: str, diff: bool, verbose: bool) -> int:
    from pytest_envssot import output as renderers

    if diff:
        _print_diff(report)
    elif fmt == "json":  # piece by piece: 100,000 variables make 160 MB of JSON
        sys.stdout.writelines(renderers.iter_json(report))
    elif fmt == "sarif":
        sys.stdout.write(renderers.render_sarif(report))
    elif fmt == "github":
        sys.stdout.write(renderers.render_github(report))
    else:
        sys.stdout.writelines(renderers.iter_text(report, verbose))
    return 1 if report.failed else 0


def _fix(args: argparse.Namespace) -> int:
    """``envssot fix``: exit 0 when nothing fixable is left failing, 1 when something is (or,
    with --dry-run/--diff, would change), 2 on usage/config errors or a file changed meanwhile."""
    import importlib.util

    from pytest_envssot.config import ConfigError

    if importlib.util.find_spec("libcst") is None:
        print(
            "envssot: error: envssot fix needs LibCST: pip install 'pytest-envssot[fix]'",
            file=sys.stderr,
        )
        return 2
    from pytest_envssot import fix

    root = Path(args.path)
    if not root.is_dir():
        print(f"envssot: error: {args.path}: not a directory", file=sys.stderr)
        return 2
    try:
        outcome = fix.run(root, _split(args.rules), keep_orphans=args.keep_orphans)
        if args.diff:
            sys.stdout.write(outcome.diff())
        elif not args.dry_run:
            fix.write(root, outcome)
    except ConfigError as exc:
        print(f"envssot: error: {exc}", file=sys.stderr)
        return 2
    except fix.ChangedOnDisk as exc:
        print(
            f"envssot: error: {exc}: changed since envssot fix read it; nothing written",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # a bug of ours: no traceback, whose locals could hold values
        print(f"envssot: internal error: {type(exc).__name__}; please report it", file=sys.stderr)
        return 3
    out = sys.stderr if args.diff else sys.stdout
    dry = args.diff or args.dry_run
    scrub = outcome.report.redactor.scrub
    for item in outcome.items:
        f = item.finding
        state = ("would fix" if dry else "fixed") if item.fixed else f"not fixed: {item.why}"
        print(scrub(f"{f.location}: {f.name}: {state}"), file=out)
    fixed = sum(item.fixed for item in outcome.items)
    files = len(outcome.changed)
    verb = "would change" if dry else "changed"
    print(
        f"envssot fix: {fixed} fixed, {len(outcome.items) - fixed} left, {files} file(s) {verb}",
        file=out,
    )
    left = any(not item.fixed for item in outcome.items)
    return 1 if left or (dry and files) else 0


# --------------------------------------------------------------------------- adoption


def _print_diff(report: Report) -> None:
    """The patch alone on stdout (``> p && git apply p``); notes and stubs on stderr."""
    from pytest_envssot import output

    patch, notes = output.render_diff(report)
    sys.stdout.write(patch)
    for line in notes:
        print(line, file=sys.stderr)


def _baseline(root: Path, args: argparse.Namespace) -> int:
    """Write the baseline: every failure of today (``--prune``: keep only those still failing)."""
    from pytest_envssot.adoption import baseline
    from pytest_envssot.engine import check

    report = check(root, baseline=False)
    current = {baseline.entry(f) for f in report.problems if f.level == "error"}
    target = report.config.root / baseline.BASELINE_FILE
    before: tuple[baseline.Entry, ...] = ()
    if target.is_file():
        before = baseline.load(target, baseline.BASELINE_FILE)
    if args.prune:
        keys = {e.key for e in current}
        kept = {e for e in before if e.key in keys}
    else:
        kept = current
    target.write_text(baseline.dump(kept), encoding="utf-8")
    gone = len({e.key for e in before} - {e.key for e in kept})
    added = len({e.key for e in kept} - {e.key for e in before})
    print(
        f"envssot: wrote {baseline.BASELINE_FILE}: {len(kept)} entries "
        f"({added} added, {gone} removed)"
    )
    return 0


def _render(args: argparse.Namespace) -> int:
    from pytest_envssot.vault.offline import Options, run

    options = Options(
        template=args.template,
        secrets=args.secrets,
        env=args.env,
        sets=args.set,
        out=args.out,
        out_in_repo=args.out_in_repo,
        validate=args.validate,
        settings=args.settings,
        import_timeout=args.import_timeout,
    )
    try:
        return run(options)
    except Exception as exc:  # a bug of ours: no traceback, whose locals could hold values
        print(f"envssot: internal error: {type(exc).__name__}; please report it", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    console()
