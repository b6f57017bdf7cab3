"""Secret data for an offline render, in the JSON ``vault kv get -format=json`` prints.

Each ``--secrets`` argument is ``FILE`` or ``VAULT_PATH=FILE``. A file holds either

* one response: an object with a ``data`` key, as ``vault kv get -format=json PATH`` (or
  ``vault read -format=json``) prints it; ``.Data`` in the template is that ``data``. Given
  as ``VAULT_PATH=FILE`` it answers ``secret "VAULT_PATH"``; given as a bare ``FILE`` it
  answers the first path the template asks for (and a second, different path is an error);
* or several: an object keyed by Vault path, each value one response as above.

Numbers are kept as the text they were written as (Go's ``json.Number``, which Vault's
client decodes with), and a lone UTF-16 surrogate escape becomes U+FFFD, as Go's decoder
does. Errors name ``file:line``; no message ever quotes the file's content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from pytest_envssot.gotemplate.gofmt import JsonNumber

MAX_BYTES = 50 * 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")


class SecretsError(Exception):
    """A ``--secrets`` argument that cannot be used; ``where`` is ``file`` or ``file:line``."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass
class SecretStore:
    """Responses by Vault path, plus at most one bare file bound to the first path asked for."""

    by_path: dict[str, Mapping[str, object]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # path -> file it came from
    bare: tuple[str, Mapping[str, object]] | None = None  # (file, response)
    bare_path: str | None = None

    def get(self, path: str) -> Mapping[str, object] | None:
        if path in self.by_path:
            return self.by_path[path]
        if self.bare is not None and self.bare_path is None:
            self.bare_path = path
            self.by_path[path] = self.bare[1]
            self.sources[path] = self.bare[0]
            return self.bare[1]
        return None

    def paths(self) -> list[str]:
        return sorted(self.by_path)

    def values(self) -> Iterator[str]:
        """Every string in every response: what output must never show."""
        for response in self.by_path.values():
            yield from _strings(response)
        if self.bare is not None:
            yield from _strings(self.bare[1])


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():  # key names are what reports name; only values are secret
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def load_secrets(specs: Iterable[str]) -> SecretStore:
    store = SecretStore()
    for spec in specs:
        path, file = _split(spec)
        data = _read_json(file)
        if _is_response(data):
            if path is not None:
                _add(store, path, data, file)
            elif store.bare is not None:
                raise SecretsError(
                    file,
                    f"a second file without a Vault path (the first was {store.bare[0]}); "
                    "name the path: --secrets VAULT_PATH=FILE",
                )
            else:
                store.bare = (file, data)
            continue
        if path is not None:
            raise SecretsError(
                file, 'VAULT_PATH=FILE needs one response (an object with a "data" key)'
            )
        assert isinstance(data, Mapping)
        for vault_path, response in data.items():
            if not _is_response(response):
                raise SecretsError(
                    file,
                    f"{vault_path!r}: expected the JSON `vault kv get -format=json` prints "
                    '(an object with a "data" key)',
                )
            _add(store, vault_path, response, file)
    return store


def _split(spec: str) -> tuple[str | None, str]:
    """``VAULT_PATH=FILE`` or ``FILE`` (an existing file name wins over the split)."""
    if "=" in spec and not Path(spec).exists():
        path, file = spec.split("=", 1)
        if not path or not file:
            raise SecretsError(spec, "expected FILE or VAULT_PATH=FILE")
        return path, file
    return None, spec


def _add(store: SecretStore, path: str, response: Mapping[str, object], file: str) -> None:
    if path in store.by_path:
        raise SecretsError(file, f"{path} is given twice (also in {store.sources[path]})")
    store.by_path[path] = response
    store.sources[path] = file


def _is_response(value: object) -> TypeGuard[Mapping[str, object]]:
    return isinstance(value, Mapping) and "data" in value


def _read_json(file: str) -> Mapping[str, object]:
    try:
        path = Path(file)
        if path.is_dir():
            raise SecretsError(file, "is a directory, expected a JSON file")
        if path.stat().st_size > MAX_BYTES:
            raise SecretsError(file, f"larger than {MAX_BYTES} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SecretsError(file, "file does not exist") from None
    except OSError as exc:
        raise SecretsError(file, f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SecretsError(f"{file}:{line}", "invalid UTF-8") from None
    return parse_json(text, file)


def parse_json(text: str, where: str) -> Mapping[str, object]:
    """Decode as Go's ``encoding/json`` with ``UseNumber`` would; errors name ``where:line``."""
    try:
        data: object = json.loads(
            text,
            parse_int=JsonNumber,
            parse_float=JsonNumber,
            parse_constant=_reject_constant,
            object_hook=_clean_object,
        )
    except json.JSONDecodeError as exc:
        raise SecretsError(
            f"{where}:{exc.lineno}", f"malformed JSON: {exc.msg} (column {exc.colno})"
        ) from None
    except ValueError as exc:
        raise SecretsError(where, f"malformed JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise SecretsError(f"{where}:1", "expected a JSON object")
    return data


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _clean(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, JsonNumber):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _clean_object(obj: dict[str, object]) -> dict[str, object]:
    return {_SURROGATE.sub("\ufffd", k): _clean(v) for k, v in obj.items()}
