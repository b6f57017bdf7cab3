"""What the hygiene rules cost, as ratios (no absolute timings asserted anywhere).

    python benchmarks/bench_hygiene_rules.py

1. contract + hygiene rules vs the seven contract rules on a git copy of the sample (git
   subprocesses included; the type and round-trip rules are left out: they have their own);
2. env-file-ignored alone (its git calls) vs the contract rules;
3. the secret scanner over N vs 4N .env.example values: ~4 means linear.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_envssot.engine import check  # noqa: E402
from pytest_envssot.secretscan import scan  # noqa: E402

CONTRACT = [
    "layer-parses",
    "template-var-has-field",
    "field-documented",
    "example-var-has-field",
    "required-field-in-template",
    "vault-marker",
    "unique-env-name",
]
HYGIENE = [
    "no-secret-in-example",
    "no-secret-default",
    "infra-var-not-in-app",
    "template-quoting",
    "template-key-matches-var",
    "vault-path-convention",
    "next-public-baked",
    "env-file-ignored",
    "debug-off",
]


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "sample"
        shutil.copytree(ROOT / "examples" / "sample_repo", repo)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        check(repo)  # warm imports (libcst, dotenv)
        contract = best_of(lambda: check(repo, only=CONTRACT))
        every = best_of(lambda: check(repo, only=CONTRACT + HYGIENE))
        git_only = best_of(lambda: check(repo, only=["env-file-ignored"]))
        hygiene = check(repo, only=HYGIENE).findings
        print(
            f"items: {len(hygiene)} hygiene + {len(check(repo, only=CONTRACT).findings)} contract"
        )
        print(f"contract+hygiene / contract rules: {every / contract:5.2f}x")
        print(f"env-file-ignored alone / contract: {git_only / contract:5.2f}x")

    def values(n: int) -> list[str]:
        pool = ["changeme", "", "postgresql://postgres:postgres@localhost:5432/app", "SGD"]
        return [secrets.token_urlsafe(32) if i % 5 == 0 else pool[i % 4] for i in range(n)]

    small, large = values(2_000), values(8_000)
    t_small = best_of(lambda: [scan(v) for v in small], repeat=9)
    t_large = best_of(lambda: [scan(v) for v in large], repeat=9)
    print(f"scanner, 4x the values:            {t_large / t_small:5.2f}x (4.00 = linear)")


if __name__ == "__main__":
    main()
