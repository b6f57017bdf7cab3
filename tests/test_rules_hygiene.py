"""Secrets and deployment hygiene rules, end to end on real copies of the sample (real git)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import failed_ids

from pytest_envssot.engine import check

ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
PG_TMPL = "repo/finance_report/finance_report/01.postgres/secrets.ctmpl"
DOCKERFILE = "apps/frontend/Dockerfile"
GITHUB_TOKEN = "ghp_" + "R8mXk2Lq9VwT4zYb7NcJ5pHs3FdG6aE1uQ0o"  # fabricated: right shape only
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYq8Zr2Lx9Vw4N"  # fabricated, base64 entropy > 4.5


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def git_sample(sample_pytester: pytest.Pytester) -> pytest.Pytester:
    """The sample copy as a git work tree with everything it would commit added."""
    git(sample_pytester.path, "init", "-q")
    git(sample_pytester.path, "add", "-A")
    return sample_pytester


def test_sample_in_git_passes_every_rule(git_sample: pytest.Pytester) -> None:
    total = len(check(git_sample.path).findings)
    result = git_sample.runpytest("--envssot")
    result.assert_outcomes(passed=total)


def test_outside_git_env_file_ignored_skips_with_its_reason(
    sample_pytester: pytest.Pytester,
) -> None:
    result = sample_pytester.runpytest("--envssot", "-rs", "-k", "env-file-ignored")
    result.assert_outcomes(skipped=1)
    assert "not in a git work tree" in result.stdout.str()
    assert "no .env can leak through git" in result.stdout.str()


HYGIENE_BREAKS = [
    pytest.param(
        ENV, "S3_SECRET_KEY=changeme\n", f"S3_SECRET_KEY={GITHUB_TOKEN}\n",
        f"{ENV}::no-secret-in-example[S3_SECRET_KEY]",
        ["shape of a GitHub token", "S3_SECRET_KEY is secret-classified", "a SecretStr field",
         "leave it empty or a placeholder", "S3_SECRET_KEY=\n"],
        id="token-in-example",
    ),
    pytest.param(
        CONFIG, 's3_secret_key: SecretStr = Field(validation_alias="S3_SECRET_KEY"',
        f's3_secret_key: SecretStr = Field(default="{AWS_SECRET}", validation_alias="S3_SECRET_KEY"',
        f"{CONFIG}::no-secret-default[S3_SECRET_KEY]",
        ["random-looking base64 string", "Drop the default",
         's3_secret_key: SecretStr = Field(validation_alias="S3_SECRET_KEY")'],
        id="secret-default",
    ),
    pytest.param(
        ENV, "BASE_CURRENCY=SGD\n", "BASE_CURRENCY=SGD\n# ops\nVAULT_ROOT_TOKEN=\n",
        f"{ENV}::infra-var-not-in-app[VAULT_ROOT_TOKEN]",
        ["Vault's root token", "per-service, read-only token", "Remove the line"],
        id="root-token-in-example",
    ),
    pytest.param(
        APP_TMPL, 'REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}',
        "REDIS_URL={{ with .Data.data.REDIS_URL }}{{ . }}",
        f"{APP_TMPL}::template-quoting[REDIS_URL]",
        ["renders the Vault value raw", "python-dotenv",
         'REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}'],
        id="raw-template-value",
    ),
    pytest.param(
        APP_TMPL, '{{ printf "%q" . }}{{ else }}"[]"{{ end }}', '{{ printf "%q" . }}{{ end }}',
        f"{APP_TMPL}::template-quoting[CORS_ORIGINS]",
        ["it has no {{ else }}", "Write the fallback out"],
        id="template-without-else",
    ),
    pytest.param(
        APP_TMPL, "S3_BUCKET={{ with .Data.data.S3_BUCKET }}", "S3_BUCKET={{ with .Data.data.BUCKET }}",
        f"{APP_TMPL}::template-key-matches-var[S3_BUCKET]",
        ["renders the Vault key BUCKET", "Rename the key in Vault to S3_BUCKET",
         "S3_BUCKET={{ with .Data.data.S3_BUCKET }}"],
        id="key-mismatch",
    ),
    pytest.param(
        PG_TMPL, 'printf "secret/data/finance_report/%s/postgres" (env "ENV")',
        '"secret/data/finance_report/production/postgres"',
        f"{PG_TMPL}::vault-path-convention[postgres]",
        ["hard-codes the environment 'production'",
         '{{ with secret (printf "secret/data/finance_report/%s/postgres" (env "ENV")) }}'],
        id="hard-coded-env",
    ),
    pytest.param(
        APP_TMPL, '(env "ENV")', '(env "STAGE")',
        f"{APP_TMPL}::vault-path-convention[app]",
        ['comes from env "STAGE", not env "ENV"'],
        id="env-from-other-var",
    ),
    pytest.param(
        DOCKERFILE, "ENV NEXT_PUBLIC_API_URL=${NEXT_PUBLIC_API_URL}\n", "",
        f"{ENV}::next-public-baked[NEXT_PUBLIC_API_URL]",
        ["has ARG NEXT_PUBLIC_API_URL but no ENV NEXT_PUBLIC_API_URL", "RUN npm run build",
         "ENV NEXT_PUBLIC_API_URL=${NEXT_PUBLIC_API_URL}"],
        id="next-public-not-baked",
    ),
    pytest.param(
        CONFIG, 'debug: bool = Field(default=False, description="Never true in prod")',
        'debug: bool = Field(default=True, description="Never true in prod")',
        f"{CONFIG}::debug-off[DEBUG]",
        ["(bool, default true)", "Default it to False", "debug: bool = False"],
        id="debug-on-by-default",
    ),
    pytest.param(
        ".gitignore", ".env\n.env.local\n", ".env.local\n",
        ".gitignore::env-file-ignored[.env]",
        ["git does not ignore .env", "no .gitignore pattern matches .env", "Add to .gitignore"],
        id="env-not-ignored",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "old", "new", "failing", "expected"), HYGIENE_BREAKS)
def test_one_edit_fails_exactly_one_hygiene_item(
    git_sample: pytest.Pytester,
    edit: object,
    rel: str,
    old: str,
    new: str,
    failing: str,
    expected: list[str],
) -> None:
    edit(git_sample.path, rel, old, new)  # type: ignore[operator]
    result = git_sample.runpytest("--envssot", "-rf")
    assert failed_ids(result) == [failing]
    out = result.stdout.str()
    for text in expected:
        assert text.rstrip("\n") in out
    for value in (GITHUB_TOKEN, AWS_SECRET):
        assert value not in out
    assert "Traceback" not in out and "INTERNALERROR" not in out


def test_tracked_env_file_fails_without_reading_it(git_sample: pytest.Pytester) -> None:
    (git_sample.path / ".env").write_text(f"OPENROUTER_API_KEY={GITHUB_TOKEN}\n")
    git(git_sample.path, "add", "-f", ".env")
    result = git_sample.runpytest("--envssot", "-rf")
    assert failed_ids(result) == [".env::env-file-ignored[.env]"]
    out = result.stdout.str()
    assert "is tracked by git" in out and "git rm --cached .env" in out
    assert GITHUB_TOKEN not in out


def test_env_file_in_a_subfolder_not_ignored(git_sample: pytest.Pytester) -> None:
    (git_sample.path / "apps/backend/.env.production.local").write_text("X=1\n")
    result = git_sample.runpytest("--envssot", "-rf")
    name = "apps/backend/.env.production.local"
    assert failed_ids(result) == [f"{name}::env-file-ignored[{name}]"]
    assert "the next `git add .` commits it" in result.stdout.str()


def test_tracked_and_loose_env_files_are_told_apart(git_sample: pytest.Pytester) -> None:
    """One git listing gives both: a tracked file is 'tracked', an unignored one 'lying around'."""
    tracked = "apps/backend/.env.staging.local"
    loose = "apps/frontend/.env.production.local"
    (git_sample.path / tracked).write_text(f"OPENROUTER_API_KEY={GITHUB_TOKEN}\n")
    git(git_sample.path, "add", "-f", tracked)
    (git_sample.path / loose).write_text("X=1\n")
    result = git_sample.runpytest("--envssot", "-rf")
    assert sorted(failed_ids(result)) == sorted(
        [f"{tracked}::env-file-ignored[{tracked}]", f"{loose}::env-file-ignored[{loose}]"]
    )
    out = result.stdout.str()
    assert f"{tracked} is tracked by git" in out
    assert f"{loose} exists and git does not ignore it" in out
    assert GITHUB_TOKEN not in out


def test_env_ignored_only_by_local_excludes_fails(
    git_sample: pytest.Pytester, edit: object
) -> None:
    edit(git_sample.path, ".gitignore", ".env\n.env.local\n", ".env.local\n")  # type: ignore[operator]
    with (git_sample.path / ".git/info/exclude").open("a") as exclude:
        exclude.write(".env\n")
    result = git_sample.runpytest("--envssot", "-rf")
    assert failed_ids(result) == [".gitignore::env-file-ignored[.env]"]
    assert "ignored only by .git/info/exclude" in result.stdout.str()


def test_docker_env_file_consumer_rejects_the_seeds_quoting(git_sample: pytest.Pytester) -> None:
    pyproject = git_sample.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'consumer = "docker-env-file"\n')
    result = git_sample.runpytest("--envssot", "-rf", "-k", "template-quoting")
    failed = failed_ids(result)
    assert len(failed) == 15 and all("template-quoting[" in f for f in failed)
    out = result.stdout.str()
    assert "docker --env-file keeps every byte after '='" in out
    # the fix keeps the template's own fallback, written the way docker reads it
    assert (
        "POSTGRES_USER={{ with .Data.data.POSTGRES_USER }}{{ . }}{{ else }}postgres{{ end }}" in out
    )


def test_configured_secret_names_classify_and_mask(git_sample: pytest.Pytester) -> None:
    pyproject = git_sample.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'secret_names = ["*_BUCKET"]\n')
    result = git_sample.runpytest("--envssot", "-rf")
    assert failed_ids(result) == [f"{CONFIG}::no-secret-default[S3_BUCKET]"]
    out = result.stdout.str()
    assert "its name looks secret" in out and "a hard-coded credential" in out
    assert "finance-report-local" not in out


def test_composed_value_passes_and_says_so(sample_repo: Path, edit: object) -> None:
    edit(  # type: ignore[operator]
        sample_repo,
        APP_TMPL,
        'DATABASE_URL={{ with .Data.data.DATABASE_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}',
        'DATABASE_URL={{ printf "%q" (printf "postgresql+asyncpg://%s:%s@db:5432/finance_report" '
        ".Data.data.DB_USER .Data.data.DB_PASSWORD) }}",
    )
    report = check(sample_repo, only=["template-key-matches-var", "template-quoting"])
    mine = [f for f in report.findings if f.variable == "DATABASE_URL"]
    assert [f.outcome.value for f in mine] == ["passed", "passed"]
    lines = mine[1].lines + mine[0].lines
    assert any(line.startswith("composed from Vault keys DB_USER, DB_PASSWORD") for line in lines)


HYGIENE_RULES = (
    "no-secret-in-example,no-secret-default,infra-var-not-in-app,template-quoting,"
    "template-key-matches-var,vault-path-convention,next-public-baked,env-file-ignored,debug-off"
)
DRIFTED_HYGIENE_FAILURES = [
    f"{ENV}::no-secret-in-example[OPENROUTER_API_KEY]",
    f"{APP_TMPL}::template-quoting[REDIS_URL]",
    f"{PG_TMPL}::vault-path-convention[postgres]",
    f"{CONFIG}::debug-off[DEBUG]",
]


def test_drifted_repo_fails_exactly_its_hygiene_drift(pytester: pytest.Pytester) -> None:
    from conftest import DRIFTED, copy_repo

    copy_repo(DRIFTED, pytester.path)
    result = pytester.runpytest("--envssot", f"--envssot-rules={HYGIENE_RULES}", "-rf")
    assert failed_ids(result) == sorted(DRIFTED_HYGIENE_FAILURES)
    assert "sk-or-v1-0c4e" not in result.stdout.str()
