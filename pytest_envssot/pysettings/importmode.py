"""Import mode: the real settings classes, asked in one child process per session.

The static readers never execute user code. With ``envssot_import = true`` (ini),
``import = true`` in ``[tool.envssot]`` or ``envssot check --import``, one child Python
(:mod:`pytest_envssot.pysettings._import_child`) imports the settings modules and answers, in batches:

* the env names each field of a real class reads (pydantic-settings' own env source);
* whether given texts validate as a field (env source + the class's own validators), or
  whether the field's real default does; answers carry ok/unset, pydantic's messages without
  ``input``, and a salted digest of the validated value (for equality, never the value);
* :func:`load_with_env`: the class built from exactly a given environment.

Requests and answers are JSON lines on two dedicated pipes, so what the module prints or
reads cannot corrupt them. The child runs in its own process group with the repository as cwd,
a minimal environment, and no bytecode writing; every request has a timeout, after which the
whole group is killed. Failures come back as ``path:line`` plus a message that quotes no value.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 30.0
_CHILD = Path(__file__).with_name("_import_child.py")
# Process-level variables the interpreter and ordinary imports need; nothing else is passed.
_KEEP_ENV = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ",
        "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT",
        "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH",
    }
)  # fmt: skip
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')


@dataclass(frozen=True)
class ImportFailure:
    """Why the child could not answer: where (``path:line`` in the user's files) and what."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class RealField:
    """A field of the real class, as import mode reports it."""

    names: tuple[str, ...]  # env names as pydantic-settings looks them up (folded if insensitive)
    case_sensitive: bool


@dataclass(frozen=True)
class RealClass:
    """A settings class imported by import mode."""

    name: str
    fields: Mapping[str, RealField]


@dataclass(frozen=True)
class Answer:
    """One value through the real field: ok (or unset), else pydantic's message (no input)."""

    ok: bool
    unset: bool = False
    error: str = ""
    digest: str = ""  # equal validated values have equal digests (within one session)


@dataclass(frozen=True)
class EnvError:
    """A value the real class rejected, as import mode reports it."""

    field: str
    env: str
    type: str
    message: str


@dataclass(frozen=True)
class LoadResult:
    """:func:`load_with_env`: ``ok``, else the errors (or the import failure)."""

    ok: bool
    errors: tuple[EnvError, ...] = ()
    failure: ImportFailure | None = None


def import_location(root: Path, rel: str) -> tuple[str, tuple[str, ...]]:
    """(module name, sys.path entries relative to ``root``) for a settings file.

    The import root is the nearest folder above the file without ``__init__.py``; the
    repository root and a top-level ``src/`` follow, for imports of sibling packages.
    """
    parts = rel.replace("\\", "/").split("/")
    folders, stem = parts[:-1], parts[-1].rsplit(".", 1)[0]
    cut = len(folders)
    while cut > 0 and (root.joinpath(*folders[:cut]) / "__init__.py").is_file():
        cut -= 1
    module = [*folders[cut:], stem]
    if stem == "__init__" and len(module) > 1:
        module.pop()
    paths = ["/".join(folders[:cut]), ""]
    if (root / "src").is_dir():
        paths.append("src")
    return ".".join(module), tuple(dict.fromkeys(paths))


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _KEEP_ENV}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # importing must not write __pycache__ into the repo
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env


class _ChildGone(Exception):
    def __init__(self, failure: ImportFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


class _Child:
    """One child process; every request waits at most ``timeout`` seconds."""

    def __init__(self, root: Path, timeout: float) -> None:
        self.root = root
        self.timeout = timeout
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        bootstrap = (
            "import runpy, sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
            f"sys.argv = [{str(_CHILD)!r}] + sys.argv[1:]; "
            f"runpy.run_path({str(_CHILD)!r}, run_name='__main__')"
        )
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", bootstrap, str(req_r), str(resp_w), str(timeout)],
                cwd=root,
                env=child_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(req_r, resp_w),
                start_new_session=True,  # its own process group: a timeout kills forks too
            )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._buffer = b""
        self._noise: list[str] = []

    def ask(self, request: dict[str, Any], what: str) -> dict[str, Any]:
        data = (json.dumps(request) + "\n").encode("utf-8", "surrogatepass")
        try:
            while data:
                data = data[os.write(self._req_w, data) :]
        except OSError:
            raise _ChildGone(self._died(what)) from None
        deadline = time.monotonic() + self.timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self._resp_r, selectors.EVENT_READ)
            while True:
                answer = self._next_answer()
                if answer is not None:
                    return answer
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    if time.monotonic() < deadline:
                        continue
                    raise _ChildGone(self._timed_out(what))
                chunk = os.read(self._resp_r, 65536)
                if not chunk:
                    raise _ChildGone(self._died(what))
                self._buffer += chunk

    def _next_answer(self) -> dict[str, Any] | None:
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            text = line.decode("utf-8", "replace")
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            if isinstance(value, dict):
                self._noise.clear()
                return value
            self._noise.append(text)  # faulthandler's dump of a hang
        return None

    def _drain(self) -> None:
        while True:
            try:
                with selectors.DefaultSelector() as sel:
                    sel.register(self._resp_r, selectors.EVENT_READ)
                    if not sel.select(0.2):
                        break
                chunk = os.read(self._resp_r, 65536)
            except OSError:
                break
            if not chunk:
                break
            self._buffer += chunk
        self._next_answer()
        if self._buffer:
            self._noise.extend(self._buffer.decode("utf-8", "replace").splitlines())

    def _where_stuck(self) -> tuple[str, int]:
        for line in self._noise:  # most recent call first
            found = _FRAME.match(line)
            if found:
                rel = _relative(self.root, found["file"])
                if rel:
                    return rel, int(found["line"])
        return "", 0

    def _timed_out(self, what: str) -> ImportFailure:
        self._drain()
        self.kill()
        path, line = self._where_stuck()
        return ImportFailure(
            path,
            line,
            f"{what} did not finish within {self.timeout:g} s (import mode timeout); "
            "the child process was killed" + (" while running this line" if line else ""),
        )

    def _died(self, what: str) -> ImportFailure:
        self._drain()
        path, line = self._where_stuck()
        code = self.kill()
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return ImportFailure(
            path, line, f"the import-mode child process ended ({how}) during {what}"
        )

    def kill(self) -> int | None:
        with contextlib.suppress(ProcessLookupError, PermissionError, AttributeError):
            os.killpg(self.proc.pid, signal.SIGKILL)
            # SIGKILL is asynchronous: wait (briefly) until forks the module left are gone too.
            for _ in range(100):
                time.sleep(0.01)
                os.killpg(self.proc.pid, 0)  # raises ProcessLookupError once the group is empty
                if self.proc.poll() is not None and _only_zombies(self.proc.pid):
                    break
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        for fd in (self._req_w, self._resp_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._req_w = self._resp_r = -1
        return code

    def close(self) -> None:
        if self._req_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._req_w, b'{"op": "exit"}\n')
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=2)
            self.kill()  # the group too: a fork the module left behind


def _only_zombies(pgid: int) -> bool:
    """Whether every process left in group ``pgid`` has exited (Linux /proc; elsewhere yes)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return False
    return True


def _relative(root: Path, filename: str) -> str:
    try:
        rel = Path(os.path.realpath(filename)).relative_to(os.path.realpath(root))
    except ValueError:
        return ""
    text = rel.as_posix()
    return "" if "site-packages" in text else text


@dataclass
class ImportSession:
    """The child for one run; modules are imported once, answers come in batches."""

    root: Path
    timeout: float = DEFAULT_TIMEOUT
    _child: _Child | None = None
    _loaded: dict[str, dict[str, RealClass] | ImportFailure] = field(default_factory=dict)

    def _ask(self, request: dict[str, Any], what: str) -> dict[str, Any] | ImportFailure:
        if self._child is None:
            try:
                self._child = _Child(self.root, self.timeout)
            except OSError as exc:
                return ImportFailure(
                    "", 0, f"the import-mode child could not start ({exc.strerror})"
                )
        try:
            return self._child.ask(request, what)
        except _ChildGone as gone:
            self._child = None  # a later request starts a fresh child
            return gone.failure

    def load(self, rel: str, classes: Sequence[str]) -> dict[str, RealClass] | ImportFailure:
        """Import ``rel`` (once) and read the env names of its settings ``classes``."""
        if rel in self._loaded:
            return self._loaded[rel]
        module, paths = import_location(self.root, rel)
        request = {"op": "load", "file": rel, "module": module, "paths": list(paths),
                   "classes": list(classes)}  # fmt: skip
        answer = self._ask(request, f"importing {rel}")
        result: dict[str, RealClass] | ImportFailure
        if isinstance(answer, ImportFailure):
            result = answer
        elif not answer.get("ok"):
            result = _failure(answer, rel)
        else:
            result = {
                name: RealClass(
                    name,
                    {
                        fname: RealField(tuple(spec["names"]), bool(spec["case_sensitive"]))
                        for fname, spec in body["fields"].items()
                    },
                )
                for name, body in answer["classes"].items()
            }
        self._loaded[rel] = result
        return result

    def validate(
        self, rel: str, cls: str, items: Sequence[tuple[str, str, str | None]]
    ) -> list[Answer] | ImportFailure:
        """(field, "env" | "default", text) -> one answer each, in one request."""
        loaded = self._loaded.get(rel)
        if isinstance(loaded, ImportFailure):
            return loaded
        module, paths = import_location(self.root, rel)
        request = {
            "op": "validate", "file": rel, "module": module, "paths": list(paths), "class": cls,
            "items": [{"field": f, "kind": k, "text": t} for f, k, t in items],
        }  # fmt: skip
        answer = self._ask(request, f"validating {len(items)} value(s) with {rel} {cls}")
        if isinstance(answer, ImportFailure):
            return answer
        if not answer.get("ok"):
            return _failure(answer, rel)
        return [
            Answer(
                bool(r.get("ok")),
                bool(r.get("unset")),
                str(r.get("error", "")),
                str(r.get("value", "")),
            )
            for r in answer["results"]
        ]

    def instantiate(self, rel: str, cls: str, env: Mapping[str, str]) -> LoadResult:
        module, paths = import_location(self.root, rel)
        request = {"op": "instantiate", "file": rel, "module": module, "paths": list(paths),
                   "class": cls, "env": dict(env)}  # fmt: skip
        answer = self._ask(request, f"building {cls} from {rel}")
        if isinstance(answer, ImportFailure):
            return LoadResult(False, failure=answer)
        if not answer.get("ok"):
            return LoadResult(False, failure=_failure(answer, rel))
        errors = tuple(
            EnvError(str(e["field"]), str(e["env"]), str(e["type"]), str(e["message"]))
            for e in answer.get("errors", [])
        )
        return LoadResult(bool(answer.get("valid")), errors)

    def close(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None


def _failure(answer: Mapping[str, Any], rel: str) -> ImportFailure:
    error = answer.get("error") or {}
    return ImportFailure(
        str(error.get("path") or rel),
        int(error.get("line") or 0),
        str(error.get("message") or "the import failed"),
    )


def load_with_env(
    root: Path,
    settings_file: str,
    class_name: str,
    env: Mapping[str, str],
    timeout: float = DEFAULT_TIMEOUT,
) -> LoadResult:
    """Instantiate the real ``class_name`` of ``settings_file`` in a child process from exactly
    ``env``: no env file, no secrets dir, no variable of the parent's environment.

    Returns ok, or the errors as (field, env name, pydantic error type, message without the
    input), or the import failure with ``path:line``.
    """
    session = ImportSession(Path(root), timeout)
    try:
        loaded = session.load(settings_file, [class_name])
        if isinstance(loaded, ImportFailure):
            return LoadResult(False, failure=loaded)
        if class_name not in loaded:
            return LoadResult(
                False,
                failure=ImportFailure(
                    settings_file, 0, f"no BaseSettings class {class_name} after import"
                ),
            )
        return session.instantiate(settings_file, class_name, env)
    finally:
        session.close()


def settings_classes(files: Iterable[Any]) -> dict[str, list[str]]:
    """Settings file -> names of its top-level BaseSettings classes, from the static reader."""
    out: dict[str, list[str]] = {}
    for file in files:
        if getattr(file, "error", None) is None:
            names = [c.name for c in file.classes if c.is_settings and "." not in c.name]
            if names:
                out[file.path] = names
    return out
