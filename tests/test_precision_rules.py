"""Issue 13: conventions a repository never adopted are skipped, containers are not lines,
and rules judge what a value is, not what its name mentions. Real files, real git."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pytest_envssot.engine import check
from pytest_envssot.findings import Finding, Outcome


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _items(root: Path, rule: str) -> dict[str, Finding]:
    return {f.variable: f for f in check(root, only=[rule]).findings if f.rule == rule}


_NESTED = (
    "from pydantic import BaseModel\nfrom pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
    "class Oidc(BaseModel):\n    client_id: str = ''\n    issuer: str = 'https://id.example.com'\n\n\n"
    "class AuthSettings(BaseModel):\n    oidc: Oidc = Oidc()\n    audience: str\n\n\n"
    "class Settings(BaseSettings):\n"
    "    model_config = SettingsConfigDict(env_nested_delimiter='__')\n"
    "    auth: AuthSettings\n    debug: bool = False\n"
)


def test_a_nested_model_is_documented_by_its_leaves_never_as_its_own_line(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "demo"\n',
        "app/config.py": _NESTED,
        ".env.example": "AUTH__OIDC__CLIENT_ID=\nAUTH__AUDIENCE=api\nDEBUG=false\n",
    }
    items = _items(_write(tmp_path, files), "field-documented")
    assert "AUTH" not in items  # the container is no line of its own
    assert {v for v, f in items.items() if f.outcome is Outcome.PASSED} == {
        "AUTH__OIDC__CLIENT_ID",
        "AUTH__AUDIENCE",
        "DEBUG",
    }
    assert "AUTH__OIDC__ISSUER" not in items  # optional and left out: the example's choice
    assert _items(tmp_path, "example-var-has-field")["AUTH__OIDC__CLIENT_ID"].outcome is (
        Outcome.PASSED
    )


def test_a_required_leaf_missing_from_the_example_still_fails(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "demo"\n',
        "app/config.py": _NESTED,
        ".env.example": "DEBUG=false\n",
    }
    items = _items(_write(tmp_path, files), "field-documented")
    assert "AUTH" not in items
    assert items["AUTH__AUDIENCE"].outcome is Outcome.FAILED
    assert "Settings.auth.audience reads AUTH__AUDIENCE" in items["AUTH__AUDIENCE"].message


_TMPL = '{{ with secret "secret/data/demo/production/app" }}\nAPI_KEY={{ with .Data.data.API_KEY }}{{ printf "%q" . }}{{ else }}""{{ end }}\n{{ end }}\n'
_SETTINGS = (
    "from pydantic_settings import BaseSettings\n\n\n"
    "class Settings(BaseSettings):\n    api_key: str = ''\n"
)


def test_vault_marker_is_skipped_with_how_to_adopt_when_no_line_carries_it(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "demo"\n',
        "app/config.py": _SETTINGS,
        ".env.example": "# the key\nAPI_KEY=\n",
        "deploy/secrets.ctmpl": _TMPL,
    }
    item = _items(_write(tmp_path, files), "vault-marker")["API_KEY"]
    assert item.outcome is Outcome.SKIPPED
    assert "never adopted the marker" in item.message and "# [VAULT]" in item.message


def _git(root: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)


def test_env_file_ignored_asks_the_nested_gitignore_beside_the_example(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "demo"\n[tool.envssot]\nenv_example = "backend/.env.example"\n',
        "backend/app/config.py": _SETTINGS,
        "backend/.env.example": "API_KEY=\n",
        "backend/.gitignore": ".env\n",
    }
    _git(_write(tmp_path, files))
    item = _items(tmp_path, "env-file-ignored")[".env"]
    assert item.outcome is Outcome.PASSED
    assert item.location.path == "backend/.gitignore"


def test_a_tracked_env_of_placeholders_is_a_deliberate_example(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "demo"\n',
        "app/config.py": _SETTINGS,
        ".env.example": "API_KEY=\n",
        ".gitignore": "node_modules\n",
        ".env": "SECRET_KEY=changethis\nPOSTGRES_PASSWORD=changethis\nSMTP_PORT=1025\n",
        "web/.env": "VITE_API_URL=http://localhost:8000\n",
    }
    _git(_write(tmp_path, files))
    items = _items(tmp_path, "env-file-ignored")
    assert items["web/.env"].outcome is Outcome.PASSED
    # .env itself: not ignored (one item), tracked deliberately (passes as an example)
    tracked = [
        f for f in check(tmp_path, only=["env-file-ignored"]).findings if f.location.path == ".env"
    ]
    assert [f.outcome for f in tracked] == [Outcome.PASSED]
    assert "placeholders" in tracked[0].message
    assert "changethis" not in tracked[0].message


def test_next_public_baked_ignores_a_dockerfile_that_builds_no_next_app(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "demo"\n',
        "app/config.py": _SETTINGS,
        ".env.example": "API_KEY=\nNEXT_PUBLIC_STRIPE_KEY=\n",
        # an e-mail renderer built with pnpm: no NEXT_PUBLIC_, no .next, no next dependency
        "Dockerfile": "FROM node:22 AS emails\nCOPY emails/package.json .\nRUN pnpm run build\n",
    }
    item = _items(_write(tmp_path, files), "next-public-baked")["NEXT_PUBLIC_STRIPE_KEY"]
    assert item.outcome is Outcome.SKIPPED
    # the same Dockerfile beside a package.json that depends on next is a Next.js build
    (tmp_path / "package.json").write_text('{"dependencies": {"next": "15.0.0"}}')
    item = _items(tmp_path, "next-public-baked")["NEXT_PUBLIC_STRIPE_KEY"]
    assert item.outcome is Outcome.FAILED


def test_url_hosts_it_cannot_judge_here_are_skipped_with_the_reason(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "demo"\n',
        "app/config.py": _SETTINGS,
        ".env.example": "API_KEY=\nOTEL_URL=http://platform-otel-collector:4318\n"
        "CACHE_URL=redis://demo-cache:6379\n",
        "docker-compose.yml": "services:\n  redis:\n    container_name: demo-redis${ENV_SUFFIX:-}\n",
        # deployed from another repository: no compose file beside it
        "deploy/secrets.ctmpl": '{{ with secret "secret/data/demo/production/app" }}\n'
        'DB_URL="{{ printf "postgresql://app:%s@demo-postgres%s/app" .Data.data.PW "" }}"\n'
        "{{ end }}\n",
    }
    items = _items(_write(tmp_path, files), "url-host-is-service")
    assert items["OTEL_URL"].outcome is Outcome.SKIPPED
    assert "another project's container (platform-" in items["OTEL_URL"].message
    assert items["DB_URL"].outcome is Outcome.SKIPPED
    assert "deploys from elsewhere" in items["DB_URL"].message
    assert items["CACHE_URL"].outcome is Outcome.FAILED  # this project's name, no such container
    (tmp_path / "docker-compose.yml").unlink()
    assert _items(tmp_path, "url-host-is-service")["CACHE_URL"].outcome is Outcome.SKIPPED
