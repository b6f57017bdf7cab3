"""Shared fixtures: real copies of the example repositories, never the originals."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample_repo"
DRIFTED = ROOT / "examples" / "drifted_repo"


def copy_repo(source: Path, target: Path) -> Path:
    shutil.copytree(
        source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    return target


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
