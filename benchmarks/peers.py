"""``envssot check`` side by side with its peers, in CPU seconds (issue 16).

On each repository (``examples/sample_repo`` and a generated 30-var one with a template) these
run interleaved, round after round, and the median CPU time (user + system, from
``resource.getrusage(RUSAGE_CHILDREN)`` around each child) of ``--runs`` rounds is printed:

* ``check, empty cache``: ``envssot check --format json`` with an empty per-user cache (the
  very first run on a machine: hypothesis' Unicode tables are built too);
* ``check, first run``: a cache that holds hypothesis' Unicode tables (from any earlier
  run, on any repository) but no verdict of this repository: its first run;
* ``check, repeated run``: the cache as the previous run left it;
* ``check --disable template-roundtrip``;
* ``envdrift validate .env.example --schema ...`` (a peer on PyPI that imports the settings
  class and validates the example against it), when installed;
* ``python -c "import pydantic_settings"``: the floor, as envssot validates through pydantic.

Goals: first run <= 1.0x envdrift validate; repeated run <= 1.3x the import floor. Each
command runs once before the rounds (bytecode written, files cached); ``PYTHONDONTWRITEBYTECODE``
is dropped for the children so no command pays for compiling its own source.

Usage: ``python -m benchmarks.peers [--runs 9]``
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.generate import generate_repo

ROOT = Path(__file__).resolve().parent.parent
FIRST_GOAL = 1.0  # x envdrift validate
REPEAT_GOAL = 1.3  # x python -c "import pydantic_settings"


@dataclass
class Command:
    label: str
    argv: list[str]
    prepare: object = None  # a callable run before each timed run (not timed)
    env: dict[str, str] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def _children() -> resource.struct_rusage:
    return resource.getrusage(resource.RUSAGE_CHILDREN)


def run_once(cmd: Command, cwd: Path, base_env: dict[str, str]) -> None:
    """One run: CPU seconds from the children's rusage before and after; peak RSS (KiB)."""
    if callable(cmd.prepare):
        cmd.prepare()
    before = _children()
    proc = subprocess.Popen(
        cmd.argv, cwd=cwd, env={**base_env, **cmd.env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    after = _children()
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd.argv)} exited {proc.returncode} in {cwd}")
    cmd.times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    cmd.peaks.append(usage.ru_maxrss)


def envdrift_argv(repo: Path) -> list[str] | None:
    """``envdrift validate`` against the repository's settings class, if envdrift is installed."""
    # The script next to this interpreter: a version manager's shim (pyenv) is a shell script
    # that would add its own CPU time to envdrift's.
    beside = Path(sys.executable).parent / "envdrift"
    exe = str(beside) if beside.is_file() else shutil.which("envdrift")
    if exe is None:
        return None
    for config in sorted(repo.glob("apps/*/src/**/config.py")):
        text = config.read_text(encoding="utf-8")
        if "(BaseSettings)" not in text and "BaseSettings):" not in text:
            continue
        src = next(p for p in config.parents if p.name == "src")
        module = ".".join(config.relative_to(src).with_suffix("").parts)
        # The class the application uses: the last settings class in the file.
        names = [line.split("(")[0][6:] for line in text.splitlines() if line.startswith("class ")]
        settings = [n for n in names if n.endswith("Settings")]
        schema = f"{module}:{settings[-1]}"
        return [exe, "validate", ".env.example", "--schema", schema, "--service-dir", str(src)]
    return None


def commands(repo: Path, tmp: Path) -> list[Command]:
    check = [sys.executable, "-m", "pytest_envssot.cli", "check", ".", "--format", "json"]
    empty, first, warm = tmp / "empty", tmp / "first", tmp / "warm"

    def clear_empty() -> None:
        shutil.rmtree(empty, ignore_errors=True)

    def clear_verdicts() -> None:
        shutil.rmtree(first / "verdicts", ignore_errors=True)

    out = [
        Command("check, empty cache", check, clear_empty, {"ENVSSOT_CACHE_DIR": str(empty)}),
        Command("check, first run", check, clear_verdicts, {"ENVSSOT_CACHE_DIR": str(first)}),
        Command("check, repeated run", check, None, {"ENVSSOT_CACHE_DIR": str(warm)}),
        Command(
            "check --disable template-roundtrip",
            [*check, "--disable", "template-roundtrip"],
            None,
            {"ENVSSOT_NO_CACHE": "1"},
        ),
    ]
    drift = envdrift_argv(repo)
    if drift is not None:
        out.append(Command("envdrift validate", drift))
    out.append(
        Command("import pydantic_settings", [sys.executable, "-c", "import pydantic_settings"])
    )
    return out


def bench(name: str, repo: Path, runs: int, tmp: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CI")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    cmds = commands(repo, tmp)
    for cmd in cmds:  # warm-up: bytecode, page cache, the first/repeated runs' caches
        run_once(cmd, repo, env)
        cmd.times.clear()
        cmd.peaks.clear()
    for round_ in range(runs):
        order = cmds[round_ % len(cmds) :] + cmds[: round_ % len(cmds)]  # rotate the order
        for cmd in order:
            run_once(cmd, repo, env)
    by = {c.label: c for c in cmds}
    drift = by.get("envdrift validate")
    floor = by["import pydantic_settings"]
    print(f"\n{name}: median CPU seconds of {runs} interleaved runs")
    print("| command | CPU s | peak MiB | vs envdrift validate | vs import pydantic_settings |")
    print("|---|---|---|---|---|")
    for cmd in cmds:
        vs_drift = f"{cmd.median / drift.median:.2f}x" if drift else "n/a"
        peak = statistics.median(cmd.peaks) / 1024
        print(f"| {cmd.label} | {cmd.median:.3f} | {peak:.0f} | {vs_drift} | "
              f"{cmd.median / floor.median:.2f}x |")  # fmt: skip
    first = by["check, first run"].median
    repeated = by["check, repeated run"].median
    if drift:
        ok = first <= FIRST_GOAL * drift.median
        print(f"goal: first run <= {FIRST_GOAL}x envdrift validate: "
              f"{first / drift.median:.2f}x {'MET' if ok else 'MISSED'}")  # fmt: skip
    else:
        print("envdrift is not installed (pip install envdrift): no peer row")
    ok = repeated <= REPEAT_GOAL * floor.median
    print(f"goal: repeated run <= {REPEAT_GOAL}x import pydantic_settings: "
          f"{repeated / floor.median:.2f}x {'MET' if ok else 'MISSED'}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9, help="interleaved rounds (median kept)")
    args = parser.parse_args(argv)
    print(f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="envssot-peers-") as folder:
        tmp = Path(folder)
        sample = tmp / "sample_repo"
        shutil.copytree(ROOT / "examples" / "sample_repo", sample)
        generated = tmp / "generated30"
        generate_repo(generated, 30)
        bench("examples/sample_repo", sample, args.runs, tmp / "cache-sample")
        bench("generated, 30 vars, one template", generated, args.runs, tmp / "cache-30")


if __name__ == "__main__":
    main()
