"""The rule catalogue: stable public names, in the order items are reported."""

from __future__ import annotations

from pytest_envssot.rules import (
    compose,
    coverage,
    debug,
    frontend,
    git,
    imported,
    infra,
    layers,
    markers,
    secrets,
    templates,
    types_roundtrip,
    types_values,
    uniqueness,
)
from pytest_envssot.rules.base import Rule

ALL_RULES: tuple[Rule, ...] = (
    *layers.RULES,
    *coverage.RULES,
    *markers.RULES,
    *uniqueness.RULES,
    *types_values.RULES,
    *types_roundtrip.RULES,
    *imported.RULES,  # import mode only (issue 4)
    *compose.RULES,
    # hygiene: secrets and deployment (issue 5)
    *secrets.RULES,
    *infra.RULES,
    *templates.RULES,
    *frontend.RULES,
    *git.RULES,
    *debug.RULES,
)
RULES_BY_NAME = {rule.name: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_NAME", "Rule"]
