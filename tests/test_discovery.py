"""Which files are which layer: zero-config discovery and [tool.envssot] overrides."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from pytest_envssot.config import ConfigError, load_config, match_paths
from pytest_envssot.discovery import discover, walk_files
from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_zero_config_finds_every_layer_of_the_sample(sample_repo: Path) -> None:
    config = load_config(sample_repo)
    layers = discover(config)
    assert config.project == "finance_report"
    assert layers.settings == ("apps/backend/src/config.py",)
    assert layers.templates == (
        "repo/finance_report/finance_report/01.postgres/secrets.ctmpl",
        "repo/finance_report/finance_report/10.app/secrets.ctmpl",
    )
    assert layers.dockerfiles == ("apps/frontend/Dockerfile",)
    assert layers.env_example == ".env.example"


def test_tests_and_virtualenvs_are_not_settings(tmp_path: Path) -> None:
    settings = (
        "from pydantic_settings import BaseSettings\nclass S(BaseSettings):\n    x: int = 1\n"
    )
    write(
        tmp_path,
        {
            "app/config.py": settings,
            "tests/test_config.py": settings,
            ".venv/lib/site.py": settings,
            "node_modules/x/Dockerfile": "FROM x\n",
            "app/helpers.py": "def f():\n    return 1\n",
        },
    )
    layers = discover(load_config(tmp_path))
    assert layers.settings == ("app/config.py",)
    assert layers.dockerfiles == ()


def test_subclass_in_another_file_is_discovered(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "core/base.py": "from pydantic_settings import BaseSettings\nclass AppBase(BaseSettings):\n    debug: bool = False\n",
            "svc/settings.py": "from core.base import AppBase\n\nclass Settings(AppBase):\n    port: int = 8000\n",
        },
    )
    assert discover(load_config(tmp_path)).settings == ("core/base.py", "svc/settings.py")


def test_configuration_points_elsewhere(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.envssot]\nproject = "shop"\nenv_example = "docs/env.sample"\n'
            'settings = ["src/conf.py"]\ntemplates = ["deploy/**/secrets.ctmpl"]\ndockerfiles = []\n',
            "deploy/a/b/secrets.ctmpl": "",
            "deploy/secrets.ctmpl": "",
            "other/secrets.ctmpl": "",
            "web/Dockerfile": "FROM x\n",
        },
    )
    config = load_config(tmp_path)
    layers = discover(config)
    assert config.project == "shop"
    assert layers.env_example == "docs/env.sample"
    assert layers.settings == ("src/conf.py",)  # does not exist: kept, so it fails layer-parses
    assert sorted(layers.templates) == ["deploy/a/b/secrets.ctmpl", "deploy/secrets.ctmpl"]
    assert layers.dockerfiles == ()


def test_pattern_matching_nothing_is_kept_as_a_missing_file(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.envssot]\ntemplates = ["deploy/**/*.ctmpl"]\n'})
    assert discover(load_config(tmp_path)).templates == ("deploy/**/*.ctmpl",)


def test_project_defaults_to_folder_name(tmp_path: Path) -> None:
    assert load_config(tmp_path).project == tmp_path.name


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.envssot]\nsetings = []\n", "unknown key(s) in [tool.envssot]: setings"),
        ("[tool.envssot]\nexternal = [1]\n", "external must be a list of strings"),
        ('[tool.envssot]\nproject = ""\n', "project must be a non-empty string"),
        ("[tool]\nenvssot = 3\n", "[tool.envssot] must be a table"),
        ("a = \n", "pyproject.toml:1: invalid TOML"),
        ("[tool.envssot]\nmax_file_bytes = 0\n", "max_file_bytes must be a positive integer"),
        ('[tool.envssot]\nmax_file_bytes = "big"\n', "max_file_bytes must be a positive integer"),
        # the parser's recursion, ended on our side: one line with the line of the nesting
        (
            "[tool.x]\n\ndeep = " + "[" * 600 + "]" * 600 + "\n",
            "pyproject.toml:3: invalid TOML: nested",
        ),
        (
            "[tool.x]\ndeep = " + "{a = " * 600 + "1" + "}" * 600 + "\n",
            "pyproject.toml:2: invalid TOML: nested",
        ),
    ],
)
def test_bad_configuration_is_a_clear_error(tmp_path: Path, toml: str, message: str) -> None:
    write(tmp_path, {"pyproject.toml": toml})
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("configured", "where"),
    [
        ('env_example = "{outside}/creds.env"', "{outside}/creds.env"),
        ('env_example = "/proc/self/environ"', "/proc/self/environ"),
        ('env_example = "../outside/creds.env"', "../outside/creds.env"),
        ('settings = ["../outside/config.py"]', "../outside/config.py"),
        ('templates = ["deploy/../../outside/*.ctmpl"]', "deploy/../../outside/*.ctmpl"),
        ('compose = ["../../../../../../../../etc/passwd"]', "../../../../../../../../etc/passwd"),
    ],
)
def test_layer_paths_outside_the_repository_are_a_configuration_error(
    tmp_path: Path, configured: str, where: str
) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "repo"
    write(outside, {"creds.env": "S3_SECRET_KEY=CANARYoutside\n", "a.ctmpl": "", "config.py": ""})
    write(root, {"pyproject.toml": "[tool.envssot]\n" + configured.format(outside=outside) + "\n"})
    with pytest.raises(ConfigError) as raised:
        discover(load_config(root))
    message = str(raised.value)
    assert message.startswith(where.format(outside=outside) + ": outside the repository")
    assert "\n" not in message


def test_max_file_bytes_is_configurable(tmp_path: Path) -> None:
    assert load_config(tmp_path).max_file_bytes == 20 * 1024 * 1024  # the default
    write(tmp_path, {"pyproject.toml": "[tool.envssot]\nmax_file_bytes = 1000\n"})
    assert load_config(tmp_path).max_file_bytes == 1000


def test_the_walk_survives_folders_nested_thousands_deep(tmp_path: Path) -> None:
    """os.walk recursed once per level (RecursionError at ~1,000 on Python 3.11)."""
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(1_100):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open("deep.ctmpl", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
        files = list(walk_files(tmp_path))
        assert files == ["d/" * 1_100 + "deep.ctmpl"]
    finally:
        os.close(fd)
        subprocess.run(["rm", "-rf", str(tmp_path / "d")], check=True)  # rmtree recurses too


def test_the_walk_order_and_what_it_skips(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"b/x": "", "a/z": "", "a/c/y": "", "top": "", "node_modules/m": "", "x.egg-info/e": ""},
    )
    (tmp_path / "a/link").symlink_to(tmp_path / "b", target_is_directory=True)  # not entered
    (tmp_path / "a/file-link").symlink_to(tmp_path / "top")  # a file like any other
    assert list(walk_files(tmp_path)) == ["top", "a/file-link", "a/z", "a/c/y", "b/x"]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**/*.ctmpl", "a.ctmpl", True),
        ("**/*.ctmpl", "x/y/a.ctmpl", True),
        ("deploy/*.ctmpl", "deploy/x/a.ctmpl", False),
        ("deploy/**/secrets.ctmpl", "deploy/secrets.ctmpl", True),
        ("apps/*/Dockerfile*", "apps/web/Dockerfile.prod", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, matches: bool) -> None:
    assert bool(match_paths(pattern, [path])) is matches


def test_files_named_after_a_dockerfile_are_not_dockerfiles(tmp_path: Path) -> None:
    """Seen on a real repository: Dockerfile.ui.dockerignore failed layer-parses."""
    write(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12\n",
            "Dockerfile.ui": "FROM node:20\n",
            "Dockerfile.ui.dockerignore": "node_modules\n**/.env\n",
            "Dockerfile.md": "# How we build\n",
        },
    )
    layers = discover(load_config(tmp_path))
    assert layers.dockerfiles == ("Dockerfile", "Dockerfile.ui")
    report = check(tmp_path, only=["layer-parses"])
    docker = {
        f.location.path: f.outcome for f in report.findings if "Dockerfile" in f.location.path
    }
    assert docker == {"Dockerfile": Outcome.PASSED, "Dockerfile.ui": Outcome.PASSED}


def test_a_configured_non_dockerfile_is_still_read(tmp_path: Path) -> None:
    """Configuration is explicit: a configured file that does not parse fails."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.envssot]\ndockerfiles = ["Dockerfile.ui.dockerignore"]\n',
            "Dockerfile.ui.dockerignore": "ARG\n",
        },
    )
    assert discover(load_config(tmp_path)).dockerfiles == ("Dockerfile.ui.dockerignore",)
