"""The file system as an attacker or an accident leaves it (README "Hardening").

Decision: a symlink is followed only while it stays inside the repository. One that leads out
(to ``/etc/passwd``, ``/dev/zero``, a neighbour's checkout) is not read and its layer file
fails ``layer-parses`` saying so; settings discovery does not peek through it either. FIFOs,
sockets and devices are never opened (a FIFO would block the run for ever). The static
readers never import or execute the user's code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE, copy_repo, failed_ids

from pytest_envssot.engine import check

ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
OUTSIDE_CANARY = "CANARYoutsideQv7Rt2"
RUN_ENDS = 300  # seconds: a blocked read would hang; this makes it a failure instead


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_envssot.cli", *args, str(root)],
        capture_output=True,
        text=True,
        timeout=RUN_ENDS,
        check=False,
    )


def _layer_failures(root: Path) -> dict[str, str]:
    report = check(root, defer=True)
    return {f.location.path: f.render() for f in report.failed if f.rule == "layer-parses"}


def test_symlinks_out_of_the_repository_are_reported_not_read(
    sample_repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secrets.env").write_text(f"S3_SECRET_KEY={OUTSIDE_CANARY}\n")
    (outside / "config.py").write_text(
        "from pydantic_settings import BaseSettings\n"
        f"class Leak(BaseSettings):\n    leak: str = '{OUTSIDE_CANARY}'\n"
    )
    (sample_repo / ENV).unlink()
    (sample_repo / ENV).symlink_to(outside / "secrets.env")
    (sample_repo / "deploy").mkdir()
    (sample_repo / "deploy/passwd.ctmpl").symlink_to("/etc/passwd")
    (sample_repo / "deploy/zero.ctmpl").symlink_to("/dev/zero")  # would fill memory if read
    (sample_repo / "apps/backend/src/shared.py").symlink_to(outside / "config.py")
    (sample_repo / "deploy/outside-dir").symlink_to(outside, target_is_directory=True)
    # Inside the repository a symlink is an ordinary file.
    (sample_repo / "deploy/inside.ctmpl").symlink_to(sample_repo / APP_TMPL)

    failures = _layer_failures(sample_repo)
    for rel in (ENV, "deploy/passwd.ctmpl", "deploy/zero.ctmpl"):
        assert "is a symlink leading outside the repository" in failures[rel]
        assert "not followed" in failures[rel]
    assert "deploy/inside.ctmpl" not in failures
    assert "apps/backend/src/shared.py" not in failures  # never peeked, so no settings file
    proc = _cli(sample_repo, "check", "--format", "json")
    assert proc.returncode == 1 and OUTSIDE_CANARY not in proc.stdout + proc.stderr
    assert "root:" not in proc.stdout  # nothing of /etc/passwd


def test_symlink_loops_end_as_read_errors(sample_repo: Path) -> None:
    deploy = sample_repo / "deploy"
    deploy.mkdir()
    (deploy / "a.ctmpl").symlink_to("b.ctmpl")
    (deploy / "b.ctmpl").symlink_to("a.ctmpl")
    (deploy / "self").symlink_to(".", target_is_directory=True)  # a folder loop for the walk
    (sample_repo / "apps/loop.py").symlink_to("loop.py")
    failures = _layer_failures(sample_repo)
    for rel in ("deploy/a.ctmpl", "deploy/b.ctmpl"):
        assert "cannot read file: Too many levels of symbolic links" in failures[rel]
    assert _cli(sample_repo, "check").returncode == 1


def test_fifos_and_directories_in_place_of_layer_files(sample_repo: Path) -> None:
    (sample_repo / ENV).unlink()
    os.mkfifo(sample_repo / ENV)  # opening it for reading would block until a writer comes
    deploy = sample_repo / "deploy"
    deploy.mkdir()
    os.mkfifo(deploy / "pipe.ctmpl")
    os.mkfifo(sample_repo / "apps/backend/src/pipe.py")
    (deploy / "secrets.ctmpl").mkdir()  # a folder with a layer file's name
    (deploy / "secrets.ctmpl/inner.txt").write_text("x")

    proc = _cli(sample_repo, "check")  # ends: the timeout would fail it
    assert proc.returncode == 1, proc.stderr
    assert f"{ENV}: is not a regular file (a FIFO, socket or device)" in proc.stdout
    assert "deploy/pipe.ctmpl: is not a regular file" in proc.stdout
    assert "deploy/secrets.ctmpl" not in proc.stdout  # a folder is no template
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_directory_named_like_the_example_file(sample_repo: Path, tmp_path: Path) -> None:
    (sample_repo / ENV).unlink()
    (sample_repo / ENV).mkdir()
    assert f"{ENV}: is a directory, expected a file" in _layer_failures(sample_repo)[ENV]


@pytest.fixture
def world_readable_repo() -> Iterator[Path]:
    """A sample copy another user can traverse (pytest's tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="envssot-perm-"))
    try:
        base.chmod(0o755)
        root = copy_repo(SAMPLE, base / "repo")
        for folder, _, files in os.walk(base):
            Path(folder).chmod(0o755)
            for name in files:
                (Path(folder) / name).chmod(0o644)
        yield root
    finally:
        shutil.rmtree(base)


# Imports everything the engine loads lazily while still privileged (the interpreter lives
# under /root, which the unprivileged user cannot read), then drops to nobody and checks.
AS_NOBODY = """
import os, sys
from pathlib import Path
from pytest_envssot.engine import check
check(Path(sys.argv[1]))
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
for finding in check(Path(sys.argv[2])).failed:
    print(finding.render())
"""


def test_unreadable_files_fail_their_item(world_readable_repo: Path, tmp_path: Path) -> None:
    root = world_readable_repo
    for rel in (ENV, APP_TMPL, CONFIG):
        (root / rel).chmod(0o000)
    warm = copy_repo(SAMPLE, tmp_path / "warm")
    proc = subprocess.run(
        [sys.executable, "-c", AS_NOBODY, str(warm), str(root)],
        capture_output=True,
        text=True,
        timeout=RUN_ENDS,
        check=False,
    )
    if proc.returncode != 0 and "Operation not permitted" in proc.stderr:
        pytest.skip("cannot drop privileges here (no CAP_SETUID)")
    assert proc.returncode == 0, proc.stderr
    for rel in (ENV, APP_TMPL, CONFIG):
        assert f"{rel}: cannot read file: Permission denied" in proc.stdout
    assert "no settings class found" not in proc.stdout  # the unreadable config.py is named


EXECUTES_ON_IMPORT = """\
import os
import subprocess
from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

os.system("touch {marker}/os-system")
open("{marker}/open", "w").close()
subprocess.run(["touch", "{marker}/subprocess"])


def side_effect() -> int:
    open("{marker}/called", "w").close()
    return 1


class Meta(type):
    def __new__(mcs, *args):
        open("{marker}/metaclass", "w").close()
        return super().__new__(mcs, *args)


class Settings(BaseSettings):
    exec("open('{marker}/class-body', 'w').close()")
    built: int = Field(default_factory=side_effect, validation_alias="BUILT")
    called: int = Field(default=side_effect(), validation_alias="CALLED")
    annotated: Annotated[int, os.system("touch {marker}/annotated")] = Field(
        default=1, validation_alias="ANNOTATED"
    )
    quoted: "__import__('os').system('touch {marker}/string-annotation') or int" = Field(
        default=1, validation_alias="QUOTED"
    )
    secret: SecretStr = Field(default=SecretStr(str(side_effect())), validation_alias="SECRET_KEY")
"""


def test_static_readers_never_execute_the_settings_module(
    sample_pytester: pytest.Pytester, tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    root = sample_pytester.path
    (root / CONFIG).write_text(EXECUTES_ON_IMPORT.format(marker=markers), encoding="utf-8")
    (root / "apps/backend/src/__init__.py").write_text(f"open('{markers}/package', 'w').close()\n")

    report = check(root)  # every rule, the round trip's searches included
    assert report.findings
    for args in (["check"], ["check", "--format", "sarif"], ["check", "--diff"], ["vars"]):
        assert _cli(root, *args).returncode in (0, 1)
    result = sample_pytester.runpytest_subprocess("--envssot", "-p", "no:cacheprovider", "-rf")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the new fields are undocumented
    assert f"{ENV}::field-documented[BUILT]" in failed_ids(result)
    assert sorted(p.name for p in markers.iterdir()) == []
