"""The per-user cache: a warm run reports exactly what a cold one does, keeps no value, and
is never written into the repository."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLE, copy_repo
from test_leak_canary import HYPOTHESIS_CANARY, _files, _snapshot, build_canary_repo, leaks


def _check(root: Path, cache: Path, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "ENVSSOT_NO_CACHE")}
    environ.update(ENVSSOT_CACHE_DIR=str(cache), **env)
    return subprocess.run(
        [sys.executable, *extra, "-m", "pytest_envssot.cli", "check", ".", "--format", "json"],
        cwd=root, env=environ, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def _cached_text(cache: Path) -> str:
    """Everything the cache folder holds, compressed files opened."""
    parts = []
    for path in _files(cache):
        data = path.read_bytes()
        parts.append(gzip.decompress(data) if path.suffix == ".gz" else data)
    return b"\n".join(parts).decode("latin-1")


def _seeded(root: Path) -> Path:
    """A fixed seed, so a cold search draws the same values in every run."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace("[tool.envssot]\n", "[tool.envssot]\nseed = 7\n", 1))
    return root


def test_a_warm_cache_reports_what_an_empty_one_does_and_keeps_no_value(tmp_path: Path) -> None:
    root = _seeded(build_canary_repo(tmp_path / "repo"))
    cache = tmp_path / "cache"
    before = _snapshot(root)
    cold = _check(root, cache)
    warm = _check(root, cache)
    uncached = _check(root, tmp_path / "unused", ENVSSOT_NO_CACHE="1")
    assert cold.returncode == 1 and '"template-roundtrip"' in cold.stdout, cold.stderr[-2000:]
    assert warm.stdout == cold.stdout == uncached.stdout
    assert warm.stderr == cold.stderr == ""
    assert not (tmp_path / "unused").exists()  # ENVSSOT_NO_CACHE: nothing kept anywhere
    assert list((cache / "verdicts").glob("*.json"))  # the cold run kept its verdicts
    # The canary repository fails next to every secret, and API_SECRET's only value (found by
    # hypothesis alone) breaks the round trip: none of them is in the cache.
    assert "template-roundtrip" in cold.stdout and "API_SECRET" in cold.stdout
    assert leaks(_cached_text(cache)) == []
    assert HYPOTHESIS_CANARY not in _cached_text(cache)
    assert _snapshot(root) == before  # and nothing was written into the repository


def test_an_unchanged_repository_runs_no_search_the_second_time(tmp_path: Path) -> None:
    root = copy_repo(SAMPLE, tmp_path / "repo")
    # A domain whose characters are not told without hypothesis (a flag: from_regex draws it),
    # so the line is searched on the first run.
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    old = 'OTEL_SERVICE_NAME = "regex:[a-z][a-z0-9-]{0,62}"'
    assert old in text
    pyproject.write_text(text.replace(old, 'OTEL_SERVICE_NAME = "regex:(?i)[a-z][a-z0-9-]{0,62}"'))
    cache = tmp_path / "cache"
    cold = _check(root, cache, "-X", "importtime")
    warm = _check(root, cache, "-X", "importtime")
    assert cold.stdout == warm.stdout and '"failed": 0' in warm.stdout
    # hypothesis is imported only to search; every verdict came from the cache.
    assert "hypothesis" in cold.stderr and "hypothesis" not in warm.stderr


def test_lines_settled_by_construction_need_no_hypothesis(tmp_path: Path) -> None:
    # Every line of the sample is {{ printf "%q" . }} read by pydantic-settings over a domain
    # of Go-printable characters: no value can change on the way, so nothing is searched, even
    # with an empty cache (rules/_settled.py).
    root = copy_repo(SAMPLE, tmp_path / "repo")
    cold = _check(root, tmp_path / "cache", "-X", "importtime")
    assert '"failed": 0' in cold.stdout and "hypothesis" not in cold.stderr


def test_the_cache_can_be_switched_off_in_pyproject(tmp_path: Path) -> None:
    root = copy_repo(SAMPLE, tmp_path / "repo")
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace("[tool.envssot]\n", "[tool.envssot]\ncache = false\n", 1))
    done = _check(root, tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (tmp_path / "cache").exists()


def test_a_cache_folder_inside_the_repository_is_not_used(tmp_path: Path) -> None:
    root = copy_repo(SAMPLE, tmp_path / "repo")
    before = _snapshot(root)
    done = _check(root, root / ".cache")
    assert done.returncode == 0, done.stderr[-2000:]
    assert _snapshot(root) == before and not (root / ".cache").exists()
