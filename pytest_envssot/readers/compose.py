"""Compose file reader: each service's ``container_name`` and ``environment``, with lines.

Only what the naming rules need. PyYAML's node tree keeps line numbers; merge keys
(``<<: *defaults``) are followed, anchors are shared nodes already. PyYAML is imported
only when a compose file is actually read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pytest_envssot.model import (
    ComposeEnvVar,
    ComposeFile,
    ComposeService,
    Location,
    ReaderError,
)
from pytest_envssot.readers._io import read_text

if TYPE_CHECKING:
    import yaml


def read_compose(path: Path, rel: str) -> ComposeFile:
    """Read and parse ``path``; never raises."""
    text = read_text(path, rel)
    if isinstance(text, ReaderError):
        return ComposeFile(path=rel, error=text)
    return parse_compose(text, rel)


class _Bad(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def parse_compose(text: str, rel: str) -> ComposeFile:
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return ComposeFile(rel, error=ReaderError(Location(rel, 0), "PyYAML is not installed"))
    try:
        # The pure-Python loader: the C one keeps the classes of the first ``yaml`` import,
        # which a re-import (pytester's in-process runs) would not match.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception as exc:  # YAMLError; by duck type, for the same reason as node.id
        if not hasattr(exc, "problem_mark"):
            raise
        mark = exc.problem_mark or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or exc
        error = ReaderError(Location(rel, line), f"invalid YAML: {problem}")
        return ComposeFile(rel, error=error)
    if root is None:
        return ComposeFile(rel)
    try:
        return ComposeFile(rel, services=tuple(_services(root, rel)))
    except _Bad as bad:
        return ComposeFile(rel, error=ReaderError(Location(rel, bad.line), str(bad)))


def _kind(node: yaml.Node) -> str:
    """``mapping`` / ``sequence`` / ``scalar``."""
    return str(getattr(node, "id", ""))


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _pairs(node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) of a mapping, following ``<<`` merge keys (own keys win)."""
    if _kind(node) != "mapping":
        raise _Bad(_line(node), "expected a mapping")
    own: list[tuple[str, yaml.Node, yaml.Node]] = []
    merged: list[tuple[str, yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key == "<<":
            sources = value_node.value if _kind(value_node) == "sequence" else [value_node]
            for source in sources:
                merged.extend(_pairs(source))
        else:
            own.append((key, key_node, value_node))
    seen = {key for key, _, _ in own}
    return own + [(k, kn, vn) for k, kn, vn in merged if k not in seen]


def _scalar(node: yaml.Node) -> str | None:
    if _kind(node) != "scalar":
        raise _Bad(_line(node), "expected a single value")
    if str(node.tag).endswith(":null"):
        return None
    return str(node.value)


def _services(root: yaml.Node, rel: str) -> list[ComposeService]:
    services = next((v for k, _, v in _pairs(root) if k == "services"), None)
    if services is None or (_kind(services) == "scalar" and _scalar(services) is None):
        return []
    out = []
    for name, key_node, body in _pairs(services):
        if _kind(body) == "scalar" and _scalar(body) is None:
            out.append(ComposeService(name, Location(rel, _line(key_node))))
            continue
        container: str | None = None
        container_at: Location | None = None
        env: tuple[ComposeEnvVar, ...] = ()
        for key, _, value in _pairs(body):
            if key == "container_name":
                container, container_at = _scalar(value), Location(rel, _line(value))
            elif key == "environment":
                env = tuple(_environment(value, rel))
        out.append(
            ComposeService(name, Location(rel, _line(key_node)), container, container_at, env)
        )
    return out


def _environment(node: yaml.Node, rel: str) -> list[ComposeEnvVar]:
    if _kind(node) == "sequence":
        out = []
        for item in node.value:
            text = _scalar(item) or ""
            name, eq, value = text.partition("=")
            out.append(
                ComposeEnvVar(name.strip(), Location(rel, _line(item)), value if eq else None)
            )
        return out
    return [
        ComposeEnvVar(key, Location(rel, _line(key_node)), _scalar(value))
        for key, key_node, value in _pairs(node)
    ]
