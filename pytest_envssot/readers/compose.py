"""Compose file reader: each service's ``container_name`` and ``environment``, with lines.

Only what the naming rules need. A node tree keeps line numbers; merge keys
(``<<: *defaults``) are followed, anchors are shared nodes already. The tree comes from
``_yamlblock`` (a strict reader of plain block YAML, no import cost) when it is sure, else
from PyYAML, imported only then.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import (
    ComposeEnvVar,
    ComposeFile,
    ComposeService,
    Location,
    ReaderError,
)
from pytest_envssot.readers._io import read_file
from pytest_envssot.readers._yamlblock import Unsure, compose

if TYPE_CHECKING:
    from typing import TypeAlias

    import yaml

    from pytest_envssot.readers._yamlblock import Node

    # A node of either reader: the same id / value / tag / start_mark.line.
    AnyNode: TypeAlias = yaml.Node | Node


def read_compose(path: Path, rel: str) -> ComposeFile:
    """Read and parse ``path``; never raises."""
    return read_file(path, rel, parse_compose, lambda error: ComposeFile(path=rel, error=error))


# PyYAML's scanner does work proportional to the open flow collections ([ and {) at every
# token, quadratic in their depth; no compose file comes near this depth.
MAX_FLOW_DEPTH = 200


def _flow_too_deep(text: str) -> int:
    """The line where ``[``/``{`` first nest deeper than MAX_FLOW_DEPTH, else 0.

    Counted over the raw text (brackets inside strings too), so it can only overcount, and
    only a file with 200 unclosed brackets is refused; real files stay far below.
    """
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return 0
    depth = 0
    for number, line in enumerate(text.split("\n"), start=1):
        for ch in line:
            if ch in "[{":
                depth += 1
                if depth > MAX_FLOW_DEPTH:
                    return number
            elif ch in "]}" and depth:
                depth -= 1
    return 0


class _Bad(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def parse_compose(text: str, rel: str, *, pyyaml_only: bool = False) -> ComposeFile:
    """``text`` read as a compose file; ``pyyaml_only`` skips the fast reader (tests compare)."""
    too_deep = _flow_too_deep(text)  # first, so both readers refuse the same files
    if too_deep:
        message = f"invalid YAML: brackets nested deeper than {MAX_FLOW_DEPTH} levels"
        return ComposeFile(rel, error=ReaderError(Location(rel, too_deep), message))
    try:
        if pyyaml_only:
            raise Unsure
        root: AnyNode | None = compose(text)
    except Unsure:
        parsed = _compose_with_pyyaml(text, rel)
        if isinstance(parsed, ComposeFile):
            return parsed
        root = parsed
    if root is None:
        return ComposeFile(rel)
    try:
        return ComposeFile(rel, services=tuple(_services(root, rel)), name=_project_name(root))
    except _Bad as bad:
        return ComposeFile(rel, error=ReaderError(Location(rel, bad.line), str(bad)))
    except RecursionError:  # merge keys (`<<: *a`) chained or looped beyond reason
        error = ReaderError(Location(rel, _deepest_line(text)), "merge keys nested too deeply")
        return ComposeFile(rel, error=error)


def _compose_with_pyyaml(text: str, rel: str) -> AnyNode | ComposeFile | None:
    """PyYAML's node tree of ``text``, or the ComposeFile that reports why there is none."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return ComposeFile(rel, error=ReaderError(Location(rel, 0), "PyYAML is not installed"))
    try:
        # The pure-Python loader: the C one keeps the classes of the first ``yaml`` import,
        # which a re-import (pytester's in-process runs) would not match.
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (RecursionError, MemoryError):  # PyYAML's composer recurses once per nesting level
        line = _deepest_line(text)
        error = ReaderError(Location(rel, line), "invalid YAML: nested too deeply to read")
        return ComposeFile(rel, error=error)
    except Exception as exc:  # YAMLError; by duck type, for the same reason as node.id
        if hasattr(exc, "position") and hasattr(exc, "reason"):  # yaml.reader.ReaderError
            line = text.count("\n", 0, exc.position) + 1
            error = ReaderError(Location(rel, line), f"invalid YAML: {exc.reason}")
            return ComposeFile(rel, error=error)
        if not hasattr(exc, "problem_mark"):
            raise
        mark = exc.problem_mark or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or exc
        error = ReaderError(Location(rel, line), f"invalid YAML: {problem}")
        return ComposeFile(rel, error=error)


def _deepest_line(text: str) -> int:
    """The line where nesting is deepest, found with PyYAML's scanner (a loop, no recursion)."""
    import yaml

    opening = (
        yaml.BlockMappingStartToken,
        yaml.BlockSequenceStartToken,
        yaml.FlowMappingStartToken,
        yaml.FlowSequenceStartToken,
    )
    closing = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    depth = deepest = line = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, opening):
                depth += 1
                if depth > deepest:
                    deepest, line = depth, token.start_mark.line + 1
            elif isinstance(token, closing):
                depth -= 1
    except Exception:  # a scanner error after the deep part: the deepest line is known
        pass
    return line


def _kind(node: AnyNode) -> str:
    """``mapping`` / ``sequence`` / ``scalar``."""
    return str(getattr(node, "id", ""))


def _line(node: AnyNode) -> int:
    return int(node.start_mark.line) + 1


_Pairs = list[tuple[str, "AnyNode", "AnyNode"]]


def _pairs(node: AnyNode, memo: dict[int, _Pairs] | None = None) -> _Pairs:
    """(key, key node, value node) of a mapping, following ``<<`` merge keys.

    As YAML's merge key says: own keys win, then the first merged mapping holding a key.
    Each merged node is resolved once (``memo``): aliases make a mapping a DAG, and nine
    ``<<: [*a, *a, …]`` per level would otherwise cost nine to the power of the depth.
    """
    if _kind(node) != "mapping":
        raise _Bad(_line(node), "expected a mapping")
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    own: _Pairs = []
    merged: _Pairs = []
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key == "<<":
            sources = value_node.value if _kind(value_node) == "sequence" else [value_node]
            for source in sources:
                merged.extend(_pairs(source, memo))
        else:
            own.append((key, key_node, value_node))
    seen = {key for key, _, _ in own}
    result = list(own)
    for key, key_node, value_node in merged:
        if key not in seen:
            seen.add(key)
            result.append((key, key_node, value_node))
    memo[id(node)] = result
    return result


def _scalar(node: AnyNode) -> str | None:
    if _kind(node) != "scalar":
        raise _Bad(_line(node), "expected a single value")
    if str(node.tag).endswith(":null"):
        return None
    return str(node.value)


def _project_name(root: AnyNode) -> str | None:
    node = next((v for k, _, v in _pairs(root) if k == "name"), None)
    return _scalar(node) if node is not None and _kind(node) == "scalar" else None


def _aliases(node: AnyNode) -> list[str]:
    """``networks: {net: {aliases: [a, b]}}``; the list form of ``networks`` has none."""
    if _kind(node) != "mapping":
        return []
    out = []
    for _, _, network in _pairs(node):
        if _kind(network) != "mapping":
            continue
        for key, _, value in _pairs(network):
            if key == "aliases" and _kind(value) == "sequence":
                out += [str(item.value) for item in value.value if _kind(item) == "scalar"]
    return out


_SOURCED = lazy_compile(r"(?:^|[;&|({]|\bthen|\bdo)\s*(?:\.|source)\s+([^\s;&|)]+)", re.M)


def _texts(node: AnyNode) -> list[str]:
    """Every scalar under ``node`` (a command as a string or a list)."""
    if _kind(node) == "scalar":
        return [str(node.value)]
    if _kind(node) == "sequence":
        return [t for item in node.value for t in _texts(item)]
    return []


def _sourced(node: AnyNode) -> list[str]:
    return [m[1].strip("\"'") for text in _texts(node) for m in _SOURCED.finditer(text)]


def _env_files(node: AnyNode) -> list[str]:
    """``env_file: a`` / ``[a, b]`` / ``[{path: a}]``."""
    if _kind(node) == "sequence":
        out = []
        for item in node.value:
            if _kind(item) == "mapping":
                out += [
                    str(v.value) for k, _, v in _pairs(item) if k == "path" and _kind(v) == "scalar"
                ]
            else:
                out += _texts(item)
        return out
    return _texts(node)


def _services(root: AnyNode, rel: str) -> list[ComposeService]:
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
        hosts: list[str] = []
        sourced: list[str] = []
        env_files: list[str] = []
        for key, _, value in _pairs(body):
            if key == "container_name":
                container, container_at = _scalar(value), Location(rel, _line(value))
            elif key == "environment":
                env = tuple(_environment(value, rel))
            elif key == "hostname" and _kind(value) == "scalar":
                hosts.append(str(value.value))
            elif key == "networks":
                hosts += _aliases(value)
            elif key in ("entrypoint", "command"):
                sourced += _sourced(value)
            elif key == "env_file":
                env_files += _env_files(value)
        at = Location(rel, _line(key_node))
        out.append(
            ComposeService(
                name,
                at,
                container,
                container_at,
                env,
                tuple(hosts),
                tuple(sourced),
                tuple(env_files),
            )
        )
    return out


def _environment(node: AnyNode, rel: str) -> list[ComposeEnvVar]:
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
