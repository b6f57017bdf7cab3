"""Every rule's own VALID and INVALID examples, turned into tests automatically."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome
from pytest_envssot.maskkey import fixed_key
from pytest_envssot.rules import ALL_RULES, CONTRACT_RULES, RULES_BY_NAME, Rule
from pytest_envssot.rules.base import RuleExample

CASES = [
    pytest.param(rule, example, kind, id=f"{rule.name}-{kind}-{number}")
    for rule in CONTRACT_RULES
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
    with fixed_key(b"envssot docs"):  # the masks an example pins are made with the docs' key
        report = check(tmp_path, {"seed": 0}, only=[rule.name])
        mine = [
            f.resolve()
            for f in report.findings
            if f.rule == rule.name and f.variable == example.variable
        ]
    assert mine, f"{rule.name} made no item for {example.variable!r}: {report.findings}"
    outcomes = {f.outcome for f in mine}
    if kind == "valid":
        assert outcomes == {Outcome.PASSED}, [f.render() for f in mine]
    else:
        failed = [(f.lines, f.fix) for f in mine if f.outcome is Outcome.FAILED]
        # the explanation is the product: the example pins it word for word
        assert (example.message, example.fix) in failed, failed


@pytest.mark.parametrize("rule", CONTRACT_RULES, ids=lambda r: r.name)
def test_every_invalid_example_pins_what_its_rule_reports(rule: Rule) -> None:
    assert all(example.message for example in rule.invalid), rule.name
    assert not any(example.message or example.fix for example in rule.valid), rule.name


@pytest.mark.parametrize("rule", CONTRACT_RULES, ids=lambda r: r.name)
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


def test_every_rule_a_runner_reports_is_in_the_catalogue() -> None:
    """Live and smoke findings carry catalogued names, so SARIF and the docs know them."""
    from pytest_envssot.live.frontend import RULE as FRONTEND
    from pytest_envssot.smoke.config import ROLES
    from pytest_envssot.vault.live import ORPHAN, PRESENT, READABLE

    reported = {FRONTEND, ORPHAN, PRESENT, READABLE, *(f"smoke-{kind}" for kind in ROLES)}
    assert reported <= set(RULES_BY_NAME)
    assert all(RULES_BY_NAME[name].family != "contract" for name in reported)


def test_a_new_rule_module_joins_the_catalogue_by_existing(tmp_path: Path) -> None:
    """Adding a rule is one new file in rules/: the catalogue walks the folder."""
    import pytest_envssot.rules as rules_package
    from pytest_envssot.rules import _rule_modules

    folder = Path(rules_package.__file__).parent
    listed = _rule_modules()
    on_disk = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")} - {"base"}
    assert set(listed) == on_disk
    assert listed[0] == "layers"  # report order starts with the file-level rule


def test_the_rule_docs_are_generated_from_the_catalogue() -> None:
    """README's rule table and docs/rules.md (which pins every invalid example's message) are
    regenerated from the catalogue; a changed rule or message without regenerating fails here."""
    from pytest_envssot.catalogue_docs import main

    root = Path(__file__).resolve().parents[1]
    assert main(["--root", str(root), "--check"]) == 0, (
        "stale rule docs: run python -m pytest_envssot.catalogue_docs --write and review the diff"
    )


def test_every_catalogued_rule_is_documented() -> None:
    for rule in ALL_RULES:
        assert rule.hangs_under and rule.why and (rule.details or rule.summary), rule.name
