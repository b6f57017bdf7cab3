"""The rule catalogue: stable public names, in the order items are reported.

Every public module in this folder that defines ``RULES`` is part of it, so adding a rule is
one new file. ``ORDER`` fixes report order (and SARIF rule indices) for the modules it names;
a module it does not name comes after them, alphabetically.
"""

from __future__ import annotations

import importlib
import inspect
import os

from pytest_envssot.rules.base import Rule

ORDER = (
    "layers",
    "coverage",
    "markers",
    "uniqueness",
    "types_values",
    "types_roundtrip",
    "imported",  # import mode only
    "compose",
    "secrets",
    "infra",
    "templates",
    "frontend",
    "git",
    "debug",
    "live",  # opt-in families: Vault, a frontend build, smoke
)


def _rule_modules() -> list[str]:
    # The module files of this folder, as pkgutil.iter_modules names them, without importing
    # pkgutil (inspect is imported by then in any case).
    names = (inspect.getmodulename(entry) for folder in __path__ for entry in os.listdir(folder))
    found = {
        name
        for name in names
        if name and "." not in name and not name.startswith("_") and name != "base"
    }
    return [name for name in ORDER if name in found] + sorted(found - set(ORDER))


def _catalogue() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for name in _rule_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        rules.extend(getattr(module, "RULES", ()))
    return tuple(rules)


ALL_RULES: tuple[Rule, ...] = _catalogue()
RULES_BY_NAME = {rule.name: rule for rule in ALL_RULES}
CONTRACT_RULES: tuple[Rule, ...] = tuple(r for r in ALL_RULES if r.family == "contract")

__all__ = ["ALL_RULES", "CONTRACT_RULES", "RULES_BY_NAME", "Rule"]
