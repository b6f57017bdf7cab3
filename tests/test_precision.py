"""False-positive classes seen on real repositories (issue 13), each a minimal reproduction:
what a maintainer would reject must not fail, and the true finding next to it still must."""

from __future__ import annotations

from pathlib import Path

from pytest_envssot.engine import check
from pytest_envssot.findings import Finding, Outcome

HEAD = "from pydantic import Field\nfrom pydantic_settings import BaseSettings\n\n\n"


def _repo(root: Path, files: dict[str, str]) -> Path:
    files = {"pyproject.toml": '[project]\nname = "demo"\n', **files}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _items(root: Path, rule: str) -> dict[str, Finding]:
    return {f.variable: f for f in check(root, only=[rule]).findings if f.rule == rule}


CURATED = HEAD + (
    "class Settings(BaseSettings):\n"
    "    database_url: str\n"  # required: a developer cannot start without it
    "    openai_api_key: str = ''\n"  # a credential with no value: must be set
    "    pool_size: int = 5\n"
    "    token_algorithm: str = 'HS256'\n"
    "    request_timeout: float = 30.0\n"
    "    page_size: int = 50\n"
    "    log_level: str = 'INFO'\n"
    "    app_name: str = 'demo'\n"
)


def test_a_curated_example_does_not_demand_tunables_with_a_working_default(
    tmp_path: Path,
) -> None:
    root = _repo(tmp_path, {"app/config.py": CURATED, ".env.example": "# app\nAPP_NAME=demo\n"})
    items = _items(root, "field-documented")
    assert items["POOL_SIZE"].outcome is Outcome.SKIPPED
    assert "documents 1 of 8 variables" in items["POOL_SIZE"].message
    assert items["TOKEN_ALGORITHM"].outcome is Outcome.SKIPPED
    # the true findings stay
    assert items["DATABASE_URL"].outcome is Outcome.FAILED
    assert items["OPENAI_API_KEY"].outcome is Outcome.FAILED
    assert items["APP_NAME"].outcome is Outcome.PASSED


def test_an_example_that_documents_every_field_demands_each_one(tmp_path: Path) -> None:
    lines = "".join(
        f"{name}=x\n"
        for name in (
            "DATABASE_URL",
            "OPENAI_API_KEY",
            "POOL_SIZE",
            "TOKEN_ALGORITHM",
            "REQUEST_TIMEOUT",
            "LOG_LEVEL",
            "APP_NAME",
        )
    )
    root = _repo(tmp_path, {"app/config.py": CURATED, ".env.example": lines})
    items = _items(root, "field-documented")
    assert items["PAGE_SIZE"].outcome is Outcome.FAILED  # the convention was adopted: 7 of 8
    assert "PAGE_SIZE=50" in items["PAGE_SIZE"].fix


def test_templates_of_a_repository_without_settings_are_not_orphans(tmp_path: Path) -> None:
    """An infrastructure repository renders env files for apps that live elsewhere."""
    template = (
        '{{ with secret (printf "secret/data/demo/%s/postgres" (env "ENV")) }}\n'
        'POSTGRES_PASSWORD={{ with .Data.data.POSTGRES_PASSWORD }}{{ printf "%q" . }}'
        '{{ else }}""{{ end }}\n{{ end }}\n'
    )
    root = _repo(tmp_path, {"deploy/postgres/secrets.ctmpl": template, ".env.example": ""})
    item = _items(root, "template-var-has-field")["POSTGRES_PASSWORD"]
    assert item.outcome is Outcome.SKIPPED
    assert "defines no settings class" in item.message


def test_a_variable_read_outside_the_settings_is_not_an_orphan(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "app/config.py": HEAD + "class Settings(BaseSettings):\n    debug: bool = False\n",
            ".env.example": "DEBUG=false\nNEXT_API_BASE=http://localhost:8000\n"
            "STALE_SETTING=1\nREADME_ONLY=1\n",
            "web/lib/api.ts": "export const base = process.env.NEXT_API_BASE ?? '';\n",
            "README.md": "Set README_ONLY to anything.\n",
        },
    )
    items = _items(root, "example-var-has-field")
    assert items["NEXT_API_BASE"].outcome is Outcome.PASSED
    assert "web/lib/api.ts:1 names it" in items["NEXT_API_BASE"].message
    assert items["STALE_SETTING"].outcome is Outcome.FAILED  # nothing reads it
    assert items["README_ONLY"].outcome is Outcome.FAILED  # prose is no reader


def test_defaults_are_shown_as_the_code_means_them(tmp_path: Path) -> None:
    config = HEAD + (
        "class Settings(BaseSettings):\n"
        "    access_token_expire_minutes: int = 60 * 24 * 8\n"
        "    sentry_dsn: str | None = None\n"
        "    retries: int = 3\n"
    )
    root = _repo(tmp_path, {"app/config.py": config, ".env.example": "RETRIES=3\n"})
    items = _items(root, "field-documented")
    minutes = items["ACCESS_TOKEN_EXPIRE_MINUTES"]
    assert "default 11520" in minutes.message
    assert "ACCESS_TOKEN_EXPIRE_MINUTES=11520" in minutes.fix  # never an empty value
    sentry = items["SENTRY_DSN"]
    assert "default None: unset" in sentry.message and 'default ""' not in sentry.message
    assert "# SENTRY_DSN=" in sentry.fix  # documented, but left unset


def test_a_class_with_custom_sources_does_not_demand_its_required_fields(tmp_path: Path) -> None:
    """Seen on a real repository: fields a plugin source fills were demanded as lines."""
    config = HEAD + (
        "class Settings(BaseSettings):\n"
        "    @classmethod\n"
        "    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,\n"
        "                                   dotenv_settings, file_secret_settings):\n"
        "        return env_settings, dotenv_settings\n"
        "\n"
        "    email_host: str\n"
        "    debug: bool = False\n"
    )
    root = _repo(tmp_path, {"app/config.py": config, ".env.example": "DEBUG=false\n"})
    item = _items(root, "field-documented")["EMAIL_HOST"]
    assert item.outcome is Outcome.SKIPPED
    assert "customises its sources" in item.message


def test_a_variable_a_client_library_reads_is_not_an_orphan(tmp_path: Path) -> None:
    """Seen on a real repository: OPENAI_API_BASE documented for the openai SDK, which reads it
    from the environment itself. Only when the repository uses that library."""
    files = {
        "app/config.py": HEAD + "class Settings(BaseSettings):\n    debug: bool = False\n",
        ".env.example": "DEBUG=false\nOPENAI_API_BASE=\nAWS_PROFILE=\n",
        "app/llm.py": "import openai\n\nclient = openai.OpenAI()\n",
    }
    items = _items(_repo(tmp_path, files), "example-var-has-field")
    assert items["OPENAI_API_BASE"].outcome is Outcome.PASSED
    assert "the openai library reads it" in items["OPENAI_API_BASE"].message
    assert items["AWS_PROFILE"].outcome is Outcome.FAILED  # boto3 is nowhere in the repository
