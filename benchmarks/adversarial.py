"""Reading stays linear on pathological input: time ratios for growing worst cases.

For each worst case (a long line per reader, thousands of ``{{``, and the input that made
each of our regexes, or a library's, backtrack) the pure parse function, or the whole engine
where the cost sits in a rule or the redactor, runs on a small and a 10x larger input. The
ratio of the times is printed next to the size ratio: about 10 is linear, about 100 would be
quadratic. CPU time, best of ``--repeat``.

Usage: ``python -m benchmarks.adversarial [--scale 1.0] [--repeat 3]``
(``--scale 0.1`` for a quick look; the default reads up to 10 MB per case.)
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_envssot.engine import check
from pytest_envssot.quoting import dotenv_variables
from pytest_envssot.readers.compose import parse_compose
from pytest_envssot.readers.dockerfile import parse_dockerfile
from pytest_envssot.readers.example import parse_example
from pytest_envssot.readers.settings import parse_settings
from pytest_envssot.readers.template import parse_template
from pytest_envssot.redact import Redactor, mask_credentials, mask_url_passwords
from pytest_envssot.secretscan import token_spans

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_repo"
MB = 1024 * 1024
LINEAR_LIMIT = 15  # a 10x input may cost up to 15x (allocation, caches); quadratic gives ~100x


def _engine(rel: str, edit: Callable[[str, int], str]) -> Callable[[int], Callable[[], object]]:
    """A whole ``check`` over a sample copy whose ``rel`` is rewritten for size n."""

    def prepare(n: int) -> Callable[[], object]:
        root = Path(tempfile.mkdtemp(prefix="envssot-adv-")) / "repo"
        shutil.copytree(SAMPLE, root)
        path = root / rel
        path.write_text(edit(path.read_text(encoding="utf-8"), n), encoding="utf-8")
        return lambda: check(root, disable=("template-roundtrip",))

    return prepare


def _pure(parse: Callable[[str, str], object], build: Callable[[int], str]):  # type: ignore[no-untyped-def]
    def prepare(n: int) -> Callable[[], object]:
        text = build(n)
        return lambda: parse(text, "x")

    return prepare


def _fn(run: Callable[[str], object], build: Callable[[int], str]):  # type: ignore[no-untyped-def]
    def prepare(n: int) -> Callable[[], object]:
        text = build(n)
        return lambda: run(text)

    return prepare


TMPL = (SAMPLE / "repo/finance_report/finance_report/10.app/secrets.ctmpl").read_text()
CONFIG = (SAMPLE / "apps/backend/src/config.py").read_text()
ENV = (SAMPLE / ".env.example").read_text()
DOCKERFILE = (SAMPLE / "apps/frontend/Dockerfile").read_text()
COMPOSE = (SAMPLE / "docker-compose.yml").read_text()


def _in_block(text: str, insert: str) -> str:
    at = text.rindex("{{ end }}")
    return text[:at] + insert + "\n" + text[at:]


# (name, small n, prepare(n) -> run)
CASES: list[tuple[str, int, Callable[[int], Callable[[], object]]]] = [
    ("template: one long line", MB, _pure(parse_template, lambda n: _in_block(TMPL, "X=" + "a" * n))),
    ("template: n/2 x '{{'", MB // 10, _pure(parse_template, lambda n: TMPL + "{{" * (n // 2))),
    ("template: actions on one line", MB // 10,
     _pure(parse_template, lambda n: _in_block(TMPL, "X=" + '{{ "a" }}' * (n // 9)))),
    ("settings: long comment line", MB, _pure(parse_settings, lambda n: CONFIG + "# " + "a" * n)),
    ("settings: n/8 constants", MB // 10,
     _pure(parse_settings, lambda n: CONFIG + "".join(f"C{i} = {i}\n" for i in range(n // 8)))),
    ("settings: too deep (tokenizer finds the line)", MB // 2,
     _pure(parse_settings, lambda n: CONFIG + "X = " + "1 + " * (n // 4) + "1\n")),
    ("example: long value", MB, _pure(parse_example, lambda n: ENV + "A=" + "a" * n + "\n")),
    ("example: long comment", MB, _pure(parse_example, lambda n: ENV + "# " + "a" * n + "\n")),
    ("dockerfile: long RUN line", MB, _pure(parse_dockerfile, lambda n: DOCKERFILE + "RUN " + "a" * n)),
    ("dockerfile: continuations", MB // 10,
     _pure(parse_dockerfile, lambda n: DOCKERFILE + "RUN a \\\n" * (n // 8))),
    ("dockerfile: heredoc starts", MB // 10,
     _pure(parse_dockerfile, lambda n: DOCKERFILE + "RUN " + '<<"a' * (n // 4))),
    ("compose: long value", MB // 10, _pure(parse_compose, lambda n: COMPOSE + "x: " + "a" * n)),
    ("compose: merge-key bomb (levels)", 6,
     _pure(parse_compose, lambda n: "".join(
         f"x{i}: &x{i}\n  <<: [{', '.join([f'*x{i - 1}'] * 9)}]\n" if i else "x0: &x0 {a: 1}\n"
         for i in range(n)))),
    ("regex: URL password, scheme-like run", MB, _fn(mask_url_passwords, lambda n: "a" * n + "://u:p")),
    ("regex: JWT shape, eyJ- runs", MB, _fn(token_spans, lambda n: "eyJ-" * (n // 4))),
    ("regex: dotenv ${ without }", MB, _fn(lambda v: list(dotenv_variables(v)), lambda n: "${" * (n // 2))),
    ("regex: URL passwords, one run of ://u:p", MB // 10, _fn(mask_url_passwords, lambda n: "a://u:p" * (n // 7))),
    ("regex: libpq password then blanks", MB, _fn(mask_credentials, lambda n: "password=a" + " " * n + "b")),
    ("regex: libpq password=a repeated", MB // 10, _fn(mask_credentials, lambda n: "password=a " * (n // 11))),
    ("regex: unclosed quoted passwords", MB // 10, _fn(mask_credentials, lambda n: "password='" * (n // 10))),
    ("redactor: a secret inside one long name", MB // 10,
     _fn(Redactor(["OPENAI"], ["OPENAI_MODEL_KEY"]).scrub, lambda n: "OPENAI_" * (n // 7))),
    ("redactor: one long secret", MB,
     _fn(lambda v: Redactor([v]).scrub("x " + v + " y"), lambda n: "s3cr3t" * (n // 6))),
    ("engine: 1 long example value", MB,
     _engine(".env.example", lambda t, n: t.replace("BASE_CURRENCY=SGD", "BASE_CURRENCY=" + "A" * n))),
    ("engine: settings file, class lines", MB // 10,
     _engine("apps/backend/src/config.py", lambda t, n: t + "class A(\n" * (n // 9))),
]  # fmt: skip


def best_cpu(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
        gc.enable()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every input size")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'worst case':46} {'n':>10} {'10n':>10} {'t(n) s':>9} {'t(10n) s':>9} {'ratio':>6}")
    worst = 0.0
    for name, small, prepare in CASES:
        n = small if "levels" in name else max(1000, int(small * args.scale))
        large = n + 1 if "levels" in name else 10 * n  # levels: one more is 9x the expansion
        t_small = best_cpu(args.repeat, prepare(n))
        t_large = best_cpu(args.repeat, prepare(large))
        ratio = t_large / max(t_small, 1e-6)
        if "levels" not in name:
            worst = max(worst, ratio)
        print(f"{name:46} {n:>10,} {large:>10,} {t_small:9.4f} {t_large:9.4f} {ratio:6.1f}")
    verdict = "linear" if worst <= LINEAR_LIMIT else "NOT linear"
    print(f"\nworst ratio for a 10x input: {worst:.1f} ({verdict}; target <= {LINEAR_LIMIT})")


if __name__ == "__main__":
    main()
