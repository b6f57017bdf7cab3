"""Hostile sizes through the real CLI: CPU seconds, peak memory and how they grow.

Each case is a copy of ``examples/sample_repo`` with one thing made huge, checked by
``python -m pytest_envssot.cli check --format json`` in a subprocess (every rule):

* ``vars-none N``: ``.env.example`` gains N variables (``KEY_000001=value1``) that no settings
  class declares (each fails several rules: ~4 findings per variable);
* ``vars-half N``: a second settings class declares every other one;
* ``vars-all N``: it declares all of them;
* ``dquoted 10 MB``: one double-quoted ``.env.example`` value of 10 MB;
* ``literal 10 MB``: a template action holding a 10 MB string literal.

For each run: CPU seconds (user + system of the child alone, from ``wait4``), wall seconds, peak
RSS (``ru_maxrss`` of the child) and the peak over a baseline run on the unmodified copy,
divided by the bytes added (the "multiple of the input"). The audit's limits are 20 s and 1 GB
per run; the targets here: 100,000 variables in <= 8 s CPU and <= 300 MB, growth linear (the
log-log exponent of CPU time between the sizes, 1.0 = linear, printed per variant) and the MB
cases within 10x the input over the baseline.

Usage: ``python -m benchmarks.hostile_scale [--sizes 10000,30000,100000]
[--variants none,half,all] [--no-mb]``
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_repo"
CONFIG = "apps/backend/src/config.py"
TEMPLATE = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
MB = 1024 * 1024
TARGET_CPU = 8.0
TARGET_RSS_MB = 300.0
LIMIT_SECONDS = 20.0
LIMIT_RSS_MB = 1024.0
TARGET_MULTIPLE = 10.0


@dataclass
class Run:
    label: str
    cpu: float
    wall: float
    rss_mb: float
    added: int  # bytes added to the repository
    exit_code: int
    findings: int

    def line(self, baseline_mb: float) -> str:
        text = (
            f"{self.label:<22} cpu {self.cpu:6.2f} s  wall {self.wall:6.2f} s  "
            f"peak RSS {self.rss_mb:6.0f} MB  exit {self.exit_code}  results {self.findings:,}"
        )
        if self.added >= MB:
            multiple = (self.rss_mb - baseline_mb) * MB / self.added
            text += f"  (peak - baseline) / input = {multiple:.1f}x"
        return text


def _copy(tmp: Path, name: str) -> Path:
    repo = tmp / name
    shutil.copytree(SAMPLE, repo, symlinks=True)
    return repo


def _append(path: Path, text: str) -> int:
    data = text.encode()
    with path.open("ab") as out:
        out.write(data)
    return len(data)


def make_vars(tmp: Path, n: int, declared: str) -> tuple[Path, int]:
    """A copy whose ``.env.example`` gains ``n`` variables; ``declared`` is none, half or all."""
    repo = _copy(tmp, f"vars-{declared}-{n}")
    added = _append(
        repo / ".env.example",
        "\n# Generated\n" + "".join(f"KEY_{i:06d}=value{i}\n" for i in range(n)),
    )
    step = {"none": 0, "half": 2, "all": 1}[declared]
    if step:
        fields = "".join(
            f"    key_{i:06d}: str = Field(default='value{i}', validation_alias='KEY_{i:06d}')\n"
            for i in range(0, n, step)
        )
        added += _append(repo / CONFIG, f"\n\nclass Many(BaseSettings):\n{fields}")
    return repo, added


def make_dquoted(tmp: Path, size: int) -> tuple[Path, int]:
    repo = _copy(tmp, "dquoted")
    return repo, _append(repo / ".env.example", f'HUGE="{"a" * size}"\n')


def make_literal(tmp: Path, size: int) -> tuple[Path, int]:
    repo = _copy(tmp, "literal")
    return repo, _append(repo / TEMPLATE, f'HUGE={{{{ "{"a" * size}" }}}}\n')


def run_check(label: str, repo: Path, added: int, timeout: float) -> Run:
    """The CLI over ``repo``; CPU and peak RSS of that child alone (``wait4``)."""
    cmd = [sys.executable, "-m", "pytest_envssot.cli", "check", "--format", "json", str(repo)]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        findings = _count_results(out)
    return Run(
        label,
        cpu=usage.ru_utime + usage.ru_stime,
        wall=wall,
        rss_mb=usage.ru_maxrss / 1024,
        added=added,
        exit_code=proc.returncode,
        findings=findings,
    )


def _count_results(out: IO[bytes]) -> int:
    """The results in the JSON report, -1 when it is not one; counted chunk by chunk: loaded
    whole (300 MB), this process would grow by a gigabyte, and the next child, forked from
    it, would count those pages in its own peak until it execs."""
    out.seek(0)
    head = out.read(64)
    if not head.startswith(b'{\n  "version": 1,'):
        return -1
    count, carry = 0, head
    marker = b'\n      "rule": '
    while chunk := out.read(1 << 20):
        data = carry + chunk
        count += data.count(marker)
        carry = data[-len(marker) + 1 :]
    out.seek(-2, os.SEEK_END)
    return count if out.read() == b"}\n" else -1


def exponent(t1: float, t2: float, n1: int, n2: int) -> float:
    """k in t ~ n**k between two sizes."""
    return math.log(t2 / t1) / math.log(n2 / n1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,30000,100000", help="variable counts")
    parser.add_argument("--variants", default="none,half,all", help="none, half, all")
    parser.add_argument("--no-mb", action="store_true", help="skip the 10 MB cases")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a kill")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    variants = [v for v in args.variants.split(",") if v]
    ok = True
    with tempfile.TemporaryDirectory(prefix="envssot-hostile-scale-") as tmp_name:
        tmp = Path(tmp_name)
        base = run_check("baseline", _copy(tmp, "baseline"), 0, args.timeout)
        print(base.line(base.rss_mb), flush=True)
        for variant in variants:
            runs = []
            for n in sizes:
                repo, added = make_vars(tmp, n, variant)
                run = run_check(f"vars-{variant} {n:,}", repo, added, args.timeout)
                shutil.rmtree(repo)
                print(run.line(base.rss_mb), flush=True)
                ok &= run.exit_code in (0, 1) and run.findings >= 0
                ok &= run.cpu <= LIMIT_SECONDS and run.rss_mb <= LIMIT_RSS_MB
                runs.append((n, run))
            for (n1, r1), (n2, r2) in itertools.pairwise(runs):
                k_cpu = exponent(r1.cpu - base.cpu, r2.cpu - base.cpu, n1, n2)
                k_mem = exponent(r1.rss_mb - base.rss_mb, r2.rss_mb - base.rss_mb, n1, n2)
                print(
                    f"  exponent {n1:,} -> {n2:,} (over the baseline run): cpu {k_cpu:.2f}, "
                    f"peak RSS {k_mem:.2f}"
                )
            if runs and runs[-1][0] >= 100_000:
                big = runs[-1][1]
                met = big.cpu <= TARGET_CPU and big.rss_mb <= TARGET_RSS_MB
                print(
                    f"  target at {runs[-1][0]:,}: cpu <= {TARGET_CPU:g} s and peak <= "
                    f"{TARGET_RSS_MB:g} MB: {'MET' if met else 'MISSED'}"
                )
        if not args.no_mb:
            for make, label in ((make_dquoted, "dquoted 10 MB"), (make_literal, "literal 10 MB")):
                repo, added = make(tmp, 10 * MB)
                run = run_check(label, repo, added, args.timeout)
                print(run.line(base.rss_mb), flush=True)
                multiple = (run.rss_mb - base.rss_mb) * MB / added
                ok &= run.exit_code in (0, 1) and multiple <= TARGET_MULTIPLE
    print(
        f"\nPython {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
