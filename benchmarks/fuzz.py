"""Fuzzing cost of template-roundtrip per template variable at the default budget.

Builds a synthetic repository with N template vars of the usual kinds (SecretStr keys with a
token_urlsafe domain, ints, bools, URLs, constrained strs), runs only template-roundtrip,
and prints ms per variable against a baseline measured in the same run: a bare
``hypothesis.find`` over ``st.text()`` with the same budget and a condition that never
holds, i.e. what hypothesis itself costs per variable. Target: under 20 ms per variable.

Variables whose type, domain, consumer and line differ only in their names share one search
(the usual case: many keys of one kind). The second figure gives every variable its own
fallback text, so each runs its own search: the cost of one search, the worst case.

    python benchmarks/fuzz.py [N]
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_envssot.config import Config
from pytest_envssot.engine import check

KINDS = (
    ("SecretStr", 'SecretStr("")', ""),
    ("int", "1", ", ge=1, le=1000"),
    ("bool", "False", ""),
    ("AnyHttpUrl | None", "None", ""),
    ("str", '"x"', ', pattern=r"^[a-z][a-z0-9-]{0,20}$"'),
)


def build(root: Path, n: int, distinct: bool = False) -> None:
    """``distinct``: every line its own fallback text, so no two variables share a search."""
    fields, example, template = [], [], []
    for i in range(n):
        ann, default, extra = KINDS[i % len(KINDS)]
        name = f"VAR_{i}_KEY" if ann == "SecretStr" else f"VAR_{i}"
        fields.append(
            f'    v{i}: {ann} = Field(default={default}, validation_alias="{name}"{extra})'
        )
        example.append(f"# [VAULT] var {i}\n{name}=")
        fallback = f'"{i}"' if distinct else '""'
        template.append(
            f'{name}={{{{ with .Data.data.{name} }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}{fallback}{{{{ end }}}}'
        )
    (root / "app").mkdir()
    (root / "deploy").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench"\n[tool.envssot]\ndefault_secret_domain = "token_urlsafe"\n'
    )
    (root / "app/config.py").write_text(
        "from pydantic import AnyHttpUrl, Field, SecretStr\n"
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
        "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_ignore_empty=True)\n" + "\n".join(fields) + "\n"
    )
    (root / ".env.example").write_text("\n".join(example) + "\n")
    (root / "deploy/secrets.ctmpl").write_text(
        '{{ with secret (printf "secret/data/bench/%s/app" (env "ENV")) }}\n'
        + "\n".join(template)
        + "\n{{ end }}\n"
    )


def baseline(n: int, examples: int) -> float:
    """Seconds for n bare hypothesis searches of `examples` each."""
    from hypothesis import HealthCheck, Verbosity, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    options = settings(
        max_examples=examples, deadline=None, database=None, derandomize=True,
        verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck), print_blob=False,
    )  # fmt: skip
    start = time.perf_counter()
    for i in range(n):

        def never(value: str, i: int = i) -> bool:  # a new function per search, as before
            return False

        with contextlib.suppress(NoSuchExample):
            find(st.text(), never, settings=options)
    return time.perf_counter() - start


def _time(root: Path, repeat: int) -> tuple[float, dict[str, int]]:
    """Median seconds of template-roundtrip over ``root`` and its outcome counts."""
    check(root, only=["template-roundtrip"])  # warm up: imports, caches
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        report = check(root, only=["template-roundtrip"])
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), report.summary()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    os.environ["CI"] = "true"  # derandomized, no database: the same work every run
    os.environ["ENVSSOT_NO_CACHE"] = "1"  # the searches themselves, not stored verdicts
    examples = Config(root=Path("."), project="x").examples
    baseline(5, examples)  # warm up
    base = []
    with tempfile.TemporaryDirectory() as tmp:
        shared, distinct = Path(tmp) / "shared", Path(tmp) / "distinct"
        for root, own in ((shared, False), (distinct, True)):
            root.mkdir()
            build(root, n, distinct=own)
        base.append(baseline(n, examples))
        ours, outcomes = _time(shared, 3)
        base.append(baseline(n, examples))
        worst, worst_outcomes = _time(distinct, 3)
        base.append(baseline(n, examples))
    per_var, per_worst = ours / n * 1000, worst / n * 1000
    per_base = statistics.median(base) / n * 1000
    spread = (max(base) - min(base)) / statistics.median(base) * 100
    print(f"template-roundtrip, {n} vars of {len(KINDS)} kinds, {examples} examples each")
    print(f"  envssot  {per_var:7.2f} ms/variable (target < 20): {outcomes}")
    print(f"           {per_var / per_base:7.2f}x baseline")
    print("  every var its own shape (no shared search: the worst case, one search each)")
    print(f"           {per_worst:7.2f} ms/variable: {worst_outcomes}")
    print(f"           {per_worst / per_base:7.2f}x baseline")
    print(
        f"  baseline {per_base:7.2f} ms/variable (bare hypothesis.find over st.text(), median of 3,"
        f" spread {spread:.0f}%)"
    )
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
