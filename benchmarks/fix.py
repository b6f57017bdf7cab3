"""``envssot fix`` cost: how it compares to one ``envssot check`` of the same rules.

Generates a repository (``benchmarks.generate``), breaks it in every fixable way at once
(a tenth of the ``.env.example`` entries removed, a tenth of the template lines unquoted, a
tenth of the ``[VAULT]`` markers dropped), then times, best of ``--repeat``:

* ``envssot check --rules <fixable rules>`` on the broken copy (one engine run);
* ``envssot fix`` on a fresh broken copy (several in-memory rounds, then the writes);
* ``envssot fix`` again on the fixed copy (nothing to do: one round that finds nothing).

Printed as ratios to the check, at two sizes, and the scaling exponent of ``fix``
(``log(t2/t1) / log(n2/n1)``; 1.0 is linear).

    python -m benchmarks.fix            # 500 and 5,000 variables
    python -m benchmarks.fix --quick    # 100 and 1,000
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import generate_repo
from pytest_envssot.fix.plan import FIXABLE


def _break(root: Path) -> None:
    example = root / ".env.example"
    lines = example.read_text().splitlines(keepends=True)
    kept, n = [], 0
    for line in lines:
        binding = "=" in line and not line.startswith("#")
        if binding:
            n += 1
        if binding and n % 10 == 3 and kept and kept[-1].startswith("#"):
            kept.pop()  # the entry and its comment go
            continue
        if line.startswith("# [VAULT] ") and n % 10 == 6:
            line = "# " + line.removeprefix("# [VAULT] ")
        kept.append(line)
    example.write_text("".join(kept))
    for template in root.rglob("*.ctmpl"):
        out = []
        for k, line in enumerate(template.read_text().splitlines(keepends=True)):
            if "{{ with .Data.data." in line and k % 10 == 5:
                name = line.split("=", 1)[0]
                line = f"{name}={{{{ .Data.data.{name} }}}}\n"
            out.append(line)
        template.write_text("".join(out))


def _time(
    argv: list[str], repeat: int, fresh: Path | None = None, work: Path | None = None
) -> float:
    best = math.inf
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for _ in range(repeat):
        if fresh is not None and work is not None:
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(fresh, work)
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
    return best


def measure(n_vars: int, repeat: int, tmp: Path) -> dict[str, float]:
    broken = tmp / f"broken{n_vars}"
    generate_repo(broken, n_vars, services=max(1, n_vars // 100), templates=max(1, n_vars // 250))
    _break(broken)
    work = tmp / f"work{n_vars}"
    cli = [sys.executable, "-m", "pytest_envssot.cli"]
    check = _time([*cli, "check", str(broken), "--rules", ",".join(FIXABLE)], repeat)
    fix = _time([*cli, "fix", str(work)], repeat, broken, work)
    again = _time([*cli, "fix", str(work)], repeat)
    return {"check": check, "fix": fix, "again": again}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = (100, 1000) if args.quick else (500, 5000)
    with tempfile.TemporaryDirectory(prefix="envssot-bench-fix-") as tmp:
        results = {n: measure(n, args.repeat, Path(tmp)) for n in sizes}
    for n, r in results.items():
        print(
            f"{n:>5} vars: check {r['check']:.2f}s; fix {r['fix']:.2f}s "
            f"({r['fix'] / r['check']:.1f}x check); fix with nothing to do {r['again']:.2f}s "
            f"({r['again'] / r['check']:.1f}x check)"
        )
    (n1, r1), (n2, r2) = results.items()
    exponent = math.log(r2["fix"] / r1["fix"]) / math.log(n2 / n1)
    print(f"fix scaling exponent {n1}->{n2} vars: {exponent:.2f} (1.0 is linear)")


if __name__ == "__main__":
    main()
