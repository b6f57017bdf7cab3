"""Compose rules end to end on a copy of the sample repository."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _naming_items(root: Path, files: dict[str, str]) -> dict[str, tuple[Outcome, str]]:
    for rel, text in {"pyproject.toml": '[project]\nname = "demo_app"\n', **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    report = check(root, only=["compose-container-naming"])
    return {
        f"{f.location.path}::{f.variable}": (f.outcome, f.message)
        for f in report.findings
        if f.rule == "compose-container-naming"
    }


def _service(name: str, container: str) -> str:
    return f"  {name}:\n    image: x\n    container_name: {container}\n"


def test_interpolated_suffix_is_the_discriminator_in_either_slug_spelling(tmp_path: Path) -> None:
    compose = "services:\n" + _service("postgres", "demo-app-db${ENV_SUFFIX:-}")
    compose += _service("backend", "demo_app-api${ENV_SUFFIX}")
    items = _naming_items(tmp_path, {"docker-compose.yml": compose})
    assert {k: o for k, (o, _) in items.items()} == {
        "docker-compose.yml::postgres": Outcome.PASSED,
        "docker-compose.yml::backend": Outcome.PASSED,
    }


def test_a_project_that_never_adopted_suffixed_names_is_skipped_with_the_reason(
    tmp_path: Path,
) -> None:
    # ENV=local is an app setting here, not a naming scheme: most names carry no project prefix
    compose = "services:\n" + _service("dashboard", "dashboard") + "    environment: [ENV=local]\n"
    compose += _service("db", "demo-app-db") + _service("cache", "redis")
    items = _naming_items(tmp_path, {"docker-compose.yml": compose})
    assert {o for o, _ in items.values()} == {Outcome.SKIPPED}
    assert (
        "never adopted environment-suffixed container names"
        in items["docker-compose.yml::dashboard"][1]
    )


def test_other_projects_compose_files_are_skipped_unless_configured(tmp_path: Path) -> None:
    files = {
        "compose.yaml": "services:\n" + _service("backend", "demo-app-backend${ENV_SUFFIX}"),
        "platform/compose.yaml": "services:\n" + _service("pg", "platform-postgres${ENV_SUFFIX}"),
        "other/compose.yaml": "name: other\nservices:\n" + _service("web", "web"),
        "third_party/kit/compose.yaml": "services:\n" + _service("kit", "kit"),
    }
    items = _naming_items(tmp_path, files)
    assert items["compose.yaml::backend"][0] is Outcome.PASSED
    assert items["platform/compose.yaml::pg"][0] is Outcome.SKIPPED
    assert "named for another project (platform-" in items["platform/compose.yaml::pg"][1]
    assert items["other/compose.yaml::web"][0] is Outcome.SKIPPED
    assert "compose project is 'other'" in items["other/compose.yaml::web"][1]
    assert "vendored checkout (third_party/)" in items["third_party/kit/compose.yaml::kit"][1]
    files["pyproject.toml"] = (
        '[project]\nname = "demo_app"\n[tool.envssot]\n'
        'compose = ["compose.yaml", "platform/compose.yaml"]\n'
    )
    items = _naming_items(tmp_path, files)
    assert items["platform/compose.yaml::pg"][0] is Outcome.FAILED


_TMPL = (
    '{{ with secret "secret/data/demo_app/production/app" }}\n'
    "API_TOKEN={{ with .Data.data.API_TOKEN }}{{ . }}{{ else }}{{ end }}\n{{ end }}\n"
)


def _quoting(root: Path, compose: str) -> tuple[Outcome, str]:
    files = {
        "pyproject.toml": '[project]\nname = "demo_app"\n',
        "app/config.py": "from pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n    api_token: str = ''\n",
        ".env.example": "API_TOKEN=\n",
        "deploy/app.env.ctmpl": _TMPL,
        "deploy/compose.yaml": compose,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    [item] = [
        f for f in check(root, only=["template-quoting"]).findings if f.variable == "API_TOKEN"
    ]
    return item.outcome, item.message


def test_template_quoting_follows_the_consumer_the_compose_file_shows(tmp_path: Path) -> None:
    # Docker's env-file parser takes the rest of the line verbatim: the bare value is right.
    env_file = "services:\n  app:\n    image: x\n    env_file: [/secrets/app.env]\n"
    assert _quoting(tmp_path / "a", env_file)[0] is Outcome.PASSED
    # A shell sourcing it expands $ and backticks: it must be single-quoted.
    sourced = "services:\n  app:\n    image: x\n    entrypoint: [sh, -c, 'set -a; . /secrets/app.env; exec app']\n"
    # sourcing a virtualenv says nothing about who reads the rendered file: the default stays
    venv = "services:\n  app:\n    image: x\n    command: sh -c '. venv/bin/activate && app'\n"
    assert "python-dotenv" in _quoting(tmp_path / "c", venv)[1]
    outcome, message = _quoting(tmp_path / "b", sourced)
    assert outcome is Outcome.FAILED
    assert (
        "posix-shell" in message
        and "inferred from deploy/compose.yaml: service app sources" in message
    )


_REGEX_INTERPOLATION = re.compile(r"\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)")


@settings(max_examples=400, derandomize=True, database=None)
@given(st.text(alphabet="${}_aZ9-:?+ ", max_size=40))
def test_interpolations_are_found_where_the_regex_finds_them(text: str) -> None:
    """The linear scan of compose interpolations finds exactly the regex's matches (which
    took minutes on a value of a million unclosed ``${``)."""
    from pytest_envssot.rules.compose import _interpolations

    assert list(_interpolations(text)) == [m.span() for m in _REGEX_INTERPOLATION.finditer(text)]
