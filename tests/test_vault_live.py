"""``pytest --envssot-vault ENV`` end to end: real hvac against a loopback Vault (fake_vault.py)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import failed_ids
from fake_vault import FakeVault, running

from pytest_envssot.model import Location, SecretBlock
from pytest_envssot.vault.live import VaultRefused, secret_path, target_from

pytest.importorskip("hvac")

APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
PG_TMPL = "repo/finance_report/finance_report/01.postgres/secrets.ctmpl"
APP = "secret/data/finance_report/production/app"
PG = "secret/data/finance_report/production/postgres"
APP_TOKEN = "hvs.CAESIappTokenQx7Lw2Rk9Vz"
ROOT_TOKEN = "hvs.CAESIrootTokenMn4Hs8Tq1Yb"
# Every value is distinctive so that a leak anywhere in the output is found.
APP_VALUES = {
    "DATABASE_URL": "postgresql://app:Pw-dsn-Zq81xLc@db.internal:5432/finance_report",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "S3_ENDPOINT": "https://s3.internal.example",
    "S3_ACCESS_KEY": "AKIAQ7VLTRWZ2EXAMPL3",
    "S3_SECRET_KEY": "wJalrXUtnFEMIK7MDENGbPxRfiCYs3cretKey0Q1",
    "S3_BUCKET": "finance-report-production",
    "OPENROUTER_API_KEY": "sk-or-v1-9f2c7e1b4a6d8f0e3c5b7a9d1f3e5c7b",
    "SECRET_KEY": "Jw8c-Ql2nVt0sXr5Yz3Kp7Hm1Bd9Fg4Lq6Ts2Wv8Nx0Ce",
    "CORS_ORIGINS": '["https://report.example.com"]',
    "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.internal:4318",
    "OTEL_SERVICE_NAME": "finance-report-backend",
    "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=production",
}
PG_VALUES = {
    "POSTGRES_USER": "finance_app",
    "POSTGRES_PASSWORD": "Pg-pass-Hq27vNwK3s",
    "POSTGRES_DB": "finance_report",
}
SAMPLE_ITEMS = 2 + len(APP_VALUES) + len(PG_VALUES)  # two paths readable + one item per key
VAULT_ENV = ("VAULT_ROOT_TOKEN", "VAULT_TOKEN", "VAULT_APP_TOKEN", "VAULT_NAMESPACE", "VAULT_ADDR")


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVault]:
    """A loopback Vault holding the sample's production secrets; VAULT_ADDR/VAULT_APP_TOKEN set."""
    fake = FakeVault(tokens={APP_TOKEN: ["default", "finance-report-app"], ROOT_TOKEN: ["root"]})
    fake.put(APP, **APP_VALUES)
    fake.put(PG, **PG_VALUES)
    with running(fake):
        for name in VAULT_ENV:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("VAULT_ADDR", fake.addr)
        monkeypatch.setenv("VAULT_APP_TOKEN", APP_TOKEN)
        yield fake


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--envssot-vault", "production", "-rfs", "-p", "no:cacheprovider", *args
    )


def test_every_key_present_passes(sample_pytester: pytest.Pytester, vault: FakeVault) -> None:
    result = _run(sample_pytester, "-v")
    result.assert_outcomes(passed=SAMPLE_ITEMS)
    out = result.stdout.str()
    for item in (
        f"{APP_TMPL}::vault-path-readable[app] PASSED",
        f"{APP_TMPL}::vault-key-present[DATABASE_URL] PASSED",
        f"{PG_TMPL}::vault-key-present[POSTGRES_PASSWORD] PASSED",
    ):
        assert item in out
    # The contract items are not collected unless --envssot asks for them too.
    assert "template-var-has-field" not in out
    # Every request carried the token; the app token was checked for the root policy first.
    assert all(had_token for _, had_token in vault.requests)
    assert vault.requests[0][0] == "auth/token/lookup-self"
    assert {APP, PG} <= {path for path, _ in vault.requests}


def test_an_empty_and_a_missing_key_fail_by_name(
    sample_pytester: pytest.Pytester, vault: FakeVault
) -> None:
    vault.secrets[APP] = {**APP_VALUES, "DATABASE_URL": ""}
    del vault.secrets[APP]["S3_BUCKET"]
    result = _run(sample_pytester)
    assert failed_ids(result) == [
        f"{APP_TMPL}::vault-key-present[DATABASE_URL]",
        f"{APP_TMPL}::vault-key-present[S3_BUCKET]",
    ]
    out = result.stdout.str()
    assert "In Vault, DATABASE_URL is empty" in out
    assert "In Vault, S3_BUCKET is missing" in out
    assert f"{vault.addr}/v1/{APP} (ENV=production)" in out
    assert f"vault kv patch {APP} S3_BUCKET=..." in out


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("   ", "is whitespace only"),
        ("changeme", "is a placeholder"),
        ("<your-secret-key>", "is a placeholder"),
        (None, "is null"),
        (65, "holds a JSON int, not a string"),
    ],
)
def test_a_placeholder_or_non_string_value_fails(
    sample_pytester: pytest.Pytester, vault: FakeVault, value: object, says: str
) -> None:
    vault.secrets[APP] = {**APP_VALUES, "SECRET_KEY": value}
    result = _run(sample_pytester)
    assert failed_ids(result) == [f"{APP_TMPL}::vault-key-present[SECRET_KEY]"]
    assert f"In Vault, SECRET_KEY {says}" in result.stdout.str()


def test_a_key_no_template_reads_is_an_orphan(
    sample_pytester: pytest.Pytester, vault: FakeVault
) -> None:
    vault.secrets[APP] = {**APP_VALUES, "LEGACY_API_TOKEN": "tok-orphan-Rz51Ka"}
    result = _run(sample_pytester)
    assert failed_ids(result) == [f"{APP_TMPL}::vault-key-orphan[LEGACY_API_TOKEN]"]
    assert "Vault holds LEGACY_API_TOKEN at" in result.stdout.str()
    assert "no template line reads it" in result.stdout.str()
    result.assert_outcomes(passed=SAMPLE_ITEMS, failed=1)


def test_another_environment_reads_its_own_path(
    sample_pytester: pytest.Pytester, vault: FakeVault
) -> None:
    result = sample_pytester.runpytest("--envssot-vault", "pr-47", "-rf")
    app = "secret/data/finance_report/pr-47/app"
    assert f"{APP_TMPL}::vault-path-readable[app]" in failed_ids(result)
    out = result.stdout.str()
    assert f"GET {vault.addr}/v1/{app}: 404, no secret at this path" in out
    assert "Vault has nothing for environment 'pr-47'" in out
    result.assert_outcomes(failed=SAMPLE_ITEMS)
    assert "Traceback" not in out


ROOT_CASES = [
    pytest.param({"VAULT_ROOT_TOKEN": ROOT_TOKEN}, "VAULT_ROOT_TOKEN is set", id="root-in-env"),
    pytest.param(
        {"VAULT_APP_TOKEN": ROOT_TOKEN}, "VAULT_APP_TOKEN is a root token", id="app-is-root"
    ),
    pytest.param({"VAULT_TOKEN": ROOT_TOKEN}, "VAULT_TOKEN is a root token", id="cli-is-root"),
]


@pytest.mark.parametrize(("env", "says"), ROOT_CASES)
def test_a_root_token_is_refused_before_anything_is_read(
    sample_pytester: pytest.Pytester,
    vault: FakeVault,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    says: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = _run(sample_pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*envssot: {says}*"])
    assert "collected" not in result.stdout.str()
    assert {path for path, _ in vault.requests} <= {"auth/token/lookup-self"}
    assert ROOT_TOKEN not in result.stdout.str() + result.stderr.str()


def test_a_wrong_token_fails_with_403_per_path(
    sample_pytester: pytest.Pytester, vault: FakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULT_APP_TOKEN", "hvs.revokedTokenXy12")
    result = _run(sample_pytester)
    result.assert_outcomes(failed=SAMPLE_ITEMS)
    out = result.stdout.str()
    assert f"GET {vault.addr}/v1/{APP}: 403 permission denied for VAULT_APP_TOKEN" in out
    assert "hvs.revokedTokenXy12" not in out


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_stopped_server_fails_every_item_clearly(
    sample_pytester: pytest.Pytester, vault: FakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    addr = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("VAULT_ADDR", addr)
    result = _run(sample_pytester)
    result.assert_outcomes(failed=SAMPLE_ITEMS)
    out = result.stdout.str()
    assert f"could not connect to Vault at {addr}: Connection refused" in out
    assert "Traceback" not in out and "INTERNALERROR" not in out


def test_a_server_that_never_answers_fails_within_the_timeout(
    sample_pytester: pytest.Pytester, vault: FakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        addr = f"http://127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setenv("VAULT_ADDR", addr)
        result = _run(sample_pytester, "--envssot-vault-timeout", "0.3")
    result.assert_outcomes(failed=SAMPLE_ITEMS)
    assert f"no answer from Vault at {addr} within 0.3s" in result.stdout.str()


def test_no_value_or_token_is_ever_printed(
    sample_pytester: pytest.Pytester, vault: FakeVault
) -> None:
    leaky = {**APP_VALUES, "REDIS_URL": "", "OLD_SIGNING_KEY": "Old-signing-Kq93mZt0Lp"}
    del leaky["S3_BUCKET"]
    vault.secrets[APP] = leaky
    xml = sample_pytester.path / "junit.xml"
    result = _run(sample_pytester, "-vv", "-l", "--tb=long", f"--junitxml={xml}", "-rA")
    result.assert_outcomes(passed=SAMPLE_ITEMS - 2, failed=3)
    text = result.stdout.str() + result.stderr.str() + xml.read_text()
    secrets = ("DATABASE_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY", "OPENROUTER_API_KEY", "SECRET_KEY")
    canaries = [
        *(leaky[name] for name in secrets),
        leaky["OLD_SIGNING_KEY"],  # the orphan's value
        PG_VALUES["POSTGRES_PASSWORD"],
        "Pw-dsn-Zq81xLc",  # the DSN's password on its own
        APP_TOKEN,
    ]
    for canary in canaries:
        assert canary not in text


def test_combined_with_the_contract_items(
    sample_pytester: pytest.Pytester, vault: FakeVault
) -> None:
    result = _run(sample_pytester, "--envssot", "--envssot-rules=template-var-has-field")
    result.assert_outcomes(passed=SAMPLE_ITEMS + len(APP_VALUES) + len(PG_VALUES))


def test_a_template_that_does_not_parse_fails_its_paths_item(
    sample_pytester: pytest.Pytester, vault: FakeVault
) -> None:
    tmpl = sample_pytester.path / PG_TMPL
    tmpl.write_text(tmpl.read_text().replace("{{ end }}\n", "", 1))
    result = _run(sample_pytester)
    assert failed_ids(result) == [f"{PG_TMPL}::vault-path-readable"]
    assert "nobody can tell which Vault paths it reads" in result.stdout.str()
    result.assert_outcomes(passed=1 + len(APP_VALUES), failed=1)


# --------------------------------------------------------------------------- unit level


def _block(expr: str) -> SecretBlock:
    return SecretBlock(Location("t.ctmpl", 1), expr, None, ())


@pytest.mark.parametrize(
    ("expr", "path"),
    [
        ('printf "secret/data/finance_report/%s/app" (env "ENV")', APP),
        ('(printf "secret/data/%s/%s/app" (env "PROJECT") (env "ENV"))', APP),
        ('"secret/data/finance_report/production/app"', APP),
    ],
)
def test_secret_paths_evaluate_as_vault_agent_would(expr: str, path: str) -> None:
    assert secret_path(_block(expr), "production", {"PROJECT": "finance_report"}) == path


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ('printf "secret/data/%s/app" (env "REGION")', 'reads env "REGION", which is not set'),
        ('printf "secret/data/%d/app" (env "ENV")', "printf verb %d is not evaluated"),
        ('index .Paths "app"', "only string literals, printf and env"),
    ],
)
def test_unknowable_paths_say_why(expr: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        secret_path(_block(expr), "production", {})


def test_settings_errors_are_usage_errors() -> None:
    with pytest.raises(VaultRefused, match="needs VAULT_ADDR"):
        target_from("production", {"VAULT_APP_TOKEN": "t"}, 5)
    with pytest.raises(VaultRefused, match="needs VAULT_APP_TOKEN"):
        target_from("production", {"VAULT_ADDR": "http://127.0.0.1:1"}, 5)
    with pytest.raises(VaultRefused, match="must start with http"):
        target_from("production", {"VAULT_ADDR": "127.0.0.1:8200", "VAULT_APP_TOKEN": "t"}, 5)
    with pytest.raises(VaultRefused, match="one environment"):
        target_from("prod/app", {"VAULT_ADDR": "http://x", "VAULT_APP_TOKEN": "t"}, 5)


def test_the_module_does_not_import_hvac_on_load(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, pytest_envssot.plugin, pytest_envssot.vault.live; print('hvac' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
