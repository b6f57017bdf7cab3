"""What the adoption aids (inline ignores, ``warn``, the baseline) add to a check.

On a generated monorepo (``benchmarks.generate --monorepo``; every rule but the round trip, whose
searches would swamp the figure), prints the best-of-``--repeat`` seconds of the check, of the
ignore scan and of applying ignores + a baseline (its failures; the generated repository is
consistent, so a tenth of its findings stand in, each then a stale entry: the worst case), and
the ratio of the latter to the check (the target: a few percent).

Usage: ``python -m benchmarks.adoption [--vars 5000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.generate import generate_repo
from pytest_envssot import adoption
from pytest_envssot.adoption.baseline import entry
from pytest_envssot.adoption.ignores import scan
from pytest_envssot.config import load_config
from pytest_envssot.discovery import discover
from pytest_envssot.engine import check
from pytest_envssot.rules import RULES_BY_NAME


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vars", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rules = [name for name in RULES_BY_NAME if name != "template-roundtrip"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_repo(root, n_vars=args.vars, monorepo=True)
        report = check(root, only=rules, baseline=False)
        checked = best(args.repeat, lambda: check(root, only=rules, baseline=False))
        layers = discover(load_config(root))
        files = adoption.layer_files(layers)
        scanned = best(args.repeat, lambda: scan(root, files))
        how = adoption.Adoption(
            ran=frozenset({*rules, *adoption.PSEUDO_RULES}),
            known=frozenset({*RULES_BY_NAME, *adoption.PSEUDO_RULES}),
            # its failures, else a tenth of the findings (all stale entries then)
            baseline=tuple(entry(f) for f in report.findings if f.outcome.value == "failed")
            or tuple(entry(f) for f in report.findings[: len(report.findings) // 10]),
        )
        applied = best(args.repeat, lambda: adoption.apply(root, layers, report.findings, how))
    print(f"{args.vars} variables, {len(report.findings)} findings, {len(files)} layer files")
    print(f"check (no round trip)      {checked:8.3f} s")
    print(f"ignore scan                {scanned:8.3f} s")
    print(f"ignores + baseline applied {applied:8.3f} s")
    print(f"ratio applied / check      {applied / checked:8.3f}")


if __name__ == "__main__":
    main()
