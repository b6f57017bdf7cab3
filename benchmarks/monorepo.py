"""Monorepo scale: 50 services, 5,000 variables, 100 templates, nested settings, aliases.

Generates a consistent repository with ``benchmarks.generate --monorepo`` (one settings file
per service with ``env_prefix``, a nested model read through ``env_nested_delimiter``,
``validation_alias`` and ``AliasChoices``; Vault templates; ``.env.example``) and prints:

* ``envssot check`` wall time, CPU time and peak memory (the child's max RSS, from
  ``os.wait4``), for the default rules (every rule, template-roundtrip included) and
  without template-roundtrip;
* ``pytest --envssot`` next to pytest's floor: the same number of trivial test functions,
  run the same way (``python -m pytest -q -p no:cacheprovider``);
* ``pytest --envssot -n 2`` against one process, template-roundtrip on (and the floor's own
  ``-n 2`` speed-up, which bounds what any plugin can get from xdist on this machine);
* the same ``-n 2`` comparison where the round trip does dominate: a repository whose template
  vars each need their own search (``benchmarks.fuzz``'s worst case);
* the scaling exponent of ``envssot check`` from the small to the big size
  (``log(t2/t1) / log(n2/n1)``; 1.0 is linear), raw and without the start-up cost measured
  on a 10-variable repository.

Every figure is best of ``--repeat`` runs; the spread (worst/best - 1) and the load average
are printed, as the machine may be shared. Ratios compare runs of the same invocation.

    python -m benchmarks.monorepo            # 500 and 5,000 variables (several minutes)
    python -m benchmarks.monorepo --quick    # 100 and 1,000 variables, 10 services, 20 templates
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.fuzz import build as build_distinct
from benchmarks.generate import generate_repo
from benchmarks.scale import PYTEST, check_cmd, exponent, write_floor

CHECK_SECONDS = 3.0
CHECK_MB = 300.0
EXPONENT_MAX = 1.1
XDIST_MIN = 1.5


@dataclass
class Run:
    """Best wall / CPU seconds and peak RSS of ``runs`` runs of one command, and the spread."""

    wall: float
    cpu: float
    peak_mb: float
    spread: float  # worst wall / best wall - 1
    runs: int
    critical: float = 0.0  # pytest runs: the largest CPU time of one process (see _cpu.py)

    def __str__(self) -> str:
        text = f"{self.wall:6.2f} s wall, {self.cpu:6.2f} s cpu, {self.peak_mb:5.0f} MB peak"
        return text + (f", critical path {self.critical:6.2f} s cpu" if self.critical else "")


def run(
    cmd: list[str], cwd: Path, repeat: int, timeout: float, extra_env: dict[str, str] | None = None
) -> Run:
    """Best of ``repeat`` runs; the CPU time and peak RSS are the child's own (os.wait4)."""
    walls, cpus, peaks, critical = [], [], [], []
    report = Path(tempfile.gettempdir()) / f"envssot-bench-cpu-{os.getpid()}.txt"
    env = {**os.environ, "CI": "true", "ENVSSOT_BENCH_CPU": str(report)}  # CI: derandomized
    env.update(extra_env or {})
    # `-p benchmarks._cpu` runs in the generated repo: this checkout must be importable there.
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH"))))
    for _ in range(repeat):
        report.unlink(missing_ok=True)
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        out = _drain(proc, timeout)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"{' '.join(cmd)} exited {code} in {cwd}:\n{out[-2000:]}")
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
        if report.exists():
            critical.append(max(float(x) for x in report.read_text().split()))
            report.unlink()
    best = min(walls)
    return Run(
        best, min(cpus), max(peaks), max(walls) / best - 1, repeat, min(critical, default=0.0)
    )


def _drain(proc: subprocess.Popen[bytes], timeout: float) -> str:
    """The child's output; kills it after ``timeout`` seconds (the caller then reaps it)."""
    assert proc.stdout is not None
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        return proc.stdout.read().decode(errors="replace")
    finally:
        killer.cancel()


def _items(repo: Path) -> int:
    """How many items ``pytest --envssot`` collects: one per finding (counted in-process,
    without running the deferred round trip)."""
    from pytest_envssot.engine import check

    return len(check(repo, defer=True).findings)


def _show(label: str, r: Run) -> None:
    print(f"  {label:<44} {r}  (best of {r.runs}, spread {r.spread:.0%})", flush=True)


def _idle(one: Run, two: Run) -> float:
    """Speed-up by critical path: one process's CPU over the busiest process of the other run."""
    return one.critical / two.critical if two.critical else math.nan


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="100 and 1,000 variables, smaller repo"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per envssot check (best kept)")
    parser.add_argument(
        "--pytest-repeat", type=int, default=1, help="runs per pytest measurement (best kept)"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a kill")
    args = parser.parse_args(argv)
    if args.quick:
        small, big, services, templates = 100, 1000, 10, 20
    else:
        small, big, services, templates = 500, 5000, 50, 100
    load_before = os.getloadavg()[0]
    print(
        f"monorepo: {services} services, {templates} templates, env_prefix, nested settings, "
        f"validation_alias / AliasChoices; sizes {small:,} and {big:,} variables",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="envssot-monorepo-") as tmp_name:
        tmp = Path(tmp_name)
        repos = {}
        for n in (10, small, big):
            repos[n] = tmp / f"repo{n}"
            generate_repo(
                repos[n],
                n,
                services=services if n >= small else 1,
                templates=templates if n >= small else 1,
                monorepo=True,
            )

        def check(n: int, *extra: str) -> Run:
            return run([*check_cmd(repos[n]), *extra], tmp, args.repeat, args.timeout)

        print("\nenvssot check (CI=true: derandomized round trip)", flush=True)
        startup = check(10)
        _show("10 vars (start-up)", startup)
        checks = {}
        for n in (small, big):
            checks[n] = check(n)
            _show(f"{n:,} vars, default rules", checks[n])
        no_rt = check(big, "--disable", "template-roundtrip")
        _show(f"{big:,} vars, --disable template-roundtrip", no_rt)

        items = _items(repos[big])
        write_floor(tmp / "floor", items)
        print(f"\npytest at {big:,} variables: {items:,} items", flush=True)

        def pytest(cwd: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
            return run(
                [*PYTEST, "-p", "benchmarks._cpu", *extra],
                cwd,
                args.pytest_repeat,
                args.timeout,
                env,
            )

        floor = pytest(tmp / "floor")
        _show("floor: trivial tests", floor)
        plugin = pytest(repos[big], "--envssot")
        _show("pytest --envssot", plugin)
        floor2 = pytest(tmp / "floor", "-n", "2")
        _show("floor -n 2", floor2)
        plugin2 = pytest(repos[big], "--envssot", "-n", "2")
        _show("pytest --envssot -n 2", plugin2)

        # Where the round trip does dominate: every template var its own search.
        fuzz_vars = 300 if args.quick else 1000
        heavy = tmp / "distinct"
        heavy.mkdir()
        build_distinct(heavy, fuzz_vars, distinct=True)
        print(f"\n{fuzz_vars:,} template vars, each its own round-trip search", flush=True)
        only = ("--envssot", "--envssot-rules=template-roundtrip")
        # Searches, not the per-user cache: the second row would read the first one's verdicts.
        fuzz1 = pytest(heavy, *only, env={"ENVSSOT_NO_CACHE": "1"})
        _show("pytest --envssot (round trip only)", fuzz1)
        fuzz2 = pytest(heavy, *only, "-n", "2", env={"ENVSSOT_NO_CACHE": "1"})
        _show("... -n 2", fuzz2)
    load_after = os.getloadavg()[0]

    print("\nsummary")
    big_check = checks[big]
    ok_time = big_check.wall < CHECK_SECONDS
    ok_mem = big_check.peak_mb < CHECK_MB
    print(
        f"  envssot check, {big:,} vars, default rules: {big_check.wall:.2f} s "
        f"(target < {CHECK_SECONDS:g} s: {_verdict(ok_time)}), {big_check.peak_mb:.0f} MB "
        f"(target < {CHECK_MB:g} MB: {_verdict(ok_mem)})"
    )
    print(
        f"  envssot check, {big:,} vars, without template-roundtrip: {no_rt.wall:.2f} s, "
        f"{no_rt.peak_mb:.0f} MB"
    )
    k_wall = exponent(checks[small].wall, big_check.wall, small, big)
    k_cpu = exponent(checks[small].cpu, big_check.cpu, small, big)
    line = f"  scaling exponent {small:,} -> {big:,} vars: wall {k_wall:.2f}, cpu {k_cpu:.2f}"
    if checks[small].wall > startup.wall:
        k_net = exponent(
            checks[small].wall - startup.wall, big_check.wall - startup.wall, small, big
        )
        line += f"; without start-up: {k_net:.2f}"
    print(f"{line} (target <= {EXPONENT_MAX}: {_verdict(k_wall <= EXPONENT_MAX)})")
    print(
        f"  pytest --envssot / floor: {plugin.wall / floor.wall:.2f}x wall, "
        f"{plugin.cpu / floor.cpu:.2f}x cpu ({items:,} items)"
    )
    speedup = plugin.wall / plugin2.wall
    print(
        f"  -n 2 speed-up with template-roundtrip on: {speedup:.2f}x wall, "
        f"{_idle(plugin, plugin2):.2f}x by critical path (target >= {XDIST_MIN}: "
        f"{_verdict(speedup >= XDIST_MIN)}); the floor's own -n 2: "
        f"{floor.wall / floor2.wall:.2f}x wall, {_idle(floor, floor2):.2f}x by critical path"
    )
    print(
        f"  -n 2 speed-up where the round trip dominates ({fuzz_vars:,} searches): "
        f"{fuzz1.wall / fuzz2.wall:.2f}x wall, {_idle(fuzz1, fuzz2):.2f}x by critical path"
    )
    print(
        "  (critical path: the largest CPU time of one pytest process, what an idle machine "
        "would wait for)"
    )
    print(
        f"  load average {load_before:.1f} before, {load_after:.1f} after, on "
        f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}"
    )
    print("\n| measurement | result |\n|---|---|")
    print(f"| `envssot check`, {big:,} vars, default rules | {big_check.wall:.2f} s, "
          f"{big_check.peak_mb:.0f} MB peak |")  # fmt: skip
    print(f"| `envssot check`, {big:,} vars, `--disable template-roundtrip` | {no_rt.wall:.2f} s, "
          f"{no_rt.peak_mb:.0f} MB peak |")  # fmt: skip
    print(f"| scaling exponent of `envssot check`, {small:,} -> {big:,} vars | {k_wall:.2f} |")
    print(f"| `pytest --envssot` vs floor ({items:,} items) | {plugin.wall:.1f} s vs "
          f"{floor.wall:.1f} s: {plugin.wall / floor.wall:.2f}x |")  # fmt: skip
    print(f"| `pytest --envssot -n 2` vs one process | {plugin2.wall:.1f} s vs {plugin.wall:.1f} s: "
          f"{speedup:.2f}x; critical path {_idle(plugin, plugin2):.2f}x "
          f"(floor: {floor.wall / floor2.wall:.2f}x; {_idle(floor, floor2):.2f}x) |")  # fmt: skip
    print(f"| `-n 2` vs one process, {fuzz_vars:,} template vars each its own search | "
          f"{fuzz2.wall:.1f} s vs {fuzz1.wall:.1f} s: {fuzz1.wall / fuzz2.wall:.2f}x; "
          f"critical path {_idle(fuzz1, fuzz2):.2f}x |")  # fmt: skip
    return 0 if ok_time and ok_mem and k_wall <= EXPONENT_MAX and speedup >= XDIST_MIN else 1


if __name__ == "__main__":
    raise SystemExit(main())
