"""What import mode costs, as ratios (no absolute timings asserted anywhere).

    python -m benchmarks.importmode

1. one child per run: start + import the sample's config.py + read its env names, next to a bare
   ``python -c 'import pydantic_settings'`` (the floor any child pays);
2. the type and env-name rules on the sample, import mode on vs off;
3. N vs 10N fields of an imported type (validated through the real class in one batch per
   class): ~10 means linear.
"""

from __future__ import annotations

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
from pytest_envssot.pysettings.importmode import ImportSession  # noqa: E402

RULES = ["example-value-type", "default-value-type", "env-names-match-import", "settings-imports"]
CONFIG = "apps/backend/src/config.py"


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _child(root: Path) -> None:
    session = ImportSession(root, 30)
    try:
        session.load(CONFIG, ["Settings"])
    finally:
        session.close()


def _generated(root: Path, n: int) -> None:
    (root / "app").mkdir(parents=True)
    (root / "app/__init__.py").write_text("")
    (root / "app/types.py").write_text(
        "from typing import Annotated\nfrom pydantic import AfterValidator, Field\n\n"
        "Port = Annotated[int, Field(ge=1, le=65535), AfterValidator(lambda v: v)]\n"
    )
    fields = "".join(f"    port_{i}: Port = {1000 + i}\n" for i in range(n))
    (root / "app/config.py").write_text(
        "from pydantic_settings import BaseSettings\n\nfrom .types import Port\n\n\n"
        f"class Settings(BaseSettings):\n{fields}"
    )
    (root / ".env.example").write_text("".join(f"PORT_{i}={2000 + i}\n" for i in range(n)))
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample"
        shutil.copytree(ROOT / "examples" / "sample_repo", sample)
        bare = best_of(
            lambda: subprocess.run([sys.executable, "-c", "import pydantic_settings"], check=True)
        )
        child = best_of(lambda: _child(sample))
        print(f"bare python -c 'import pydantic_settings': {bare * 1000:.0f} ms")
        print(f"import-mode child (start, import config.py, env names, exit): {child * 1000:.0f} ms"
              f"  = {child / bare:.2f}x the bare interpreter")  # fmt: skip
        off = best_of(lambda: check(sample, only=RULES), 3)
        on = best_of(lambda: check(sample, {"import": True}, only=RULES), 3)
        print(f"type + env-name rules on the sample: off {off * 1000:.0f} ms, "
              f"on {on * 1000:.0f} ms ({on / off:.1f}x; the difference is the one child)")  # fmt: skip
        timings = {}
        for n in (100, 1000):
            root = Path(tmp) / f"gen{n}"
            _generated(root, n)
            timings[n] = best_of(lambda root=root: check(root, {"import": True}, only=RULES[:2]), 3)
            print(f"{n} fields of an imported type, import mode: {timings[n] * 1000:.0f} ms")
        print(f"x10 fields -> x{timings[1000] / timings[100]:.1f} time (linear: <= x11)")


if __name__ == "__main__":
    main()
