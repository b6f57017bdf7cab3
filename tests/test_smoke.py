"""``pytest --envssot-smoke`` against real servers on loopback: PostgreSQL, Redis, moto's S3,
and an HTTP models endpoint. Each scenario runs pytest on a copy of the sample repository with
an env file, the way a user points the checks at a rendered Vault file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import smoke_servers as servers

from pytest_envssot.engine import check
from pytest_envssot.smoke import parse, plan

CONFIG = "apps/backend/src/config.py"
PG_PW = "CANARYpgLive7Tq2Wm"  # the private cluster's password (CI's server has its own)
REDIS_PW = "CANARYredisLive3Kx9"
AI_TOKEN = "sk-or-v1-CANARYlive0d3f9a1c5e8b2d4f6a0c9e7b5d3f1a8c6e4b2d0f9a7c5e3b1d8f6a4c2e0"
S3_ACCESS = "CANARYaccessAK19Qw"
S3_SECRET = "CANARYsecretSK5Jd8wqZr/Pb4"
BUCKET = "finance-report-smoke"
WRONG = {
    "pg": "CANARYwrongPg4VbNx",
    "redis": "CANARYwrongRd8LpMs",
    "ai": "sk-or-v1-CANARYwrong7c1e9a3b5d7f9e1c3a5b7d9f1e3c5a7b9d1f3e5c7a9b1d3f5e7c9a1b3d5f7e",
}
CANARIES = [PG_PW, REDIS_PW, AI_TOKEN, S3_ACCESS, S3_SECRET, *WRONG.values()]
IDS = {
    kind: f"{CONFIG}::smoke-{kind}[{var}]"
    for kind, var in [("postgres", "DATABASE_URL"), ("redis", "REDIS_URL"),
                      ("s3", "S3_ENDPOINT"), ("ai", "OPENROUTER_API_KEY")]
}  # fmt: skip


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with servers.postgres(PG_PW) as url:
        yield url


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with servers.redis(REDIS_PW) as url:
        yield url


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with servers.moto() as endpoint:
        servers.create_bucket(endpoint, BUCKET, S3_ACCESS, S3_SECRET)
        yield endpoint


@pytest.fixture(scope="module")
def ai_base() -> Iterator[str]:
    with servers.models_api(AI_TOKEN) as base:
        yield base


def _repo(pytester: pytest.Pytester, env: dict[str, str], ai_base: str = "", **smoke: str) -> None:
    """The sample repository, an env file, and [tool.envssot.smoke] settings."""
    from conftest import SAMPLE, copy_repo

    copy_repo(SAMPLE, pytester.path)
    (pytester.path / "smoke.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    extra = "".join(f"{k} = {v}\n" for k, v in smoke.items())
    table = f"\n[tool.envssot.smoke]\n{extra}"
    if ai_base:
        table += f'[tool.envssot.smoke.ai]\nbase_url = "{ai_base}"\n'
    with open(pytester.path / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(table)


def _env(pg: str, redis: str, s3: str, bucket: str = BUCKET, key: str = AI_TOKEN) -> dict[str, str]:
    return {
        "DATABASE_URL": pg,
        "REDIS_URL": redis,
        "S3_ENDPOINT": s3,
        "S3_ACCESS_KEY": S3_ACCESS,
        "S3_SECRET_KEY": S3_SECRET,
        "S3_BUCKET": bucket,
        "OPENROUTER_API_KEY": key,
    }


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    """pytest as a user runs it, as verbose as it gets; every byte it wrote, JUnit XML too."""
    result = pytester.runpytest_subprocess(
        "--envssot-smoke", "--envssot-env-file", "smoke.env", "-p", "no:cacheprovider",
        "-vv", "-l", "--tb=long", "-rA", "--junitxml=junit.xml", *args,
    )  # fmt: skip
    xml = (pytester.path / "junit.xml").read_text(encoding="utf-8")
    everything = "\n".join([result.stdout.str(), result.stderr.str(), xml])
    for canary in CANARIES:
        assert canary not in everything, f"a credential leaked: {canary[:12]}..."
    return result, everything


def _section(output: str, kind: str) -> str:
    """The failure text of one item (from its header to the next)."""
    name = IDS[kind].split("::")[1]
    found = re.search(rf"_+ {re.escape(name)} _+\n(.*?)(?=\n_{{3,}} |\n=+ )", output, re.S)
    assert found, f"no failure section for {name}"
    return found.group(1)


# --------------------------------------------------------------------------- live servers


def test_every_service_answers(
    pytester: pytest.Pytester, pg_url: str, redis_url: str, s3_endpoint: str, ai_base: str
) -> None:
    _repo(pytester, _env(pg_url, redis_url, s3_endpoint), ai_base)
    result, _ = _run(pytester)
    result.assert_outcomes(passed=4)
    for node_id in IDS.values():
        assert f"PASSED {node_id}" in result.outlines


def test_the_servers_ci_started_answer(pytester: pytest.Pytester) -> None:
    """The PostgreSQL and Redis that `.ci/run` starts on loopback, with passwords made for the
    run: the smoke items pass against them, and neither password shows in any output."""
    admin, cache = os.environ.get("ENVSSOT_DB_ADMIN_URL"), os.environ.get("ENVSSOT_SMOKE_REDIS_URL")
    if not (admin and cache):
        if os.environ.get("CI") == "true":
            pytest.fail(
                ".ci/run must start PostgreSQL and Redis (ENVSSOT_DB_ADMIN_URL, ENVSSOT_SMOKE_REDIS_URL)"
            )
        pytest.skip("no CI-started servers (ENVSSOT_DB_ADMIN_URL, ENVSSOT_SMOKE_REDIS_URL)")
    _repo(pytester, {"DATABASE_URL": admin, "REDIS_URL": cache})
    result, everything = _run(pytester, "-k", "postgres or redis")
    result.assert_outcomes(passed=2)
    for url in (admin, cache):
        password = url.split("://", 1)[1].rsplit("@", 1)[0].split(":", 1)[1]
        assert password not in everything


def test_wrong_passwords_fail_with_what_was_tried_and_what_answered(
    pytester: pytest.Pytester, pg_url: str, redis_url: str, s3_endpoint: str, ai_base: str
) -> None:
    env = _env(
        servers.with_password(pg_url, WRONG["pg"]),
        servers.with_password(redis_url, WRONG["redis"]),
        s3_endpoint,
        bucket="no-such-bucket-here",
        key=WRONG["ai"],
    )
    _repo(pytester, env, ai_base)
    result, output = _run(pytester)
    result.assert_outcomes(failed=4)
    pg_port, redis_port = pg_url.split("@")[1].split("/")[0], redis_url.split("@")[1].split("/")[0]

    pg = _section(output, "postgres")
    assert f"{CONFIG}:" in pg and "tried: PostgreSQL at " in pg
    assert pg_port.split(":")[1] in pg and "SELECT 1" in pg
    assert "password authentication failed" in pg
    assert "DATABASE_URL=postgresql://" in pg and "from env file smoke.env" in pg

    redis = _section(output, "redis")
    assert f"tried: Redis at {redis_port}, db 0: PING" in redis
    assert "AuthenticationError" in redis and "invalid username-password pair" in redis

    s3 = _section(output, "s3")
    assert f"S3 at {s3_endpoint}, bucket no-such-bucket-here" in s3
    assert "HTTP 404 (no such bucket)" in s3

    ai = _section(output, "ai")
    assert f"GET {ai_base}/models with Authorization: Bearer ***" in ai
    assert "HTTP 401 Unauthorized" in ai and "Incorrect API key provided: ***" in ai


def test_closed_ports_fail_fast_and_clearly(pytester: pytest.Pytester) -> None:
    ports = [servers.free_port() for _ in range(4)]  # bound once, then released: nothing listens
    env = _env(
        f"postgresql://app:{WRONG['pg']}@127.0.0.1:{ports[0]}/finance_report",
        f"redis://:{WRONG['redis']}@127.0.0.1:{ports[1]}/0",
        f"http://127.0.0.1:{ports[2]}",
        key=WRONG["ai"],
    )
    _repo(pytester, env, f"http://127.0.0.1:{ports[3]}/api/v1", timeout="3")
    result, output = _run(pytester)
    result.assert_outcomes(failed=4)
    assert "Connection refused" in _section(output, "postgres")
    assert f"127.0.0.1:{ports[1]}" in _section(output, "redis")
    assert "Connection refused" in _section(output, "redis")
    assert "Could not connect to the endpoint URL" in _section(output, "s3")
    assert "Connection refused" in _section(output, "ai")
    for kind in IDS:
        assert "(timeout 3s)" in _section(output, kind)


def test_a_server_that_never_answers_fails_at_the_timeout(pytester: pytest.Pytester) -> None:
    with servers.silent_listener() as port:
        url = f"127.0.0.1:{port}"
        env = _env(f"postgresql://app:{WRONG['pg']}@{url}/db", f"redis://{url}/0", f"http://{url}")
        _repo(pytester, env, f"http://{url}/api/v1")
        result, output = _run(pytester, "--envssot-smoke-timeout", "1")
    result.assert_outcomes(failed=4)
    for kind in IDS:
        text = _section(output, kind)
        assert "(timeout 1s)" in text
        assert re.search(
            r"nothing within 1s|[Tt]ime(?:d )?out|timeout expired", text.split("answered:")[1]
        )


def test_stopped_servers_fail_clearly(pytester: pytest.Pytester, pg_url: str) -> None:
    with servers.redis(REDIS_PW) as redis_url, servers.models_api(AI_TOKEN) as ai_base:
        pass  # started, then stopped: what a crashed service looks like
    with servers.moto() as s3_endpoint:
        pass
    _repo(pytester, _env(pg_url, redis_url, s3_endpoint), ai_base)
    result, output = _run(pytester, "--envssot-smoke-timeout", "3")
    result.assert_outcomes(passed=1, failed=3)
    assert "Connection refused" in _section(output, "redis")
    assert "Could not connect to the endpoint URL" in _section(output, "s3")
    assert "Connection refused" in _section(output, "ai")


# --------------------------------------------------------------------------- selection


def test_unset_optional_services_are_skipped_with_the_reason(
    pytester: pytest.Pytester, pg_url: str, s3_endpoint: str
) -> None:
    env = _env(pg_url, "", s3_endpoint, key="")
    _repo(pytester, env)
    result, output = _run(pytester)
    result.assert_outcomes(passed=2, skipped=2)
    assert "REDIS_URL is unset, and its default (apps/backend/src/config.py:35) is empty" in output
    assert "OPENROUTER_API_KEY is unset" in output and "ai is optional here" in output


def test_a_required_credential_unset_fails_without_trying(
    pytester: pytest.Pytester, pg_url: str
) -> None:
    env = {"DATABASE_URL": pg_url, "S3_BUCKET": BUCKET}
    _repo(pytester, env)
    result, output = _run(pytester, "--envssot-critical-only")
    result.assert_outcomes(passed=1, failed=1)
    s3 = _section(output, "s3")
    assert "S3_ACCESS_KEY is unset, and the settings field has no default" in s3
    assert "the app cannot start without S3_ACCESS_KEY, S3_SECRET_KEY" in s3


def test_critical_only_selects_database_and_s3(pytester: pytest.Pytester) -> None:
    _repo(pytester, _env("postgresql://h/db", "redis://h", "http://h"))
    result = pytester.runpytest(
        "--envssot-critical-only", "--envssot-env-file", "smoke.env", "--collect-only", "-q"
    )
    ids = sorted(line for line in result.outlines if "::smoke-" in line)
    assert ids == [IDS["postgres"], IDS["s3"]]
    every = pytester.runpytest("--envssot-smoke", "--collect-only", "-q", "-m", "envssot")
    assert sorted(line for line in every.outlines if "::smoke-" in line) == sorted(IDS.values())


def test_collecting_imports_no_client(pytester: pytest.Pytester) -> None:
    """The clients load when an item runs, never when the plugin loads or collects."""
    _repo(pytester, _env("postgresql://h/db", "redis://h", "http://h"))
    pytester.makeconftest(
        "import sys\n"
        "def pytest_collection_finish(session):\n"
        "    heavy = ('psycopg', 'redis', 'boto3', 'botocore', 'moto')\n"
        "    print('CLIENTS:', [m for m in heavy if m in sys.modules])\n"
    )
    result = pytester.runpytest_subprocess(
        "--envssot-smoke", "--envssot-env-file", "smoke.env", "--collect-only", "-s"
    )
    result.stdout.fnmatch_lines(["CLIENTS: []"])


def test_bad_configuration_is_a_usage_error(pytester: pytest.Pytester) -> None:
    _repo(pytester, {}, bogus="1")
    result = pytester.runpytest("--envssot-smoke")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*[[]tool.envssot.smoke[]] has unknown key(s): bogus*"])
    missing = pytester.runpytest("--envssot-smoke", "--envssot-env-file", "nowhere.env")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*--envssot-env-file*nowhere.env: no such file*"])
    assert "Traceback" not in result.stderr.str() + missing.stderr.str()


def test_without_the_option_nothing_is_added(pytester: pytest.Pytester) -> None:
    _repo(pytester, {})
    result = pytester.runpytest("--collect-only", "-q")
    assert not [line for line in result.outlines if "smoke-" in line]


# --------------------------------------------------------------------------- discovery


SETTINGS = """
from pydantic import PostgresDsn, RedisDsn, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_")

    db: PostgresDsn
    reporting_database_url: str = "sqlite:///reports.db"
    cache: RedisDsn | None = None
    minio_endpoint: str = "http://localhost:9000"
    minio_access_key: SecretStr
    minio_secret_key: SecretStr
    minio_bucket_name: str = "uploads"
    llm_api_key: SecretStr = SecretStr("")
    llm_base_url: str = "http://localhost:11434/v1"
    sendgrid_api_key: SecretStr = SecretStr("")
"""


def _services(root: Path) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    report = check(root, only=("layer-parses",))
    return [(s.kind, s.roles) for s in plan(report.index, parse(report.config.smoke))]


def test_services_are_found_from_types_and_names(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(SETTINGS)
    assert _services(tmp_path) == [
        ("postgres", (("url", "APP_DB"),)),
        ("postgres", (("url", "APP_REPORTING_DATABASE_URL"),)),
        ("redis", (("url", "APP_CACHE"),)),
        ("s3", (("endpoint", "APP_MINIO_ENDPOINT"), ("access_key", "APP_MINIO_ACCESS_KEY"),
                ("secret_key", "APP_MINIO_SECRET_KEY"), ("bucket", "APP_MINIO_BUCKET_NAME"))),
        ("ai", (("key", "APP_LLM_API_KEY"), ("base_url", "APP_LLM_BASE_URL"))),
    ]  # fmt: skip


def test_configuration_replaces_what_it_names(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(SETTINGS)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.envssot.smoke.postgres]\nurl = 'APP_DB'\n"
        "[tool.envssot.smoke.redis]\nenabled = false\n"
        "[tool.envssot.smoke.s3]\nregion = 'AWS_REGION'\n"
        "[tool.envssot.smoke.ai]\nbase_url = 'https://llm.internal/v1'\n"
    )
    found = dict(_services(tmp_path))
    assert found["postgres"] == (("url", "APP_DB"),) and "redis" not in found
    assert ("region", "AWS_REGION") in found["s3"]
    assert found["ai"] == (("key", "APP_LLM_API_KEY"), ("base_url", "https://llm.internal/v1"))


def test_a_non_postgres_database_url_is_skipped(pytester: pytest.Pytester) -> None:
    _repo(pytester, {"DATABASE_URL": "sqlite:///local.db"})
    result = pytester.runpytest(
        "--envssot-smoke", "--envssot-env-file", "smoke.env", "-rs", "-k", "postgres"
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*DATABASE_URL: not a PostgreSQL URL (scheme sqlite)*"])


# --------------------------------------------------------------------------- CLI


def test_cli_smoke_is_the_same_checks(
    pytester: pytest.Pytester, pg_url: str, s3_endpoint: str, ai_base: str
) -> None:
    import subprocess
    import sys

    _repo(pytester, _env(pg_url, "", s3_endpoint, key=WRONG["ai"]), ai_base)
    cli = [sys.executable, "-m", "pytest_envssot.cli", "smoke", "--env-file", "smoke.env"]
    run = subprocess.run(cli, cwd=pytester.path, capture_output=True, text=True, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert f"{CONFIG}:30: smoke-postgres[DATABASE_URL]: ok: answered: SELECT 1 returned 1" in output
    assert "smoke-s3[S3_ENDPOINT]: ok: answered: head_bucket answered HTTP 200" in output
    assert "smoke-redis[REDIS_URL]: skipped: REDIS_URL is unset" in output
    assert "HTTP 401 Unauthorized" in output and output.rstrip().endswith("4 checked, 1 failed")
    assert not [c for c in CANARIES if c in output]
    critical = subprocess.run(
        [*cli, "--critical-only"], cwd=pytester.path, capture_output=True, text=True, check=False
    )
    assert critical.returncode == 0 and "2 checked, 0 failed" in critical.stdout


def test_a_password_the_url_cannot_hold_is_not_shown_even_in_part(
    pytester: pytest.Pytester,
) -> None:
    """An unencoded @ or / splits a URL in the wrong place, and the clients then name a piece
    of the password as the host they could not resolve: no piece may appear."""
    halves = ("CANARYhalfOne", "CANARYhostPart", "CANARYhalfTwo")
    password = "{}@{}/{}".format(*halves)
    port = servers.free_port()
    env = {"DATABASE_URL": f"postgresql://app:{password}@127.0.0.1:{port}/db",
           "REDIS_URL": f"redis://:{password}@127.0.0.1:{port}/0"}  # fmt: skip
    _repo(pytester, env)
    _, output = _run(pytester, "-k", "postgres or redis")
    assert "smoke-postgres[DATABASE_URL]" in output and "smoke-redis[REDIS_URL]" in output
    assert not [half for half in halves if half.lower() in output.lower()]


def test_the_ini_switches_them_on(pytester: pytest.Pytester) -> None:
    _repo(pytester, _env("postgresql://h/db", "redis://h", "http://h"))
    result = pytester.runpytest(
        "-o",
        "envssot_critical_only=true",
        "-o",
        "envssot_env_file=smoke.env",
        "--collect-only",
        "-q",
    )
    assert sorted(line for line in result.outlines if "::smoke-" in line) == [
        IDS["postgres"],
        IDS["s3"],
    ]


def test_an_unreadable_settings_file_fails_rather_than_checking_nothing(
    pytester: pytest.Pytester,
) -> None:
    _repo(pytester, {})
    with open(pytester.path / CONFIG, "a", encoding="utf-8") as handle:
        handle.write("\ndef broken(:\n")
    result = pytester.runpytest("--envssot-smoke", "-rf")
    result.assert_outcomes(failed=1)
    assert f"FAILED {CONFIG}::layer-parses" in result.stdout.str()
