"""The child process of import mode: the only place envssot runs the user's code.

Run by :mod:`pytest_envssot.pysettings.importmode` as a script through ``python -c`` + ``runpy`` (so its
own folder, which holds envssot's ``types.py``, never shadows the standard library), with
``REQ_FD RESP_FD TIMEOUT`` as arguments; it imports nothing of envssot. Requests arrive as JSON lines
on REQ_FD and each gets exactly one JSON line on RESP_FD, so whatever the user's module prints
(stdout/stderr go to /dev/null) or reads from stdin never mixes with the protocol.

No answer ever carries a value: validation results are ok/error type/location/message without
pydantic's ``input``; validated values travel only as a salted digest, for equality.
"""

from __future__ import annotations

import faulthandler
import hashlib
import importlib
import json
import os
import re
import sys
import traceback
from collections.abc import Iterator
from typing import Any

_REPO = os.path.realpath(os.getcwd())
_PID = os.getpid()
_SALT = os.urandom(16)
_MAX_MESSAGE = 300


def main() -> None:
    req_fd, resp_fd, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    requests = os.fdopen(req_fd, "r", encoding="utf-8")
    for line in requests:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        if request.get("op") == "exit":
            break
        # A hang prints where it is stuck; the parent kills us after its own timeout.
        faulthandler.dump_traceback_later(max(timeout * 0.8, 0.05), exit=False, file=resp_fd)
        try:
            answer = _answer(request)
        except BaseException as exc:  # the user's code may raise anything, SystemExit included
            answer = {"ok": False, "error": _error(exc, request.get("file", ""))}
        finally:
            faulthandler.cancel_dump_traceback_later()
        if os.getpid() != _PID:
            os._exit(0)  # a fork made by the user's module: only the original answers
        _write(resp_fd, answer)


def _write(fd: int, answer: dict[str, Any]) -> None:
    data = (json.dumps(answer, default=str) + "\n").encode("utf-8", "surrogatepass")
    while data:
        data = data[os.write(fd, data) :]


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "load":
        return _load(request)
    if op == "validate":
        return _validate(request)
    if op == "instantiate":
        return _instantiate(request)
    return {"ok": False, "error": {"message": f"unknown request {op!r}"}}


# --------------------------------------------------------------------------- importing


_loaded: dict[str, Any] = {}  # file -> module


def _module(request: dict[str, Any]) -> Any:
    rel = request["file"]
    if rel in _loaded:
        return _loaded[rel]
    name = request["module"]
    expected = os.path.realpath(os.path.join(_REPO, rel))
    for path in reversed(request.get("paths", [])):
        full = os.path.join(_REPO, path) if path else _REPO
        if full in sys.path:
            sys.path.remove(full)
        sys.path.insert(0, full)
    cached = sys.modules.get(name)
    if cached is not None and _file_of(cached) != expected:
        _forget_user_modules()  # another settings file had the same module name
    importlib.invalidate_caches()
    module = importlib.import_module(name)
    if _file_of(module) != expected:
        raise _Refused(
            f"module {name} resolves to {_shown_path(_file_of(module))}, not {rel}", rel, 0
        )
    _loaded[rel] = module
    return module


def _file_of(module: Any) -> str:
    file = getattr(module, "__file__", None)
    return os.path.realpath(file) if isinstance(file, str) else ""


def _forget_user_modules() -> None:
    for key, module in list(sys.modules.items()):
        file = _file_of(module)
        if file.startswith(_REPO + os.sep) and "site-packages" not in file:
            del sys.modules[key]


def _shown_path(path: str) -> str:
    return (
        os.path.relpath(path, _REPO)
        if path.startswith(_REPO + os.sep)
        else "a module outside the repository"
    )


class _Refused(Exception):
    def __init__(self, message: str, path: str, line: int) -> None:
        super().__init__(message)
        self.message, self.path, self.line = message, path, line


def _class(request: dict[str, Any], name: str) -> Any:
    from pydantic_settings import BaseSettings

    module = _module(request)
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseSettings)):
        raise _Refused(
            f"{request['module']} has no BaseSettings class {name} after import", request["file"], 0
        )
    return cls


def _load(request: dict[str, Any]) -> dict[str, Any]:
    _module(request)
    classes: dict[str, Any] = {}
    missing: list[str] = []
    for name in request.get("classes", []):
        try:
            cls = _class(request, name)
        except _Refused:
            missing.append(name)
            continue
        classes[name] = {"fields": _names(cls)}
    return {"ok": True, "classes": classes, "missing": missing}


# --------------------------------------------------------------------------- env names


def _source(cls: Any, environ: dict[str, str]) -> Any:
    """pydantic-settings' own env source for ``cls``, reading exactly ``environ``."""
    from pydantic_settings import EnvSettingsSource

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    try:
        return EnvSettingsSource(cls)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _accepted(cls: Any, name: str, info: Any) -> list[str]:
    """Input keys pydantic validates field ``name`` from (an AliasPath by its head)."""
    from pydantic import AliasChoices, AliasPath

    config = cls.model_config
    by_name = bool(config.get("populate_by_name") or config.get("validate_by_name"))
    by_alias = config.get("validate_by_alias", True) is not False
    alias = info.validation_alias
    keys: list[str] = []
    if alias is not None and by_alias:
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        for choice in choices:
            head = choice.path[0] if isinstance(choice, AliasPath) else choice
            if isinstance(head, str):
                keys.append(head)
    if alias is None or by_name:
        keys.append(name)
    return keys


def _names(cls: Any) -> dict[str, dict[str, Any]]:
    """Per field, the env names whose value reaches it: every name pydantic-settings looks up
    (``_extract_field_info``) is set at once to a tagged value, the real source runs, and the
    tag found under a key the field accepts says which name reached it. Winners are taken out
    and the source runs again until no new name reaches a field."""
    probe = _source(cls, {})
    envs = {
        name: [env for _, env, _ in probe._extract_field_info(info, name)]
        for name, info in cls.model_fields.items()
    }
    candidates = list(dict.fromkeys(env for names in envs.values() for env in names))
    accepted = {name: _accepted(cls, name, info) for name, info in cls.model_fields.items()}
    reads: dict[str, list[str]] = {name: [] for name in cls.model_fields}
    position = {env: i for i, env in enumerate(candidates)}
    remaining = set(candidates)
    for _ in range(len(candidates) + 1):
        if not remaining:
            break
        environ = {
            env: json.dumps(f"envssot-{i}") for i, env in enumerate(candidates) if env in remaining
        }
        try:
            data = _source(cls, environ)()
        except Exception:
            break
        winners: set[str] = set()
        for field, keys in accepted.items():
            for key in keys:
                index = _tag(data.get(key))
                if index is not None:
                    env = candidates[index]
                    winners.add(env)
                    if env not in reads[field]:
                        reads[field].append(env)
        if not winners:
            break
        remaining -= winners
    # A winner is taken out for every field at once, so where fields share names or keys
    # (AliasChoices("A0", "B0") beside a field named b0) a name can stay hidden behind another
    # field's winner. Every name of such entangled fields is set alone once; classes without
    # shared names or keys (nearly all) need no extra run, so cost stays linear.
    for env in _entangled(envs, accepted):
        tag = position[env]
        try:
            data = _source(cls, {env: json.dumps(f"envssot-{tag}")})()
        except Exception:
            continue
        for field, keys in accepted.items():
            if env not in reads[field] and any(_tag(data.get(key)) == tag for key in keys):
                reads[field].append(env)
    case_sensitive = bool(probe.case_sensitive)
    return {
        field: {"names": names, "case_sensitive": case_sensitive} for field, names in reads.items()
    }


def _entangled(envs: dict[str, list[str]], accepted: dict[str, list[str]]) -> list[str]:
    """The env names of fields that share a name, an input key or an env name with another
    field (compared lower-cased: a superset of what can collide)."""
    words = {
        field: {"envs": names, "all": [w.lower() for w in (field, *accepted[field], *names)]}
        for field, names in envs.items()
    }
    owners: dict[str, set[str]] = {}
    for field, entry in words.items():
        for word in entry["all"]:
            owners.setdefault(word, set()).add(field)
    entangled = (e for e in words.values() if any(len(owners[w]) > 1 for w in e["all"]))
    return list(dict.fromkeys(env for entry in entangled for env in entry["envs"]))


def _tag(value: object) -> int | None:
    if isinstance(value, str):
        text = value.strip('"')
        if text.startswith("envssot-") and text[8:].isdigit():
            return int(text[8:])
    return None


# --------------------------------------------------------------------------- validation


def _validate(request: dict[str, Any]) -> dict[str, Any]:
    from pydantic_core import PydanticUndefined

    cls = _class(request, request["class"])
    target = _assignable(cls)
    instance = target.model_construct()
    names = _names_cached(cls)
    items = request.get("items", [])
    results: list[dict[str, Any]] = [{} for _ in items]
    env_items: list[tuple[int, str, str]] = []
    for i, item in enumerate(items):
        field, text = item["field"], item.get("text")
        info = cls.model_fields.get(field)
        if info is None:
            results[i] = {"ok": False, "error": f"the class has no field {field}"}
        elif item.get("kind") == "default":
            if info.default_factory is not None or info.default is PydanticUndefined:
                results[i] = {"ok": True, "unset": True}  # no literal default to check
            else:
                results[i] = _assign(target, instance, field, info.default)
        elif text is None:
            results[i] = {"ok": True, "unset": True}
        elif not names.get(field):
            results[i] = {"ok": False, "error": f"{field} reads no environment variable"}
        else:
            env_items.append((i, field, text))
    # Values of different fields share one run of the env source (linear, not fields x values).
    while env_items:
        batch: list[tuple[int, str, str]] = []
        rest: list[tuple[int, str, str]] = []
        used: set[str] = set()
        for entry in env_items:
            env = names[entry[1]][0]
            (rest if entry[1] in used or env in used else batch).append(entry)
            used.update((entry[1], env))
        env_items = rest
        for i, field, text, decoded in _decode(cls, names, batch):
            if isinstance(decoded, str):
                results[i] = {"ok": False, "error": decoded}
                continue
            key = next(
                (k for k in _accepted(cls, field, cls.model_fields[field]) if k in decoded), None
            )
            if key is None:
                results[i] = {"ok": True, "unset": True}
            else:
                results[i] = _assign(target, instance, field, decoded[key], text)
    return {"ok": True, "results": results}


def _decode(
    cls: Any, names: dict[str, list[str]], batch: list[tuple[int, str, str]]
) -> Iterator[tuple[int, str, str, dict[str, Any] | str]]:
    """pydantic-settings' env source over the batch: its data, or why a value cannot decode."""
    try:
        data = _source(cls, {names[f][0]: t for _, f, t in batch})()
    except Exception:  # a value is no JSON: find it by halving (log n runs per bad value)
        if len(batch) > 1:
            middle = len(batch) // 2
            yield from _decode(cls, names, batch[:middle])
            yield from _decode(cls, names, batch[middle:])
            return
        exc = sys.exc_info()[1]
        cause = exc.__cause__ if exc is not None else None
        detail = f": {type(cause).__name__}: {_decode_error(cause)}" if cause else ""
        i, field, text = batch[0]
        yield i, field, text, f"pydantic-settings cannot decode it{detail}"
        return
    for i, field, text in batch:
        yield i, field, text, data


_NAMES: dict[Any, dict[str, list[str]]] = {}


def _names_cached(cls: Any) -> dict[str, list[str]]:
    if cls not in _NAMES:
        _NAMES[cls] = {k: v["names"] for k, v in _names(cls).items()}
    return _NAMES[cls]


def _shown(cls: Any, env: str) -> str:
    """An env name as a user writes it: upper-cased unless the class is case-sensitive."""
    return env if cls.model_config.get("case_sensitive") else env.upper()


def _assignable(cls: Any) -> Any:
    """The class itself, or a non-frozen subclass of it: validate_assignment refuses frozen."""
    if not cls.model_config.get("frozen") and not any(f.frozen for f in cls.model_fields.values()):
        return cls
    from pydantic import Field

    fields = {n: Field(frozen=False) for n, f in cls.model_fields.items() if f.frozen}
    namespace = {
        "model_config": {**cls.model_config, "frozen": False},
        "__module__": cls.__module__,
    }
    annotations = {n: cls.model_fields[n].annotation for n in fields}
    namespace.update({**fields, "__annotations__": annotations})
    return type(cls.__name__, (cls,), namespace)


def _assign(
    target: Any, instance: Any, field: str, value: object, text: object = None
) -> dict[str, Any]:
    from pydantic import ValidationError

    try:
        target.__pydantic_validator__.validate_assignment(instance, field, value)
    except ValidationError as exc:
        errors = [
            e
            for e in exc.errors(include_input=False, include_url=False, include_context=False)
            if e["loc"] and e["loc"][0] == field
        ]
        if not errors:  # a model-level validator objecting to the other (default) fields
            return {"ok": True, "value": _digest(getattr(instance, field, None))}
        message = _scrub("; ".join(dict.fromkeys(_message(e) for e in errors)), value, text)
        return {"ok": False, "error": message, "types": [e["type"] for e in errors]}
    except Exception as exc:  # a validator raising something pydantic does not wrap
        return {"ok": False, "error": f"a validator raised {type(exc).__name__}"}
    return {"ok": True, "value": _digest(getattr(instance, field, None))}


def _scrub(message: str, *values: object) -> str:
    """A validator's own message may quote the value it got: every quoted piece goes."""
    pieces: set[str] = set()
    for value in values:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str) and len(item.strip()) >= 2:
                pieces.update({item, item.strip()})
            elif isinstance(item, (list, tuple, set, frozenset)):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
    for piece in sorted(pieces, key=len, reverse=True):
        message = message.replace(piece, "***")
    return message


def _message(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"][1:])
    return f"{loc}: {error['msg']}" if loc else str(error["msg"])


def _decode_error(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return type(exc).__name__


def _digest(value: object) -> str:
    """Equal values give equal digests; the value itself never leaves this process."""
    return hashlib.sha256(_SALT + repr(_plain(value)).encode("utf-8", "surrogatepass")).hexdigest()[
        :32
    ]


def _plain(value: object, depth: int = 0) -> object:
    if depth > 20:
        return "..."
    secret = getattr(value, "get_secret_value", None)
    if callable(secret):
        return ("secret", _plain(secret(), depth + 1))
    if isinstance(value, dict):
        return sorted(
            ((repr(_plain(k, depth + 1)), _plain(v, depth + 1)) for k, v in value.items()), key=repr
        )
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(repr(_plain(v, depth + 1)) for v in value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return (type(value).__name__, _plain(dict(value.__dict__), depth + 1))
    return (type(value).__name__, repr(value))


# --------------------------------------------------------------------------- instantiate


def _instantiate(request: dict[str, Any]) -> dict[str, Any]:
    """The class built from exactly ``env``: no env file, no secrets dir, no other variable."""
    from pydantic import ValidationError

    cls = _class(request, request["class"])
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(request.get("env", {}))
    try:
        cls(_env_file=None, _secrets_dir=None)
    except ValidationError as exc:
        names = _names_cached(cls)
        errors = []
        for e in exc.errors(include_input=False, include_url=False, include_context=False):
            field = str(e["loc"][0]) if e["loc"] else ""
            field = next(
                (f for f, info in cls.model_fields.items() if field in _accepted(cls, f, info)),
                field,
            )
            env = names.get(field, [""])[:1]
            errors.append(
                {
                    "field": field,
                    "env": _shown(cls, env[0]) if env else "",
                    "type": e["type"],
                    "message": _scrub(_message(e), list(request.get("env", {}).values())),
                }
            )
        return {"ok": True, "valid": False, "errors": errors}
    except Exception as exc:  # SettingsError: 'error parsing value for field "x" ...'
        cause = exc.__cause__
        detail = f": {type(cause).__name__}: {_decode_error(cause)}" if cause else ""
        named = re.search(r'field "(\w+)"', str(exc))
        field = named[1] if named and named[1] in cls.model_fields else ""
        env = _names_cached(cls).get(field, [""])[:1] if field else []
        error = {
            "field": field,
            "env": _shown(cls, env[0]) if env and env[0] else "",
            "type": type(exc).__name__,
            "message": f"pydantic-settings cannot decode it{detail}"
            if cause
            else type(exc).__name__,
        }
        return {"ok": True, "valid": False, "errors": [error]}
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"ok": True, "valid": True, "errors": []}


# --------------------------------------------------------------------------- errors


def _error(exc: BaseException, rel: str) -> dict[str, Any]:
    """What went wrong, where in the user's files, in words that carry no value."""
    if isinstance(exc, _Refused):
        return {"kind": "refused", "message": exc.message, "path": exc.path, "line": exc.line}
    if isinstance(exc, SyntaxError) and exc.filename:
        path = _rel(exc.filename) or rel
        return {
            "kind": "SyntaxError",
            "message": f"SyntaxError: {exc.msg}",
            "path": path,
            "line": exc.lineno or 0,
        }
    path, line = _user_frame(exc)
    kind = type(exc).__name__
    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) or exc.code is None else "a message"
        message = f"the module called sys.exit({code}) while being imported"
    elif isinstance(exc, ImportError):
        message = f"{kind}: {str(exc)[:_MAX_MESSAGE]}"
    elif type(exc).__name__ == "ValidationError" and hasattr(exc, "errors"):
        errors = exc.errors(include_input=False, include_url=False, include_context=False)
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or '(model)'}: {e['type']}" for e in errors[:8]
        ]
        message = f"ValidationError at import ({len(errors)} error(s): {', '.join(parts)})"
    else:
        message = f"{kind} raised while importing"  # its text may quote a value: not shown
    return {"kind": kind, "message": message, "path": path or rel, "line": line}


def _rel(filename: str) -> str:
    full = os.path.realpath(filename)
    if full.startswith(_REPO + os.sep) and "site-packages" not in full:
        return os.path.relpath(full, _REPO).replace(os.sep, "/")
    return ""


def _user_frame(exc: BaseException) -> tuple[str, int]:
    """The innermost frame of the traceback inside the repository."""
    found = ("", 0)
    for frame in _frames(exc):
        rel = _rel(frame.filename)
        if rel:
            found = (rel, frame.lineno or 0)
    return found


def _frames(exc: BaseException) -> Iterator[traceback.FrameSummary]:
    yield from traceback.extract_tb(exc.__traceback__)


if __name__ == "__main__":
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the user's prints go nowhere
    main()
