"""The package stays typed, linted, formatted, and cheap to import when not asked for."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed (pip install ruff)")
def test_ruff_lint_and_format() -> None:
    lint = _run("ruff", "check", "pytest_envssot", "tests", "benchmarks")
    assert lint.returncode == 0, lint.stdout
    fmt = _run("ruff", "format", "--check", "pytest_envssot", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout


def test_mypy_strict() -> None:
    pytest.importorskip("mypy")
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    """Installing the plugin must not slow test runs that don't pass --envssot."""
    code = (
        "import sys, pytest_envssot.plugin\n"
        "heavy = [m for m in ('libcst', 'hypothesis', 'psycopg', 'pydantic', 'pydantic_settings',"
        " 'dotenv', 'yaml') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
