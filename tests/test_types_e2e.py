"""The type rules end to end: pytester on real copies of the sample, one break at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import failed_ids

from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome

ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
TYPE_RULES = "example-value-type,default-value-type,template-fallback-type"
Edit = Callable[[Path, str, str, str], None]


def test_fallback_models_comma_list_for_list_str_fails_with_json_fix(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    root = sample_pytester.path
    edit(
        root,
        CONFIG,
        "fallback_models: Annotated[list[str], NoDecode]",
        "fallback_models: list[str]",
    )
    edit(root, CONFIG, '@field_validator("fallback_models", mode="before")', "")
    edit(
        root,
        ENV,
        "FALLBACK_MODELS=qwen/qwen-2.5-72b-instruct:free,nvidia",
        "FALLBACK_MODELS=a,b\n# X=nvidia",
    )
    result = sample_pytester.runpytest("--envssot", f"--envssot-rules={TYPE_RULES}")
    assert failed_ids(result) == [f"{ENV}::example-value-type[FALLBACK_MODELS]"]
    out = result.stdout.str()
    assert "JSON-decodes" in out
    assert 'FALLBACK_MODELS=["a", "b"]' in out


def test_before_validator_with_nodecode_is_not_flagged(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    root = sample_pytester.path
    edit(
        root,
        CONFIG,
        "    cors_origins: list[str] = Field(",
        "    cors_origins: Annotated[list[str], NoDecode] = Field(",
    )
    edit(
        root, CONFIG, "    @computed_field",
        '    @field_validator("cors_origins", mode="before")\n    @classmethod\n'
        "    def _split_origins(cls, value: object) -> object:\n"
        '        return value.split(",") if isinstance(value, str) else value\n\n    @computed_field',
    )  # fmt: skip
    edit(
        root,
        ENV,
        'CORS_ORIGINS=["http://localhost:3000"]',
        "CORS_ORIGINS=http://a.test,http://b.test",
    )
    result = sample_pytester.runpytest("--envssot", "--envssot-rules=example-value-type")
    assert failed_ids(result) == []
    assert "example-value-type[CORS_ORIGINS]" not in result.stdout.str()
    result.assert_outcomes(passed=len(check(root, only=["example-value-type"]).findings))


def test_before_validator_without_nodecode_still_needs_json(sample_repo: Path, edit: Edit) -> None:
    """pydantic-settings JSON-decodes a complex field before any validator (checked here
    against pydantic-settings itself), so a splitting validator alone does not help."""
    import os
    import subprocess
    import sys

    edit(
        sample_repo,
        CONFIG,
        '@field_validator("fallback_models", mode="before")',
        '@field_validator("fallback_models", "cors_origins", mode="before")',
    )
    edit(
        sample_repo,
        ENV,
        'CORS_ORIGINS=["http://localhost:3000"]',
        "CORS_ORIGINS=http://a.test,http://b.test",
    )
    found = [
        f
        for f in check(sample_repo, only=["example-value-type"]).findings
        if f.variable == "CORS_ORIGINS"
    ]
    assert [f.outcome for f in found] == [Outcome.FAILED]
    probe = (
        "import sys; sys.path.insert(0, 'apps/backend/src')\n"
        "from config import Settings\n"
        "try:\n    Settings(_env_file=None); print('accepted')\n"
        "except Exception as e:\n    print(type(e).__name__)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CORS_ORIGINS",)}
    env.update(
        CORS_ORIGINS="http://a.test,http://b.test",
        S3_ACCESS_KEY="x",
        S3_SECRET_KEY="x",
        SECRET_KEY="x",
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=sample_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "SettingsError"


@pytest.mark.parametrize(
    ("old", "new", "item", "expected"),
    [
        pytest.param(
            "# Base accounting currency\nBASE_CURRENCY=SGD\n", "# Base accounting currency\nBASE_CURRENCY=SGD\nLOG_LEVEL=info\n",
            f"{ENV}::example-value-type[LOG_LEVEL]", ["case-sensitive", "LOG_LEVEL=INFO"], id="literal-case",
        ),
        pytest.param(
            "# Base accounting currency\nBASE_CURRENCY=SGD\n", "# Base accounting currency\nBASE_CURRENCY=SGD\nWORKERS=four\n",
            f"{ENV}::example-value-type[WORKERS]", ["valid integer", "WORKERS=2"], id="int-word",
        ),
    ],
)  # fmt: skip
def test_example_values_of_the_wrong_type_fail(
    sample_pytester: pytest.Pytester, edit: Edit, old: str, new: str, item: str, expected: list[str]
) -> None:
    root = sample_pytester.path
    edit(
        root, CONFIG, "    # Observability (optional but recommended)\n",
        '    log_level: Literal["INFO", "DEBUG", "WARNING"] = "INFO"\n'
        '    workers: int = Field(default=2, ge=1)\n\n    # Observability (optional but recommended)\n',
    )  # fmt: skip
    edit(root, ENV, old, new)
    result = sample_pytester.runpytest("--envssot", f"--envssot-rules={TYPE_RULES}")
    assert failed_ids(result) == [item]
    for text in expected:
        assert text in result.stdout.str()


def test_default_of_the_wrong_type_fails(sample_pytester: pytest.Pytester, edit: Edit) -> None:
    root = sample_pytester.path
    edit(
        root,
        CONFIG,
        "    # Observability (optional but recommended)\n",
        '    port: int = "80a"\n\n    # Observability (optional but recommended)\n',
    )
    edit(root, ENV, "BASE_CURRENCY=SGD\n", "BASE_CURRENCY=SGD\nPORT=80\n")
    result = sample_pytester.runpytest("--envssot", f"--envssot-rules={TYPE_RULES}")
    assert failed_ids(result) == [f"{CONFIG}::default-value-type[PORT]"]
    assert "does not validate defaults" in result.stdout.str()


def test_empty_fallback_without_ignore_empty_fails_only_where_invalid(
    sample_repo: Path, edit: Edit
) -> None:
    edit(sample_repo, CONFIG, ", env_ignore_empty=True)", ")")
    failed = sorted(
        f.variable
        for f in check(sample_repo, only=["template-fallback-type"]).findings
        if f.outcome is Outcome.FAILED
    )
    # "" is no DSN and too short a bucket; for a plain str (S3_ENDPOINT) it is a valid value that
    # replaces the default, production's choice (issue 13 class 3), said in the passed item
    assert failed == ["DATABASE_URL", "S3_BUCKET"]
    endpoint = next(
        f
        for f in check(sample_repo, only=["template-fallback-type"]).findings
        if f.variable == "S3_ENDPOINT"
    )
    assert endpoint.outcome is Outcome.PASSED and "env_ignore_empty=True" in endpoint.message
