"""Shared fixtures: real copies of the example repositories, never the originals."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample_repo"
DRIFTED = ROOT / "examples" / "drifted_repo"


def copy_repo(source: Path, target: Path) -> Path:
    shutil.copytree(
        source,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".hypothesis"),
    )
    return target


@pytest.fixture(autouse=True, scope="session")
def _private_envssot_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every run under test keeps its per-user cache (round-trip verdicts, hypothesis' Unicode
    tables) in a temporary folder, never in the real home cache; subprocesses inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENVSSOT_CACHE_DIR", str(tmp_path_factory.mktemp("envssot-cache")))
        patch.delenv("ENVSSOT_NO_CACHE", raising=False)
        yield


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """A private copy of examples/sample_repo."""
    return copy_repo(SAMPLE, tmp_path / "sample_repo")


@pytest.fixture
def sample_pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester whose working directory holds a copy of examples/sample_repo."""
    copy_repo(SAMPLE, pytester.path)
    return pytester


@pytest.fixture
def edit() -> Callable[[Path, str, str, str], None]:
    """Replace exactly one occurrence of ``old`` in ``root/rel`` (fails loudly otherwise)."""

    def _edit(root: Path, rel: str, old: str, new: str) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return _edit


def build_go_helper(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build tests/go/<name> once (stdlib only: offline, private caches); skip without Go."""
    import os
    import subprocess

    go = shutil.which("go")
    if go is None:
        pytest.skip("Go toolchain not installed (apt-get install golang-go)")
    tmp = tmp_path_factory.mktemp(name)
    env = {
        **os.environ,
        "GOFLAGS": "-mod=mod",
        "GOCACHE": str(tmp / "cache"),
        "GOPATH": str(tmp / "gopath"),
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }
    binary = tmp / name
    source = Path(__file__).parent / "go" / name
    subprocess.run(
        [go, "build", "-o", str(binary), "."], cwd=source, env=env, check=True, timeout=300
    )
    return binary


def failed_ids(result: pytest.RunResult) -> list[str]:
    """Node ids of the FAILED lines of a pytester run's short summary (run with -rf)."""
    import re

    return sorted(re.findall(r"^FAILED (\S+)", result.stdout.str(), re.MULTILINE))
