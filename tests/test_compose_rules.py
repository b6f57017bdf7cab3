"""Compose rules end to end on a copy of the sample repository."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome
from pytest_envssot.isolation.naming import Naming
from pytest_envssot.readers.compose import parse_compose
from pytest_envssot.rules.compose import file_environment

COMPOSE = "docker-compose.yml"
Edit = Callable[[Path, str, str, str], None]


def _failed(result: pytest.RunResult) -> list[str]:
    return sorted(re.findall(r"^FAILED (\S+)", result.stdout.str(), re.MULTILINE))


def test_a_generic_container_name_fails_exactly_its_item(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    edit(
        sample_pytester.path,
        COMPOSE,
        "container_name: finance-report-redis",
        "container_name: redis",
    )
    result = sample_pytester.runpytest("--envssot", "-rf")
    assert _failed(result) == [f"{COMPOSE}::compose-container-naming[redis]"]
    out = result.stdout.str()
    assert f"{COMPOSE}:29: compose-container-naming[redis]" in out
    assert "container_name: finance-report-redis" in out  # the fix


def test_root_token_in_a_service_fails_without_showing_it(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    token = "hvs.CAESIJlWh0V3bXh3c2VjcmV0dG9rZW4"
    edit(
        sample_pytester.path,
        COMPOSE,
        "  ENV: local\n",
        f"  ENV: local\n  VAULT_ROOT_TOKEN: {token}\n",
    )
    result = sample_pytester.runpytest("--envssot", "-rf", "-vv", "-l", "--tb=long")
    assert _failed(result) == [f"{COMPOSE}::compose-no-root-token[backend]"]
    assert "VAULT_ROOT_TOKEN into service backend" in result.stdout.str()
    assert token not in result.stdout.str() + result.stderr.str()


def test_unreadable_compose_file_says_where(sample_repo: Path) -> None:
    (sample_repo / "compose.staging.yaml").write_text("services:\n  backend:\n    image: [\n")
    report = check(sample_repo, only=["compose-container-naming"])
    [bad] = [f for f in report.findings if f.outcome is Outcome.FAILED]
    assert str(bad.location).startswith("compose.staging.yaml:") and "invalid YAML" in bad.message


@pytest.mark.parametrize(
    ("name", "text", "env"),
    [
        ("docker-compose.yml", "services: {a: {image: x}}\n", None),
        ("docker-compose.staging.yml", "services: {a: {image: x}}\n", "staging"),
        ("compose.qa.yaml", "services: {a: {image: x}}\n", "qa"),
        ("deploy/compose.yml", "services: {a: {environment: {ENV: production}}}\n", "production"),
        ("compose.yml", "services:\n  a:\n    environment:\n      - ENV=pr-${PR}\n", "pr-<N>"),
    ],
)
def test_a_files_environment(name: str, text: str, env: str | None) -> None:
    found, _ = file_environment(parse_compose(text, name), Naming("finance_report", ("qa",)))
    assert found == env
