"""Fuzz the engine with hostile repositories: every run must end, within 20 s and 1 GB.

Each input is a copy of one example repository (``examples/*``) with one mutation from a
family: bytes (flips, truncation, NUL, BOMs, CRLF and lone CR, invalid UTF-8, spliced template
and dotenv syntax), the file system (symlink loops, sockets, FIFOs, folders named like files,
links to ``/proc/self/mem``, ``/proc/kmsg``, ``/dev/zero``, mode-000 files and folders, folders
1,000+ deep), the configuration (paths out of the repository, TOML nested 500+ deep, a small
``max_file_bytes``) and size (diamond inheritance 20 levels deep, inconsistent MROs, MB-long
literals, thousands of variables and templates, 100,000 variables, 20,000 templates).

Inputs run in-process: a pool of forked workers forks one child per input, which sets
``RLIMIT_AS`` (``--memory``), drops to ``nobody`` for every ``--nobody-every``-th input (and
every mode-000 input: root reads those anyway), runs ``engine.check`` plus the JSON and text
renderers, and reports; the worker kills it after ``--timeout`` seconds. A smaller sample (``--cli``) goes through the real CLI in a subprocess
(``python -m pytest_envssot.cli check --format json``, every rule; as nobody the process
imports as root and drops privileges before ``main()``: the interpreter lives under /root).

Counted, and all must be zero: crashes (an exception escaping, exit 3, a signal, ``Traceback``
or ``internal error`` in the output, a configuration error over several lines), runs over the
time limit, runs over the memory limit, and runs that wrote into the scanned repository.

Usage: ``python -m benchmarks.hostile [--seed 1] [--count 10000] [--jobs 2] [--cli 200]``
(``--count 300 --cli 20`` for a quick look; ``--keep`` keeps the copies of failing inputs).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import multiprocessing
import os
import random
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_envssot.config import ConfigError, load_config
from pytest_envssot.discovery import discover
from pytest_envssot.engine import check
from pytest_envssot.output import iter_json, iter_text, render_json, render_text

EXAMPLES = sorted(
    p for p in (Path(__file__).resolve().parent.parent / "examples").iterdir() if p.is_dir()
)
NOBODY = 65534
MB = 1024 * 1024
CRASH_MARKERS = ("Traceback (most recent call last)", "internal error", "INTERNALERROR")
# Deferred to the CLI sample: hypothesis' round trip costs more than everything else together.
IN_PROCESS_DISABLE = ("template-roundtrip",)


# --------------------------------------------------------------------------- mutations


@dataclass
class Repo:
    """One mutable copy: where it is and which of its files are layer files."""

    root: Path
    layers: list[str]  # every layer file, plus pyproject.toml and .gitignore
    rng: random.Random

    def pick(self, suffix: str = "") -> str:
        chosen = [f for f in self.layers if f.endswith(suffix)] or self.layers
        return self.rng.choice(chosen)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def data(self, rel: str) -> bytes:
        path = self.path(rel)
        return path.read_bytes() if path.is_file() and not path.is_symlink() else b""

    def write(self, rel: str, data: bytes) -> None:
        path = self.path(rel)
        if path.is_symlink() or path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def replace(self, rel: str, make: Callable[[Path], object]) -> None:
        """``rel`` removed, then recreated by ``make`` (a FIFO, a link, a socket, ...)."""
        path = self.path(rel)
        if path.is_symlink() or path.is_file():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        make(path)

    def append_to_pyproject(self, text: str) -> None:
        old = self.data("pyproject.toml").decode("utf-8", "replace")
        if "[tool.envssot]" in old:
            new = old.replace("[tool.envssot]", "[tool.envssot]\n" + text, 1)
        else:
            new = old + "\n[tool.envssot]\n" + text
        self.write("pyproject.toml", new.encode())


def _offset(repo: Repo, data: bytes) -> int:
    return repo.rng.randrange(len(data) + 1)


def _bytes(edit: Callable[[Repo, bytes], bytes]) -> Callable[[Repo], str]:
    def mutate(repo: Repo) -> str:
        rel = repo.pick()
        repo.write(rel, edit(repo, repo.data(rel)))
        return rel

    return mutate


def _flip(repo: Repo, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(repo.rng.randint(1, 8)):
        if out:
            out[repo.rng.randrange(len(out))] ^= 1 << repo.rng.randrange(8)
    return bytes(out)


def _insert(snippets: tuple[bytes, ...]) -> Callable[[Repo, bytes], bytes]:
    def edit(repo: Repo, data: bytes) -> bytes:
        at = _offset(repo, data)
        return data[:at] + repo.rng.choice(snippets) * repo.rng.randint(1, 3) + data[at:]

    return edit


def _delete_range(repo: Repo, data: bytes) -> bytes:
    start, end = sorted((_offset(repo, data), _offset(repo, data)))
    return data[:start] + data[end:]


SYNTAX = (
    b"{{", b"}}", b"{{ end }}", b"{{ if }}", b'{{ "', b"{{/*", b"{{-", b"-}}", b"{{ with secret",
    b'"', b"'", b"\\", b"`", b"=", b"#", b"export ", b"[VAULT]", b"${", b"$(", b"\n",
    b"class X(", b"class S(BaseSettings):\n    x: int = 1\n", b"(" * 50, b"[" * 50,
    b"    ", b"\t", b"Field(", b"alias=", b"SecretStr(", b"ARG ", b"ENV ", b"<<EOF\n",
    b"&a", b"*a", b"<<: *a", b"!!python/object", b"\xe2\x80\xae", b"\xef\xbf\xbd",
)  # fmt: skip
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
INVALID_UTF8 = (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")
OUTSIDE = ("/etc/passwd", "/dev/zero", "/dev/null", "/proc/self/mem", "/proc/kmsg",
           "/proc/self/environ", "/", "/tmp")  # fmt: skip


def _symlink_loop(repo: Repo) -> str:
    rel = repo.pick()
    other = rel + ".loop"
    repo.replace(rel, lambda p: p.symlink_to(Path(other).name))
    repo.replace(other, lambda p: p.symlink_to(Path(rel).name))
    return rel


def _folder_loop(repo: Repo) -> str:
    folder = Path(repo.pick()).parent
    repo.path(str(folder / "loop")).symlink_to(".", target_is_directory=True)
    return str(folder / "loop")


def _socket(repo: Repo) -> str:
    rel = repo.rng.choice([repo.pick(), "deploy/sock.ctmpl", "apps/settings.py"])

    def bind(path: Path) -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(path))  # the socket file stays after close

    repo.replace(rel, bind)
    return rel


def _fifo(repo: Repo) -> str:
    rel = repo.rng.choice(
        [repo.pick(), "pyproject.toml", ".gitignore", "apps/settings.py", "x/secrets.ctmpl"]
    )
    if rel == ".gitignore":
        subprocess.run(["git", "init", "-q", str(repo.root)], check=False)
    repo.replace(rel, os.mkfifo)
    return rel


def _link_out(repo: Repo) -> str:
    rel = repo.rng.choice([repo.pick(), "pyproject.toml", "deploy/out.ctmpl"])
    target = repo.rng.choice(OUTSIDE)
    repo.replace(rel, lambda p: p.symlink_to(target))
    return f"{rel} -> {target}"


def _folder_in_place(repo: Repo) -> str:
    rel = repo.pick()
    repo.replace(rel, lambda p: p.mkdir())
    return rel


def _mode_000(repo: Repo) -> str:
    """Runs as nobody (root reads anything): a layer file, ``pyproject.toml`` (C3: was a
    PermissionError traceback), the settings module, ``.gitignore``, or a folder of templates."""
    if repo.rng.random() < 0.6:
        rel = repo.rng.choice([repo.pick(), "pyproject.toml", repo.pick(".py"), ".gitignore"])
        repo.path(rel).chmod(0)
        return rel
    locked = repo.path("deploy/locked")
    locked.mkdir(parents=True, exist_ok=True)
    (locked / "secrets.ctmpl").write_text("X={{ .X }}\n")
    locked.chmod(0)
    return "deploy/locked/"


def _deep_folders(repo: Repo) -> str:
    depth = repo.rng.randint(1_000, 1_300)
    fd = os.open(repo.root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with os.fdopen(os.open("deep.ctmpl", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as f:
            f.write("X={{ .X }}\n")
    finally:
        os.close(fd)
    return f"{depth} folders"


def _configured_outside(repo: Repo) -> str:
    where = repo.rng.choice(["/etc/passwd", "/proc/self/environ", "../../etc/hostname", "/tmp/x"])
    key = repo.rng.choice(["env_example", "settings", "templates", "compose"])
    value = f'"{where}"' if key == "env_example" else f'["{where}"]'
    repo.append_to_pyproject(f"{key} = {value}")
    return f"{key} = {value}"


def _deep_toml(repo: Repo) -> str:
    depth = repo.rng.randint(500, 2_000)
    opener, closer = repo.rng.choice([("[", "]"), ("{a = ", "}")])
    value = opener * depth + "1" + closer * depth
    repo.write(
        "pyproject.toml", repo.data("pyproject.toml") + f"\n[tool.x]\nd = {value}\n".encode()
    )
    return f"depth {depth}"


def _small_limit(repo: Repo) -> str:
    limit = repo.rng.choice([1, 100, 1_000, 4_096])
    repo.append_to_pyproject(f"max_file_bytes = {limit}")
    return str(limit)


def _diamonds(repo: Repo) -> str:
    levels = repo.rng.randint(10, 20)
    lines = ["from pydantic_settings import BaseSettings", ""]
    lines += [
        "class C0(BaseSettings):\n    c0: int = 0",
        "class D0(BaseSettings):\n    d0: int = 0",
    ]
    for i in range(1, levels + 1):
        bases = f"C{i - 1}, D{i - 1}"
        lines.append(f"class C{i}({bases}):\n    c{i}: int = 0")
        lines.append(f"class D{i}({bases}):\n    d{i}: int = 0")
    if repo.rng.random() < 0.3:
        lines.append(f"class Bad(C0, C{levels}):\n    bad: int = 0")  # no consistent MRO
    repo.write("apps/diamonds.py", "\n\n".join(lines).encode())
    return f"{levels} levels"


def _huge_literal(repo: Repo) -> str:
    size = repo.rng.choice([1, 2, 5, 10]) * MB
    if repo.rng.random() < 0.5:
        body = repo.rng.choice(["a", "\\n", "\\\\", "\\x41", "é"]) * (size // 2)
        repo.write("deploy/huge.ctmpl", f'X={{{{ "{body}" }}}}\n'.encode())
        return f"template literal {size // MB} MB"
    quote = repo.rng.choice(['"', "'"])
    repo.write(
        ".env.example", repo.data(".env.example") + f"HUGE={quote}{'a' * size}{quote}\n".encode()
    )
    return f".env.example value {size // MB} MB"


def _many(repo: Repo) -> str:
    n = repo.rng.choice([1_000, 2_000, 5_000])
    kind = repo.rng.choice(["vars", "templates", "fields"])
    if kind == "vars":
        extra = "".join(f"VAR_{i}=value{i}\n" for i in range(n))
        repo.write(".env.example", repo.data(".env.example") + extra.encode())
    elif kind == "templates":
        n //= 5
        for i in range(n):
            repo.write(f"deploy/many/t{i}.ctmpl", b"{{ with secret \"s/data/x\" }}A={{ .Data.data.A }}{{ end }}\n")  # fmt: skip
    else:
        body = "".join(f"    field_{i}: str = 'x'\n" for i in range(n))
        repo.write("apps/many.py", f"from pydantic_settings import BaseSettings\nclass Many(BaseSettings):\n{body}".encode())  # fmt: skip
    return f"{n} {kind}"


def _vars_100k(repo: Repo) -> str:
    """C2: 100,000 variables in ``.env.example`` (was 71 s and 1.21 GB)."""
    extra = "".join(f"VAR_{i}=value{i}\n" for i in range(100_000))
    repo.write(".env.example", repo.data(".env.example") + extra.encode())
    return "100000 vars"


def _templates_20k(repo: Repo) -> str:
    """C4: 20,000 ``.ctmpl`` files (1.4 ms each; progress on stderr)."""
    body = b'{{ with secret "s/data/x" }}A={{ .Data.data.A }}{{ end }}\n'
    folder = repo.path("deploy/many")
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(20_000):
        (folder / f"t{i}.ctmpl").write_bytes(body)
    return "20000 templates"


def _nesting(repo: Repo) -> str:
    depth = repo.rng.choice([100, 1_000, 10_000])
    rel = repo.pick(".ctmpl")
    opener = repo.rng.choice(["{{ with .X }}", "{{ if .X }}", "{{ (", "{{ range .X }}"])
    repo.write(rel, repo.data(rel) + (opener * depth).encode())
    return f"{rel} x{depth}"


FAMILIES: dict[str, Callable[[Repo], str]] = {
    "byte-flip": _bytes(_flip),
    "truncate": _bytes(lambda r, d: d[: _offset(r, d)]),
    "nul": _bytes(_insert((b"\x00",))),
    "bom": _bytes(lambda r, d: r.rng.choice(BOMS) + d),
    "utf16": _bytes(lambda r, d: d.decode("utf-8", "replace").encode(r.rng.choice(["utf-16", "utf-16-be"]))),
    "crlf": _bytes(lambda r, d: d.replace(b"\n", b"\r\n")),
    "lone-cr": _bytes(lambda r, d: d.replace(b"\n", b"\r")),
    "invalid-utf8": _bytes(_insert(INVALID_UTF8)),
    "splice-syntax": _bytes(_insert(SYNTAX)),
    "delete-range": _bytes(_delete_range),
    "symlink-loop": _symlink_loop,
    "folder-loop": _folder_loop,
    "socket": _socket,
    "fifo": _fifo,
    "link-out": _link_out,
    "folder-in-place": _folder_in_place,
    "mode-000": _mode_000,
    "deep-folders": _deep_folders,
    "configured-outside": _configured_outside,
    "deep-toml": _deep_toml,
    "small-max-file-bytes": _small_limit,
    "diamonds": _diamonds,
    "huge-literal": _huge_literal,
    "many": _many,
    "100k-vars": _vars_100k,
    "20k-templates": _templates_20k,
    "nesting": _nesting,
}  # fmt: skip
# Expensive families are drawn less often; byte mutations and the file system most.
WEIGHTS = {
    "huge-literal": 0.15, "many": 0.2, "deep-folders": 0.3, "diamonds": 0.5,
    "100k-vars": 0.04, "20k-templates": 0.03,
}  # fmt: skip
# Families whose point is a permission: root reads a mode-000 file anyway, so they always run
# as nobody (when the benchmark runs as root), whatever --nobody-every says.
AS_NOBODY = frozenset({"mode-000"})


# --------------------------------------------------------------------------- running one input


@dataclass(frozen=True)
class Task:
    index: int
    seed: int
    example: Path
    layers: tuple[str, ...]
    family: str
    nobody: bool
    base: Path


@dataclass
class Result:
    index: int
    family: str
    detail: str
    nobody: bool
    outcome: str  # ok | config-error | crash | over-time | over-memory | wrote
    seconds: float
    peak_mb: float
    why: str = ""
    cpu: float = 0.0  # user + system seconds of the run (its subprocesses included)
    loaded: float = 0.0  # seconds of a first run over the limit, when it ended in time alone


def _make_copy(task: Task) -> tuple[Path, str]:
    root = task.base / f"in{task.index}" / task.example.name
    shutil.copytree(task.example, root, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for folder, _, _ in os.walk(root.parent):
        Path(folder).chmod(0o755)  # nobody must get in (mkdtemp is 0700)
    repo = Repo(root, list(task.layers), random.Random(task.seed * 1_000_003 + task.index))
    detail = FAMILIES[task.family](repo)
    return root, detail


def _listing(root: Path) -> set[str]:
    """Every entry's path, type and size: what "nothing written" compares (no recursion)."""
    out: set[str] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            out.add(f"{entry.path}:{stat.S_IFMT(info.st_mode)}:{info.st_size}")
            if stat.S_ISDIR(info.st_mode):
                stack.append(Path(entry.path))
    return out


def _child(root: Path, nobody: bool, text_too: bool, memory: int, out_fd: int) -> None:
    """In the forked child: limits, privileges, the engine, a verdict on ``out_fd``."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if nobody:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    verdict = {"outcome": "ok", "why": ""}
    try:
        report = check(root, disable=IN_PROCESS_DISABLE)
        # every message through the redactor, as `check --format json` prints it (the issue's
        # face and limits), piece by piece as the CLI writes it; every other input the text
        # renderer too
        pieces = itertools.chain(
            iter_json(report), iter_text(report, verbose=True) if text_too else ()
        )
        for piece in pieces:
            marker = next((m for m in CRASH_MARKERS if m in piece), None)
            if marker:
                line = next(x for x in piece.splitlines() if marker in x)
                verdict = {"outcome": "crash", "why": f"output says: {line.strip()[:300]}"}
                break
    except ConfigError as exc:
        message = str(exc)
        bad = "\n" in message.strip() or any(m in message for m in CRASH_MARKERS)
        verdict = {"outcome": "crash" if bad else "config-error", "why": message[:300]}
    except MemoryError:
        verdict = {"outcome": "over-memory", "why": "MemoryError"}
    except BaseException as exc:
        verdict = {"outcome": "crash", "why": f"{type(exc).__name__} escaped check()"}
    os.write(out_fd, json.dumps(verdict).encode())


def _copy_or_skip(task: Task) -> tuple[Path, str] | Result:
    """The mutated copy and what was done, or the skipped result of a mutation that cannot
    be made here (counted, not run)."""
    try:
        return _make_copy(task)
    except Exception as exc:
        _remove(task.base / f"in{task.index}")
        return Result(task.index, task.family, f"not made: {exc}", task.nobody, "skipped", 0, 0)


def run_input(task: Task, timeout: float, memory: int, keep: bool) -> Result:
    made = _copy_or_skip(task)
    if isinstance(made, Result):
        return made
    root, detail = made
    before = _listing(root)
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        try:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                _child(root, task.nobody, task.index % 2 == 1, memory, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    outcome, why, peak, cpu = "ok", "", 0.0, 0.0
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            peak = usage.ru_maxrss / 1024
            cpu = usage.ru_utime + usage.ru_stime
            break
        if time.monotonic() - started > timeout:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            outcome, why, peak = (
                "over-time",
                f"killed after {timeout:.0f} s",
                usage.ru_maxrss / 1024,
            )
            cpu = usage.ru_utime + usage.ru_stime
            break
        time.sleep(0.005)
    seconds = time.monotonic() - started
    with os.fdopen(read_fd, "rb") as pipe:
        answer = pipe.read()
    if outcome == "ok":
        if answer:
            verdict = json.loads(answer)
            outcome, why = verdict["outcome"], verdict["why"]
        elif os.WIFSIGNALED(status):
            outcome, why = "crash", f"killed by signal {os.WTERMSIG(status)}"
        else:
            outcome, why = "crash", "no verdict"
    if outcome in ("ok", "config-error") and _listing(root) != before:
        outcome, why = "wrote", "the repository changed"
    result = Result(task.index, task.family, detail, task.nobody, outcome, seconds, peak, why, cpu)
    if not (keep and outcome not in ("ok", "config-error")):
        _remove(root.parent)
    return result


def _remove(path: Path) -> None:
    """``rm -rf`` (shutil.rmtree recursed per level before Python 3.12: deep folders)."""
    subprocess.run(["chmod", "-R", "u+rwx", str(path)], check=False, capture_output=True)
    subprocess.run(["rm", "-rf", str(path)], check=False)


# --------------------------------------------------------------------------- the CLI sample

# As root, then (argv[2] == "nobody") dropped to nobody before main(): everything the CLI may
# load lazily is imported while the interpreter's files under /root are still readable. A warm
# run alone is not enough: with the verdict cache warm it skips the round trip's hypothesis.
CLI_AS = """
import contextlib, importlib, io, os, pkgutil, sys
import hypothesis.strategies
import hypothesis.internal.conjecture.optimiser, hypothesis.internal.conjecture.shrinker
import importlib.util, unicodedata, dotenv.version, pydantic.version, pydantic_core
import pytest_envssot
from pytest_envssot.cli import main
for info in pkgutil.walk_packages(pytest_envssot.__path__, "pytest_envssot."):
    if not info.name.endswith(("_import_child", "catalogue_docs")):
        importlib.import_module(info.name)
import benchmarks.hostile
benchmarks.hostile._codecs()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main(["check", "--format", "json", sys.argv[1]])
if sys.argv[2] == "nobody":
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
sys.exit(main(["check", "--format", "json", sys.argv[3]]))
"""


def run_cli(task: Task, timeout: float, memory: int, keep: bool) -> Result:
    made = _copy_or_skip(task)
    if isinstance(made, Result):
        return made
    root, detail = made
    before = _listing(root)
    started = time.monotonic()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    user = "nobody" if task.nobody else "root"
    cpu_before = _children_cpu()
    cmd = [sys.executable, "-c", CLI_AS, str(EXAMPLES[0]), user, str(root)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
            env=env,
            check=False,
        )
        outcome, why = _cli_verdict(proc)
    except subprocess.TimeoutExpired:
        outcome, why = "over-time", f"killed after {timeout:.0f} s"
    seconds = time.monotonic() - started
    cpu = _children_cpu() - cpu_before  # one subprocess at a time per worker
    if outcome in ("ok", "config-error") and _listing(root) != before:
        outcome, why = "wrote", "the repository changed"
    result = Result(task.index, task.family, detail, task.nobody, outcome, seconds, 0.0, why, cpu)
    if not (keep and outcome not in ("ok", "config-error")):
        _remove(root.parent)
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cli_verdict(proc: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    out = proc.stdout + proc.stderr
    if "MemoryError" in out:
        return "over-memory", "MemoryError"
    marker = next((m for m in CRASH_MARKERS if m in out), None)
    if proc.returncode not in (0, 1, 2) or marker:
        return "crash", f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-300:]}"
    if proc.returncode == 2:
        lines = proc.stderr.strip().splitlines()
        if len(lines) != 1:
            return "crash", f"exit 2 with {len(lines)} lines on stderr"
        return "config-error", lines[0][:300]
    return "ok", ""


# --------------------------------------------------------------------------- the run


def _tasks(args: argparse.Namespace, base: Path, start: int, count: int) -> list[Task]:
    layer_lists = {}
    for example in EXAMPLES:
        layers = discover(load_config(example))
        files = [*layers.settings, *layers.templates, *layers.dockerfiles, *layers.compose]
        files += [layers.env_example, "pyproject.toml", ".gitignore"]
        layer_lists[example] = tuple(f for f in dict.fromkeys(files) if (example / f).is_file())
    names = args.family or list(FAMILIES)
    weights = [WEIGHTS.get(n, 1.0) for n in names]
    tasks = []
    for index in range(start, start + count):
        rng = random.Random(args.seed * 7_919 + index)
        example = rng.choice(EXAMPLES)
        family = rng.choices(names, weights)[0]
        nobody = args.nobody_every > 0 and (index % args.nobody_every == 0 or family in AS_NOBODY)
        tasks.append(Task(index, args.seed, example, layer_lists[example], family, nobody, base))
    return tasks


def _worker(job: tuple[str, Task, float, int, bool]) -> Result:
    kind, task, timeout, memory, keep = job
    return (run_cli if kind == "cli" else run_input)(task, timeout, memory, keep)


def _retime_alone(results: list[Result], jobs: list[tuple[str, Task, float, int, bool]]) -> None:
    """Each input over the time limit runs again once, alone, after the pool, judged by the CPU
    time it takes: on this shared machine a job may get a fraction of a core, so wall time
    measures the neighbours. It counts as in time when it ends within three times the limit
    and takes at most the limit in CPU time; a hang (blocked, or computing for ever) still
    fails. The first run's wall time stays in ``loaded``."""
    by_index = {job[1].index: job for job in jobs}
    for i, first in enumerate(results):
        if first.outcome != "over-time":
            continue
        kind, task, timeout, memory, keep = by_index[first.index]
        _remove(task.base / f"in{task.index}")  # kept by --keep
        again = _worker((kind, task, 3 * timeout, memory, keep))
        if again.outcome in ("ok", "config-error") and again.cpu <= timeout:
            again.loaded = first.seconds
            results[i] = again


def _report(title: str, results: list[Result], wall: float) -> int:
    made = [r for r in results if r.outcome != "skipped"]
    if len(made) < len(results):
        print(f"   ({len(results) - len(made)} mutations could not be made and were skipped)")
    counts = Counter(r.outcome for r in made)
    bad = [r for r in made if r.outcome not in ("ok", "config-error")]
    as_nobody = sum(r.nobody for r in made)
    print(f"\n== {title}: {len(made)} inputs ({as_nobody} as nobody), wall {wall:.0f} s")
    print(
        f"   crashes {counts['crash']}, over time {counts['over-time']}, "
        f"over memory {counts['over-memory']}, wrote into the repository {counts['wrote']}"
    )
    print(
        f"   ended cleanly {counts['ok']}, one-line configuration errors {counts['config-error']}"
    )
    retimed = [r for r in made if r.loaded]
    if retimed:
        print(
            f"   over the limit in the pool, in CPU time alone: {len(retimed)} "
            f"({', '.join(sorted({r.family for r in retimed}))}; at most "
            f"{max(r.cpu for r in retimed):.1f} s CPU, {max(r.seconds for r in retimed):.1f} s "
            "wall alone)"
        )
    if made:
        slowest = max(made, key=lambda r: r.seconds)
        print(f"   slowest {slowest.seconds:.1f} s ({slowest.family}: {slowest.detail})")
        busiest = max(made, key=lambda r: r.cpu)
        print(f"   most CPU {busiest.cpu:.1f} s ({busiest.family}: {busiest.detail})")
        peaks = [r for r in made if r.peak_mb]
        if peaks:
            biggest = max(peaks, key=lambda r: r.peak_mb)
            print(
                f"   biggest peak RSS {biggest.peak_mb:.0f} MB ({biggest.family}: {biggest.detail})"
            )
    _per_family(made)
    for r in bad[:30]:
        who = "nobody" if r.nobody else "root"
        print(f"   ! #{r.index} {r.family} ({r.detail}) as {who}: {r.outcome}: {r.why}")
    return len(bad)


def _per_family(made: list[Result]) -> None:
    """One line per family: inputs, as nobody, configuration errors, failures, slowest."""
    print(f"   {'family':<22}{'inputs':>7}{'nobody':>7}{'config':>7}{'failing':>8}{'slowest':>9}")
    for family in sorted({r.family for r in made}):
        rows = [r for r in made if r.family == family]
        failing = sum(r.outcome not in ("ok", "config-error") for r in rows)
        print(
            f"   {family:<22}{len(rows):>7}{sum(r.nobody for r in rows):>7}"
            f"{sum(r.outcome == 'config-error' for r in rows):>7}{failing:>8}"
            f"{max(r.seconds for r in rows):>8.1f}s"
        )


def _codecs() -> None:
    """Every codec the standard library has, looked up now: their modules live under /root
    too (``read_text("ascii")`` of a package data file as nobody: "unknown encoding")."""
    import codecs
    import encodings.aliases

    for name in {*encodings.aliases.aliases.values(), "utf_8_sig", "unicode_escape"}:
        with contextlib.suppress(LookupError, ImportError):
            codecs.lookup(name)


def _warm() -> None:
    """Import now whatever a run imports lazily: children dropped to nobody cannot read the
    interpreter's files under /root (a ModuleNotFoundError there is no finding of ours)."""
    import importlib
    import pkgutil

    import pytest_envssot

    for module in pkgutil.walk_packages(pytest_envssot.__path__, "pytest_envssot."):
        with contextlib.suppress(Exception):
            importlib.import_module(module.name)
    _codecs()
    for example in EXAMPLES:
        report = check(example, disable=IN_PROCESS_DISABLE)
        render_json(report)
        render_text(report, verbose=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=10_000, help="in-process inputs")
    parser.add_argument("--cli", type=int, default=200, help="inputs through the CLI subprocess")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per input")
    parser.add_argument("--memory", type=int, default=1024, help="MB of address space per input")
    parser.add_argument(
        "--nobody-every", type=int, default=4, help="every Nth input as nobody (0: none)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the copies of failing inputs")
    parser.add_argument(
        "--only", type=int, action="append", help="replay only input N of this seed (repeatable)"
    )
    parser.add_argument(
        "--family", action="append", choices=sorted(FAMILIES), help="only these (repeatable)"
    )
    args = parser.parse_args(argv)
    if args.nobody_every and os.geteuid() != 0:
        print("not root: every input runs as the current user", file=sys.stderr)
        args.nobody_every = 0
    memory = args.memory * MB
    _warm()
    base = Path(tempfile.mkdtemp(prefix="envssot-hostile-"))
    base.chmod(0o755)
    failures = 0
    try:
        ctx = multiprocessing.get_context("fork")
        for kind, start, count in (("in-process", 0, args.count), ("cli", args.count, args.cli)):
            if count <= 0:
                continue
            tasks = [
                t for t in _tasks(args, base, start, count) if t.index in (args.only or [t.index])
            ]
            if not tasks:
                continue
            jobs = [
                ("cli" if kind == "cli" else "engine", t, args.timeout, memory, args.keep)
                for t in tasks
            ]
            started = time.monotonic()
            with ctx.Pool(args.jobs, maxtasksperchild=200) as pool:
                results = list(pool.imap_unordered(_worker, jobs, chunksize=4))
            _retime_alone(results, jobs)
            failures += _report(kind, results, time.monotonic() - started)
    finally:
        if not args.keep:
            _remove(base)
    print(f"\nseed {args.seed}: {'all clean' if failures == 0 else f'{failures} failing inputs'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
