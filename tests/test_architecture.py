"""The package's imports run one way: faces -> orchestration -> rules -> index -> readers/model.

Every import counts, function-level ones too (a lazy import is still a dependency). A module's
layer is its longest matching prefix in ``LAYERS``; it may import its own layer or lower ones,
and the whole graph has no circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_envssot"

# Higher imports lower. Equal layers may import each other only where no circle results.
LAYERS: dict[str, int] = {
    # leaves: pure data and languages
    "model": 0,
    "placeholders": 0,
    "quoting": 0,
    "gotemplate": 0,
    "secretscan": 0,
    "records": 0,  # the shared frozen-dataclass decorator
    "redact": 0,
    "lazyregex": 0,  # re.compile on first use
    "pysettings.domains": 0,
    "pysettings.importmode": 0,  # the launcher of the import child: knows no model
    "pysettings._import_child": 0,
    # configuration
    "config": 1,
    "findings": 1,
    # readers and the file walk
    "readers": 2,
    "discovery": 2,
    "safefile": 0,
    "maskkey": 0,
    "cache": 0,
    "gc_threshold": 0,
    # what pydantic-settings does with a class (reads trees the readers built)
    "pysettings": 3,
    # the one query index over the model
    "index": 4,
    "isolation": 4,
    # rules and the capabilities that produce findings
    "rules": 5,
    "smoke": 5,
    "vault.live": 5,
    "live.frontend": 6,
    # orchestration
    "engine": 6,
    "live": 7,
    "vault": 7,
    "fix": 7,  # envssot fix: runs the engine, edits the files its findings point at
    # faces
    "output": 8,
    "catalogue_docs": 8,
    "example_patch": 8,  # the --diff patch of .env.example (output)
    "adoption": 5,  # baseline and inline ignores, applied by the engine to findings
    "inventory": 8,
    "plugin": 9,
    "cli": 9,
    "isolation.fixtures": 9,  # pytest fixtures: a face of the isolation capability
    "naming": 9,  # stable re-exports of moved modules
    "importmode": 9,
}
FACES = ("plugin", "cli", "output", "inventory", "isolation.fixtures")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(source: str, modules: set[str] | dict[str, Path]) -> set[str]:
    """Modules of the package that ``source`` imports, at any depth (lazy imports count).

    ``from pytest_envssot.rules import _imported`` depends on the submodule, not on the
    package's ``__init__`` (which Python runs first in any case).
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                targets.append(
                    sub if sub.removeprefix("pytest_envssot.") in modules else node.module
                )
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for target in targets:
            if target.startswith("pytest_envssot."):
                short = target.removeprefix("pytest_envssot.")
                if short in modules:
                    found.add(short)
    return found


def _imports() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: imported_modules(path.read_text(encoding="utf-8"), modules) - {name}
        for name, path in modules.items()
    }


def _layer(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"pytest_envssot.{module} has no layer in LAYERS; add it")


GRAPH = _imports()


def test_every_module_has_a_layer() -> None:
    for module in GRAPH:
        if module:  # the package itself
            _layer(module)


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m))
def test_imports_run_downwards(module: str) -> None:
    upward = sorted(dep for dep in GRAPH[module] if dep and _layer(dep) > _layer(module))
    assert not upward, f"{module} (layer {_layer(module)}) imports higher layers: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m and not m.startswith(FACES)))
def test_no_capability_imports_a_face(module: str) -> None:
    faces = sorted(dep for dep in GRAPH[module] if dep.startswith(FACES))
    assert not faces, f"{module} imports faces {faces}"


def test_no_import_circle() -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dep in sorted(GRAPH.get(node, ())):
            if state.get(dep) == 1:
                circle = [*path[path.index(dep) :], dep]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if dep not in state:
                visit(dep)
        path.pop()
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_checker_sees_lazy_and_submodule_imports() -> None:
    """The walk must see function-level imports, or the guarantees above are hollow."""
    source = (
        "def f():\n    from pytest_envssot.plugin import pytest_configure\n"
        "from pytest_envssot.rules import _imported\n"
    )
    assert imported_modules(source, GRAPH) == {"plugin", "rules._imported"}
    assert _layer("plugin") > _layer("rules.coverage")
