"""Every rule's own VALID and INVALID examples, turned into tests automatically."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome
from pytest_envssot.rules import ALL_RULES, Rule
from pytest_envssot.rules.base import RuleExample

CASES = [
    pytest.param(rule, example, kind, id=f"{rule.name}-{kind}-{number}")
    for rule in ALL_RULES
    for kind, examples in (("valid", rule.valid), ("invalid", rule.invalid))
    for number, example in enumerate(examples)
]


def _write(root: Path, example: RuleExample) -> None:
    for rel, text in example.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if example.git:
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)


@pytest.mark.parametrize(("rule", "example", "kind"), CASES)
def test_rule_example(tmp_path: Path, rule: Rule, example: RuleExample, kind: str) -> None:
    _write(tmp_path, example)
    report = check(tmp_path, only=[rule.name])
    mine = [f for f in report.findings if f.rule == rule.name and f.variable == example.variable]
    assert mine, f"{rule.name} made no item for {example.variable!r}: {report.findings}"
    outcomes = {f.outcome for f in mine}
    if kind == "valid":
        assert outcomes == {Outcome.PASSED}, [f.render() for f in mine]
    else:
        assert Outcome.FAILED in outcomes


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.name)
def test_every_rule_carries_examples_of_both_kinds(rule: Rule) -> None:
    assert rule.valid and rule.invalid
    assert rule.summary


def test_rule_names_are_unique_and_stable() -> None:
    names = [rule.name for rule in ALL_RULES]
    assert len(names) == len(set(names))
    assert set(names) >= {
        "layer-parses",
        "template-var-has-field",
        "field-documented",
        "example-var-has-field",
        "required-field-in-template",
        "vault-marker",
        "unique-env-name",
    }
