"""The file system as an attacker or an accident leaves it (README "Hardening").

Decision: a symlink is followed only while it stays inside the repository. One that leads out
(to ``/etc/passwd``, ``/dev/zero``, a neighbour's checkout) is not read and its layer file
fails ``layer-parses`` saying so; settings discovery does not peek through it either. FIFOs,
sockets and devices are never opened (a FIFO would block the run for ever). The static
readers never import or execute the user's code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
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


# Discovered layer files whose symlink leads out of the repository (B6 of issue 14).
OUTSIDE_LINKS = {
    ENV: "{outside}/secrets.env",
    "deploy/passwd.ctmpl": "/etc/passwd",
    "deploy/zero.ctmpl": "/dev/zero",  # would fill memory if read
    "deploy/environ.ctmpl": "/proc/self/environ",
    "deploy/docker-compose.yml": "/etc/hostname",
}


@pytest.mark.parametrize("rel", OUTSIDE_LINKS)
def test_a_layer_file_leading_out_of_the_repository_is_a_configuration_error(
    sample_repo: Path, tmp_path: Path, rel: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secrets.env").write_text(f"S3_SECRET_KEY={OUTSIDE_CANARY}\n")
    target = OUTSIDE_LINKS[rel].format(outside=outside)
    (sample_repo / "deploy").mkdir()
    (sample_repo / rel).unlink(missing_ok=True)
    (sample_repo / rel).symlink_to(target)

    proc = _cli(sample_repo, "check", "--format", "json")
    assert proc.returncode == 2 and proc.stdout == ""
    real = "/proc/<pid>" if target.startswith("/proc/self") else os.path.realpath(target)
    lines = [re.sub(r"/proc/\d+", "/proc/<pid>", line) for line in proc.stderr.splitlines()]
    assert lines == [
        f"envssot: error: {rel}: is a symlink leading outside the repository "
        f"({real}{'/environ' if real == '/proc/<pid>' else ''}); layer files must be inside it"
    ]
    assert OUTSIDE_CANARY not in proc.stderr


def test_links_out_that_are_no_layer_files_are_left_alone(
    sample_repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "config.py").write_text(
        "from pydantic_settings import BaseSettings\n"
        f"class Leak(BaseSettings):\n    leak: str = '{OUTSIDE_CANARY}'\n"
    )
    (outside / "x.ctmpl").write_text(f"{OUTSIDE_CANARY}={{{{ .X }}}}\n")
    (sample_repo / "apps/backend/src/shared.py").symlink_to(outside / "config.py")  # never peeked
    (sample_repo / "deploy").mkdir()
    (sample_repo / "deploy/outside-dir").symlink_to(
        outside, target_is_directory=True
    )  # not entered
    # Inside the repository a symlink is an ordinary file.
    (sample_repo / "deploy/inside.ctmpl").symlink_to(sample_repo / APP_TMPL)

    failures = _layer_failures(sample_repo)
    assert not failures, failures
    proc = _cli(sample_repo, "check", "--format", "json")
    assert proc.returncode in (0, 1) and OUTSIDE_CANARY not in proc.stdout + proc.stderr
    assert '"path": "deploy/inside.ctmpl"' in proc.stdout


# Records every file the engine opens (Python's "open" audit event covers open() and os.open),
# so "refused" can be told from "opened, then reported".
AUDITED_CHECK = """
import sys
from pathlib import Path
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
from pytest_envssot.config import ConfigError
from pytest_envssot.engine import check
try:
    check(Path(sys.argv[1]))
except ConfigError as exc:
    print("ConfigError:", exc)
print("opened:", sys.argv[2] in opened)
"""


@pytest.mark.parametrize(
    "where", ["{outside}/creds.env", "/proc/self/environ", "../outside/creds.env"]
)
def test_configured_paths_out_of_the_repository_are_refused_unopened(
    tmp_path: Path, where: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds.env").write_text(f"S3_SECRET_KEY={OUTSIDE_CANARY}\n")
    root = copy_repo(SAMPLE, tmp_path / "repo")
    configured = where.format(outside=outside)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.envssot]", f'[tool.envssot]\nenv_example = "{configured}"'
        )
    )
    opened_path = os.path.normpath(os.path.join(root, configured))
    proc = subprocess.run(
        [sys.executable, "-c", AUDITED_CHECK, str(root), opened_path],
        capture_output=True,
        text=True,
        timeout=RUN_ENDS,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"ConfigError: {configured}: outside the repository {root}" in proc.stdout
    assert "opened: False" in proc.stdout
    assert OUTSIDE_CANARY not in proc.stdout

    cli = _cli(root, "check")
    assert cli.returncode == 2 and len(cli.stderr.splitlines()) == 1, cli.stderr
    assert cli.stderr.startswith(f"envssot: error: {configured}: outside the repository")


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
    # the new class's fields are read statically: each has its items (BUILT, a working
    # default in a now curated example, is skipped with the reason)
    assert {"BUILT", "CALLED", "ANNOTATED", "QUOTED"} <= {f.variable for f in report.findings}
    result = sample_pytester.runpytest_subprocess("--envssot", "-p", "no:cacheprovider", "-rs")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the sample's fields are gone: orphans
    assert "field-documented[BUILT]" in result.stdout.str() or "BUILT" in result.stdout.str()
    assert sorted(p.name for p in markers.iterdir()) == []


# --------------------------------------------------------------------------- issue 14, part C

# `envssot <args>` as nobody: everything the CLI loads lazily is imported while privileged (the
# interpreter lives under /root), then the process drops to nobody and runs the real main().
CLI_AS_NOBODY = """
import contextlib, importlib, io, os, pkgutil, sys
import hypothesis.strategies  # a warm verdict cache skips it in the privileged run
import hypothesis.internal.conjecture.optimiser, hypothesis.internal.conjecture.shrinker
import importlib.util, unicodedata, dotenv.version, pydantic.version, pydantic_core  # the cache key's
import pytest_envssot
from pytest_envssot.cli import main
# Everything the CLI may load lazily, while the interpreter's files are still readable: which
# modules the warm-up run touches depends on the cache and the repository.
for info in pkgutil.walk_packages(pytest_envssot.__path__, "pytest_envssot."):
    if not info.name.endswith(("_import_child", "catalogue_docs")):
        importlib.import_module(info.name)
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main(["check", "--format", "json", sys.argv[1]])
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
sys.exit(main(sys.argv[2:]))
"""


def _cli_as_nobody(warm: Path, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", CLI_AS_NOBODY, str(warm), *args, str(root)],
        capture_output=True,
        text=True,
        timeout=RUN_ENDS,
        check=False,
    )
    if "Operation not permitted" in proc.stderr:
        pytest.skip("cannot drop privileges here (no CAP_SETUID)")
    return proc


def _one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2 with exactly one line on stderr holding every fragment; nothing else."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("envssot: error: "), proc.stderr[-2000:]
    for fragment in fragments:
        assert fragment in lines[0]


def _diamonds(levels: int) -> str:
    """class C<i>(C<i-1>, D<i-1>) and class D<i>(C<i-1>, D<i-1>): a valid MRO at every level."""
    lines = ["from pydantic_settings import BaseSettings", ""]
    lines += [
        "class C0(BaseSettings):\n    c0: int = 0\n",
        "class D0(BaseSettings):\n    d0: int = 0\n",
    ]
    for i in range(1, levels + 1):
        lines.append(f"class C{i}(C{i - 1}, D{i - 1}):\n    c{i}: int = 0\n")
        lines.append(f"class D{i}(C{i - 1}, D{i - 1}):\n    d{i}: int = 0\n")
    return "\n".join(lines)


def test_diamond_inheritance_resolves_like_python_in_linear_time(sample_repo: Path) -> None:
    """24 levels: each class's MRO once (was 2**levels recomputations: 20 levels > 60 s)."""
    levels = 24
    (sample_repo / "apps/backend/src/diamonds.py").write_text(_diamonds(levels))
    proc = _cli(sample_repo, "check", "--format", "json")  # ends: RUN_ENDS would fail it
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr[-2000:]

    report = check(sample_repo, defer=True)
    top = next(s for s in report.index.settings if s.cls.name == f"C{levels}")
    namespace: dict[str, object] = {}
    exec(_diamonds(levels), namespace)  # the same classes, as Python orders them
    python_mro = [c.__name__ for c in namespace[f"C{levels}"].__mro__]  # type: ignore[attr-defined]
    assert [c.name for c in top.mro] == python_mro[: len(top.mro)]
    assert "apps/backend/src/diamonds.py" not in _layer_failures(sample_repo)


def test_an_inconsistent_mro_fails_layer_parses_naming_the_class(sample_repo: Path) -> None:
    (sample_repo / "apps/backend/src/bad_mro.py").write_text(
        "from pydantic_settings import BaseSettings\n\n"
        "class A(BaseSettings):\n    a: int = 0\n\n"
        "class B(A):\n    b: int = 0\n\n"
        "class Bad(A, B):  # TypeError in Python: A before its own subclass B\n    c: int = 0\n"
    )
    failure = _layer_failures(sample_repo)["apps/backend/src/bad_mro.py"]
    assert (
        "apps/backend/src/bad_mro.py:9: class Bad: cannot create a consistent method resolution "
        "order (MRO) for bases A, B" in failure
    )


def test_unreadable_pyproject_as_another_user_is_one_line(
    world_readable_repo: Path, tmp_path: Path
) -> None:
    (world_readable_repo / "pyproject.toml").chmod(0o000)
    warm = copy_repo(SAMPLE, tmp_path / "warm")
    proc = _cli_as_nobody(warm, world_readable_repo, "check", "--format", "json")
    _one_line_error(
        proc, f"{world_readable_repo}/pyproject.toml: cannot read file: Permission denied"
    )


def test_unreadable_folder_fails_layer_parses_naming_it(
    world_readable_repo: Path, tmp_path: Path
) -> None:
    locked = world_readable_repo / "deploy/locked"
    locked.mkdir(parents=True)
    (locked / "secrets.ctmpl").write_text("X={{ .X }}\n")
    # warmed on the same repository while readable: the modules its check needs are loaded
    warm = copy_repo(world_readable_repo, tmp_path / "warm")
    locked.chmod(0o000)
    try:
        # the file-level rule: a search's lazy imports of root's interpreter are not readable
        # by nobody here (a real unprivileged user has an interpreter of their own)
        proc = _cli_as_nobody(warm, world_readable_repo, "check", "--rules", "layer-parses")
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "deploy/locked: layer-parses" in proc.stdout
    assert "deploy/locked: cannot read folder: Permission denied" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: p.symlink_to("/proc/self/mem"), "is a symlink leading outside the repository"),
        (lambda p: p.symlink_to("/proc/kmsg"), "is a symlink leading outside the repository"),
        (os.mkfifo, "is not a regular file (a FIFO, socket or device)"),
        (lambda p: p.write_text("[tool.envssot]\nx = " + "[" * 600 + "]" * 600 + "\n"), "pyproject.toml:2: invalid TOML: nested too deeply"),
    ],
    ids=["proc-self-mem", "proc-kmsg", "fifo", "nested-600"],
)  # fmt: skip
def test_a_hostile_pyproject_is_one_line_at_once(
    sample_repo: Path, make: Callable[[Path], object], fragment: str
) -> None:
    pyproject = sample_repo / "pyproject.toml"
    pyproject.unlink()
    make(pyproject)
    proc = _cli(sample_repo, "check", "--format", "json")  # /proc/kmsg and a FIFO blocked for ever
    _one_line_error(proc, fragment, "pyproject.toml")


def test_a_hostile_pyproject_under_pytest_is_a_usage_error(
    pytester: pytest.Pytester, sample_repo: Path
) -> None:
    """Our repository's pyproject.toml, not pytest's own (pytest parses that one first)."""
    pyproject = sample_repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n[tool.deep]\nx = " + "[" * 600 + "]" * 600 + "\n"
    )
    result = pytester.runpytest_subprocess(
        "--envssot", f"--envssot-root={sample_repo}", "-p", "no:cacheprovider"
    )
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out[-2000:]
    assert "invalid TOML: nested too deeply" in out
    assert "INTERNALERROR" not in out and "Traceback" not in out


@pytest.fixture
def deep_repo() -> Iterator[Path]:
    """A sample copy with a broken template 1,100 folders down (outside pytest's tmp_path, whose
    cleanup recurses per level)."""
    base = Path(tempfile.mkdtemp(prefix="envssot-deep-"))
    root = copy_repo(SAMPLE, base / "repo")
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(1_100):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with os.fdopen(os.open("deep.ctmpl", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as f:
            f.write("{{ if }}\n")
        yield root
    finally:
        os.close(fd)
        subprocess.run(["rm", "-rf", str(base)], check=True)


DEEP_TMPL = "d/" * 1_100 + "deep.ctmpl"


def test_folders_nested_thousands_deep_are_walked(deep_repo: Path) -> None:
    proc = _cli(deep_repo, "check")
    assert proc.returncode == 1, proc.stderr[-2000:]  # was exit 3 (RecursionError in the walk)
    assert f"{DEEP_TMPL}:1: layer-parses" in proc.stdout
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def test_folders_nested_thousands_deep_under_pytest(
    pytester: pytest.Pytester, deep_repo: Path
) -> None:
    result = pytester.runpytest_subprocess(
        "--envssot", f"--envssot-root={deep_repo}", "-p", "no:cacheprovider", "-rf"
    )
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # was an INTERNALERROR with a traceback
    assert [i for i in failed_ids(result) if i.endswith("deep.ctmpl::layer-parses")]
    assert "INTERNALERROR" not in out and "Traceback" not in out


def test_the_search_for_readers_outside_the_settings_walks_thousands_deep(
    deep_repo: Path,
) -> None:
    """A template variable no field reads sends ``template-var-has-field`` looking through the
    code for a reader: that search walked with os.walk, which recursed per level (a failing
    "internal error in this rule (RecursionError)" item, found by benchmarks/hostile.py)."""
    (deep_repo / "deploy").mkdir(exist_ok=True)
    (deep_repo / "deploy/extra.ctmpl").write_text(
        "DEEP_ONLY={{ .DEEP_ONLY }}\nNOWHERE={{ .NOWHERE }}\n"
    )
    script = deep_repo / DEEP_TMPL.replace("deep.ctmpl", "run.sh")
    script.write_text('echo "$DEEP_ONLY"\n')

    report = check(deep_repo, only=("template-var-has-field",))
    found = {f.variable: f for f in report.findings}
    assert not [f.render() for f in report.findings if "internal error" in f.render()]
    assert found["DEEP_ONLY"].outcome.value == "passed"  # read by the script 1,100 folders down
    assert DEEP_TMPL.replace("deep.ctmpl", "run.sh") in found["DEEP_ONLY"].render()
    assert found["NOWHERE"].outcome.value == "failed"


def test_a_fifo_named_gitignore_fails_without_asking_git(sample_repo: Path) -> None:
    subprocess.run(["git", "init", "-q", str(sample_repo)], check=True)
    (sample_repo / ".gitignore").unlink()
    os.mkfifo(sample_repo / ".gitignore")  # git check-ignore opened it and waited 30 s
    proc = _cli(sample_repo, "check", "--rules", "env-file-ignored")
    assert proc.returncode == 1, proc.stderr
    assert ".gitignore: env-file-ignored" in proc.stdout
    assert ".gitignore: not a regular file (a FIFO, socket or device)" in proc.stdout


def test_a_fifo_named_settings_py_is_named(sample_repo: Path) -> None:
    (sample_repo / CONFIG).unlink()
    os.mkfifo(sample_repo / "apps/backend/src/settings.py")
    failures = _layer_failures(sample_repo)
    assert (
        "apps/backend/src/settings.py: is not a regular file (a FIFO, socket or device)"
        in failures["apps/backend/src/settings.py"]
    )
    assert not any("no settings class found" in text for text in failures.values())


def test_max_file_bytes_limits_every_layer_file(sample_repo: Path) -> None:
    pyproject = sample_repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.envssot]", "[tool.envssot]\nmax_file_bytes = 2000")
    )
    size = (sample_repo / CONFIG).stat().st_size
    assert size > 2_000
    failures = _layer_failures(sample_repo)
    assert (
        f"{CONFIG}: file is {size} bytes, larger than 250 (max_file_bytes / 8 for this kind of file)"
        in failures[CONFIG]
    )
    assert ENV in failures and APP_TMPL not in failures  # 2,398 and 1,380 bytes


def test_a_python_layer_file_gets_an_eighth_of_max_file_bytes(sample_repo: Path) -> None:
    """Python's syntax tree takes ~100 bytes per byte of source, kept for the run: a settings
    module an eighth of the limit is refused with its reason, the other layers still read."""
    size = (sample_repo / CONFIG).stat().st_size
    pyproject = sample_repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.envssot]", f"[tool.envssot]\nmax_file_bytes = {size * 8 - 8}"
        )
    )
    failures = _layer_failures(sample_repo)
    limit = (size * 8 - 8) // 8
    reason = f"file is {size} bytes, larger than {limit} (max_file_bytes / 8 for this kind of file)"
    assert reason in failures[CONFIG]
    assert set(failures) == {CONFIG}  # the example and templates are far under the limit
    pyproject.write_text(pyproject.read_text().replace(f"{size * 8 - 8}", f"{size * 8}"))
    assert _layer_failures(sample_repo) == {}


def test_progress_on_stderr_when_reading_takes_a_while(sample_repo: Path) -> None:
    many = sample_repo / "deploy/many"
    many.mkdir(parents=True)
    body = '{{ with secret "secret/data/x" }}X={{ .Data.data.X }}{{ end }}\n'
    for i in range(20_000):  # ~1.4 ms each: well past the first seconds of quiet
        (many / f"t{i}.ctmpl").write_text(body)
    proc = _cli(sample_repo, "check", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    counts = re.findall(r"^envssot: read (\d+)/(\d+) layer files$", proc.stderr, re.MULTILINE)
    assert counts and counts[-1][0] == counts[-1][1], proc.stderr[-2000:]
    assert proc.stdout.startswith("{")  # the report itself is untouched


def test_a_constraint_the_type_cannot_take_fails_the_value_item(sample_repo: Path) -> None:
    """Found by benchmarks/hostile.py (a deleted range merged two fields): `ge=` on a str made
    pydantic raise TypeError, which was an internal error of the rule."""
    (sample_repo / "apps/backend/src/odd.py").write_text(
        "from pydantic import Field\nfrom pydantic_settings import BaseSettings\n\n"
        "class Odd(BaseSettings):\n    odd_limit: str = Field(default='a', ge=1)\n"
    )
    with (sample_repo / ENV).open("a") as env:
        env.write("ODD_LIMIT=2\n")
    report = check(sample_repo, defer=True)
    rendered = [f.render() for f in report.findings if f.rule == "example-value-type"]
    assert not [text for text in rendered if "internal error" in text]
    odd = [text for text in rendered if "[ODD_LIMIT]" in text]
    assert odd and "pydantic cannot apply the field's constraints to it (TypeError)" in odd[0]
