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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_envssot import __version__

if TYPE_CHECKING:
    from pytest_envssot.engine import Report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="envssot", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"envssot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="run every contract rule over a repository")
    check.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text")
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

    inv = sub.add_parser("vars", help="list every variable and the layers that hold it")
    inv.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    inv.add_argument("--format", choices=("text", "json"), default="text")

    ren = sub.add_parser(
        "render", help="render a Vault Agent template offline from `vault kv get` JSON"
    )
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

    smoke = sub.add_parser("smoke", help="check that each service the settings describe answers")
    smoke.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    smoke.add_argument("--critical-only", action="store_true", help="database and S3 only")
    smoke.add_argument("--env-file", default=None, help="values to use (wins over the environment)")
    smoke.add_argument("--timeout", type=float, default=None, help="seconds per check")
    return parser


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    from pytest_envssot.config import ConfigError
    from pytest_envssot.engine import check

    root = Path(args.path)
    if not root.is_dir():
        print(f"envssot: error: {args.path}: not a directory", file=sys.stderr)
        return 2
    try:
        if args.command == "smoke":
            return _smoke(check(root, only=("layer-parses",)), args)
        if args.command == "vars":
            report = check(root, only=("layer-parses",))
        else:
            overrides: dict[str, object] = {}
            if args.import_mode:
                overrides["import"] = True
            if args.import_timeout is not None:
                overrides["import_timeout"] = args.import_timeout
            report = check(root, overrides, only=_split(args.rules), disable=_split(args.disable))
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


def _smoke(report: Report, args: argparse.Namespace) -> int:
    """One line per service: ok / skipped with the reason / the failure text. Exit 1 on a failure."""
    import os

    from pytest_envssot import smoke
    from pytest_envssot.findings import Outcome

    try:
        env_file = Path(args.env_file) if args.env_file else None
        sources = smoke.Sources.load(os.environ, env_file, args.env_file or "")
    except smoke.EnvFileError as exc:
        print(f"envssot: error: --env-file {exc}", file=sys.stderr)
        return 2
    settings = smoke.parse(report.config.smoke, args.timeout)
    checks = smoke.findings(report.index, settings, sources, report.redactor, args.critical_only)
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
        sys.stdout.write(renderers.render_diff(report))
    elif fmt == "json":
        sys.stdout.write(renderers.render_json(report))
    elif fmt == "sarif":
        sys.stdout.write(renderers.render_sarif(report))
    else:
        sys.stdout.write(renderers.render_text(report, verbose))
    return 1 if report.failed else 0


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
    sys.exit(main())
