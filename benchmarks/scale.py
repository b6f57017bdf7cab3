"""End-to-end scaling: ``pytest --envssot`` and ``envssot check`` on generated repositories.

For each size the plugin run is compared with its "floor": pytest running the same number
of items as trivial generated ``def test_N(): pass`` functions. Targets at 5,000 variables:

* ``pytest --envssot`` within 1.3x of the floor;
* ``envssot check`` under 3 s;

and the scaling exponent of ``envssot check`` between 1,000 and 5,000 variables (issue 16;
``log(t2/t1) / log(5)``; 1.0 is linear) is printed, for the wall time and CPU time, for both
minus the CLI's start-up cost (measured on a 10-variable repository), and for the check's
own CPU time in one process after a 10-variable check (no start-up, no lazy imports: the
least noisy of the three on a shared machine). Those checks run round by round over the
sizes (10, 1,000, 5,000, then again), so that the load of a shared machine falls on all alike.

All times are wall-clock seconds of a subprocess, best of ``--repeat`` (2 at the largest
size). A run slower than ``--no-repeat-after`` seconds is not repeated: when a target is
missed by that much, a second sample changes nothing.

Usage: ``python -m benchmarks.scale [--sizes 100,1000,5000] [--repeat 3] [--check-only]``
(``--check-only``: ``envssot check`` and the exponent, without the pytest rows)
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import generate_repo

FLOOR_RATIO_TARGET = 1.3
CHECK_TARGET = 3.0  # seconds for `envssot check` at 5,000 variables
TARGET_SIZE = 5000
EXPONENT_SIZES = (1000, 5000)
PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")


@dataclass
class Timing:
    """Best wall time of a command, its best CPU time (user + system of the child), how many
    runs it took, and whether it timed out. CPU time barely moves when the machine is shared."""

    seconds: float
    runs: int
    timed_out: bool = False
    cpu: float = math.nan

    def __str__(self) -> str:
        return f"> {self.seconds:.0f}" if self.timed_out else f"{self.seconds:.2f}"


@dataclass
class Row:
    size: int
    items: int
    plugin: Timing
    floor: Timing
    check: Timing

    @property
    def ratio(self) -> float:
        return self.plugin.seconds / self.floor.seconds

    @property
    def cpu_ratio(self) -> float:
        return self.plugin.cpu / self.floor.cpu


def run_timed(
    cmd: list[str], cwd: Path, repeat: int, no_repeat_after: float, timeout: float
) -> Timing:
    """Best wall time of ``repeat`` runs of ``cmd``; exits on an unexpected failure."""
    best = best_cpu = math.inf
    for run in range(1, repeat + 1):
        before = _children_cpu()
        start = time.perf_counter()
        try:
            done = subprocess.run(
                cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return Timing(timeout, run, timed_out=True)
        elapsed = time.perf_counter() - start
        best_cpu = min(best_cpu, _children_cpu() - before)
        if done.returncode != 0:
            tail = done.stdout.decode(errors="replace")[-2000:]
            sys.exit(f"{' '.join(cmd)} exited {done.returncode} in {cwd}:\n{tail}")
        best = min(best, elapsed)
        if elapsed > no_repeat_after:
            return Timing(best, run, cpu=best_cpu)
    return Timing(best, repeat, cpu=best_cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# One process: a 10-variable check (imports, lazy imports, warm caches), then the timed one.
_IN_PROCESS = """
import contextlib, io, sys, time
from pytest_envssot import cli
def check(repo):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli.main(["check", repo])
check(sys.argv[1])
start = time.process_time()
check(sys.argv[2])
print(time.process_time() - start)
"""


def _best(a: Timing, b: Timing) -> Timing:
    return Timing(min(a.seconds, b.seconds), a.runs + b.runs, a.timed_out and b.timed_out,
                  min(a.cpu, b.cpu))  # fmt: skip


def in_process_cpu(warm: Path, repo: Path, repeat: int) -> float:
    """Best CPU seconds of ``envssot check repo`` inside a process that checked ``warm``."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", _IN_PROCESS, str(warm), str(repo)],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(float(done.stdout.split()[-1]))
    return min(runs)


def count_items(repo: Path, timeout: float) -> int:
    """The number of items ``pytest --envssot --collect-only -q`` reports."""
    done = subprocess.run(
        [*PYTEST, "--envssot", "--collect-only"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        text=True,
    )
    found = re.search(r"^(\d+) tests? collected", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        sys.exit(f"cannot count items in {repo} (exit {done.returncode}):\n{done.stdout[-2000:]}")
    return int(found[1])


def write_floor(directory: Path, items: int) -> None:
    """A test module of ``items`` trivial tests."""
    directory.mkdir(parents=True, exist_ok=True)
    body = "".join(f"def test_{i}():\n    pass\n\n\n" for i in range(items))
    (directory / "test_floor.py").write_text(body, encoding="utf-8")


def _progress(label: str, t: Timing) -> None:
    print(f"  {label:<24} wall {t} s, cpu {t.cpu:.2f} s ({t.runs} run(s))", flush=True)


def check_cmd(repo: Path) -> list[str]:
    exe = shutil.which("envssot")
    return (
        [exe, "check", str(repo)]
        if exe
        else [sys.executable, "-m", "pytest_envssot.cli", "check", str(repo)]
    )


def exponent(t1: float, t2: float, n1: int, n2: int) -> float:
    """Growth exponent k in t ~ n**k between two sizes."""
    return math.log(t2 / t1) / math.log(n2 / n1)


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100,1000,5000", help="comma-separated variable counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument(
        "--no-repeat-after",
        type=float,
        default=60.0,
        help="seconds after which a run is not repeated",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds before a run is killed"
    )
    parser.add_argument(
        "--check-only", action="store_true", help="only `envssot check` (no pytest rows)"
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())

    def timed(cmd: list[str], cwd: Path, repeat: int) -> Timing:
        return run_timed(cmd, cwd, repeat, args.no_repeat_after, args.timeout)

    rows: list[Row] = []
    checks: dict[int, Timing] = {}
    in_process: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="envssot-scale-") as tmp_name:
        tmp = Path(tmp_name)
        for n in [] if args.check_only else sizes:
            repeat = min(args.repeat, 2) if n == sizes[-1] and len(sizes) > 1 else args.repeat
            repo = tmp / f"repo{n}"
            generate_repo(repo, n)
            items = count_items(repo, args.timeout)
            write_floor(tmp / f"floor{n}", items)
            print(f"{n} variables: {items} items", flush=True)
            floor = timed([*PYTEST], tmp / f"floor{n}", repeat)
            _progress("floor (trivial tests)", floor)
            plugin = timed([*PYTEST, "--envssot"], repo, repeat)
            _progress("pytest --envssot", plugin)
            check = timed(check_cmd(repo), tmp, repeat)
            _progress("envssot check", check)
            rows.append(Row(n, items, plugin, floor, check))
            checks[n] = check
        wanted = {10, *EXPONENT_SIZES, *(sizes if args.check_only else ())}
        todo = [
            n
            for n in sorted(wanted)
            if n not in checks and (n != EXPONENT_SIZES[1] or n <= sizes[-1])
        ]
        for n in todo:
            generate_repo(tmp / f"repo{n}", n)
        exponent_ready = all(n in checks or n in todo for n in (10, *EXPONENT_SIZES))
        # Round by round over the sizes, so that a change in the machine's load falls on
        # every size alike (the exponent compares them).
        for _ in range(args.repeat):
            for n in todo:
                run = timed(check_cmd(tmp / f"repo{n}"), tmp, 1)
                checks[n] = run if n not in checks else _best(checks[n], run)
            for n in EXPONENT_SIZES if exponent_ready else ():
                cpu = in_process_cpu(tmp / "repo10", tmp / f"repo{n}", 1)
                in_process[n] = min(in_process.get(n, math.inf), cpu)
        for n in todo:
            print(f"{n} variables:", flush=True)
            _progress("envssot check", checks[n])
        for n, cpu in in_process.items():
            print(f"  {n} variables, in one process: cpu {cpu:.2f} s", flush=True)

    return 0 if summarize(rows, checks, in_process) else 1


def summarize(
    rows: list[Row], checks: dict[int, Timing], in_process: dict[int, float] | None = None
) -> bool:
    """Print target verdicts and the README table; True when every checked target is met.

    Verdicts use wall time, as the targets are stated; CPU time is shown next to it.
    """
    ok_all = True
    print()
    target = next((r for r in rows if r.size == TARGET_SIZE), None)
    if target is None:
        print(f"(no pytest run at {TARGET_SIZE} variables: the floor target is not checked)")
    else:
        ok = not target.plugin.timed_out and target.ratio <= FLOOR_RATIO_TARGET
        ok_all &= ok
        print(
            f"pytest --envssot at {TARGET_SIZE} variables: {target.ratio:.2f}x the floor wall, "
            f"{target.cpu_ratio:.2f}x cpu (target <= {FLOOR_RATIO_TARGET}x): {_verdict(ok)}"
        )
    check = checks.get(TARGET_SIZE)
    if check is not None:
        ok = not check.timed_out and check.seconds < CHECK_TARGET
        ok_all &= ok
        print(
            f"envssot check at {TARGET_SIZE} variables: {check} s wall, "
            f"{check.cpu:.2f} s cpu (target < {CHECK_TARGET:g} s): {_verdict(ok)}"
        )
    small, big = EXPONENT_SIZES
    if small in checks and big in checks:
        print(f"envssot check scaling exponent {small} -> {big} variables (1.0 = linear):")
        for kind in ("seconds", "cpu"):
            t1, t2 = getattr(checks[small], kind), getattr(checks[big], kind)
            line = (
                f"  {'wall' if kind == 'seconds' else 'cpu '}: {exponent(t1, t2, small, big):.2f}"
            )
            base = getattr(checks[10], kind) if 10 in checks else math.nan
            if t1 > base:
                k = exponent(t1 - base, t2 - base, small, big)
                line += f"; without start-up ({base:.2f} s at 10 variables): {k:.2f}"
            print(line)
        if in_process and small in in_process and big in in_process:
            k = exponent(in_process[small], in_process[big], small, big)
            print(f"  cpu of the check in one process (after a 10-variable check): {k:.2f}")
    if not rows:
        return ok_all
    print(
        "\n| variables | items | `pytest --envssot` (s) | floor: same number of trivial tests (s) "
        "| ratio | `envssot check` (s) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.size:,} | {r.items:,} | {r.plugin} (cpu {r.plugin.cpu:.2f}) "
            f"| {r.floor} (cpu {r.floor.cpu:.2f}) | {r.ratio:.2f}x (cpu {r.cpu_ratio:.2f}x) "
            f"| {r.check} (cpu {r.check.cpu:.2f}) |"
        )
    print(
        f"\nPython {sys.version.split()[0]}, {os.cpu_count()} CPUs; wall-clock seconds (cpu: user + "
        "system of the child), best of the runs shown above."
    )
    return ok_all


if __name__ == "__main__":
    raise SystemExit(main())
