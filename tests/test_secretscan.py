"""The secret scanner on real token shapes, real placeholders and the seed's own values.

Every token below is fabricated for this file: right shape, random body, valid nowhere.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from pytest_envssot import secretscan
from pytest_envssot.config import ConfigError, load_config
from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome
from pytest_envssot.readers.example import read_example
from pytest_envssot.redact import DEFAULT_SECRET_NAMES, Redactor
from pytest_envssot.secretscan import (
    BASE64_CHARSET,
    HEX_CHARSET,
    allowance,
    hex_entropy,
    is_loopback,
    scan,
    shannon_entropy,
)

TOKENS = {
    "openai": "sk-proj-" + "T3BlbkFJq8Zr2Lx9Vw4Ny7Mb1Kc6Hd0Gf5Js3Ap8Qe2Ru7Wt4Yz9",
    "openrouter": "sk-or-v1-" + "3f9a1c7e5b2d8046a9e1f3c7b5d2e8a04c6f9b1d3e7a5c2f8b0d4e6a1c3f5b7d",
    "anthropic": "sk-ant-api03-" + "Zq8Xr2Lw9Vb4Nt7Mk1Jc6Hd0Gf5Ps3Ay8Qe2Ru7Wt4Yz9Kc1Lm5Nb",
    "github": "ghp_" + "R8mXk2Lq9VwT4zYb7NcJ5pHs3FdG6aE1uQ0o",
    "github-oauth": "gho_" + "bT5nW2kR9xL4qZ7mV1cJ8pH3sF6dG0aE2uYi",
    "github-pat": "github_pat_"
    + "11ABCDE2F0q8Zr2Lx9Vw4N_y7Mb1Kc6Hd0Gf5Js3Ap8Qe2Ru7Wt4Yz9Kc1Lm5Nb8Vx3",
    "aws": "AKIA" + "J3X7Q2LMNB5VKW9P",
    "slack": "xoxb-" + "2048163957-4829103746251-Zq8Xr2Lw9Vb4Nt7Mk1Jc6Hd0",
    "vault": "hvs." + "CAESIJq8Zr2Lx9Vw4Ny7Mb1Kc6Hd0Gf5Js3Ap8Qe2Ru7",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    + "eyJzdWIiOiI0MiIsIm5hbWUiOiJkZW1vIiwiaWF0IjoxNzAwMDAwMDAwfQ."
    + "q8Zr2Lx9Vw4Ny7Mb1Kc6Hd0Gf5Js3Ap8Qe2Ru7Wt",
    "private-key": "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n",
    "rsa-key": "-----BEGIN RSA PRIVATE KEY-----",
    # secrets.token_urlsafe(64) and token_hex(32): what the seed tells people to generate
    "urlsafe-64": "Vq3ZxN8r2LwK9bT4mJ7cH1pY6sF0dG5aE3uQ8oR2iW7nX4kB9vC1zM6tS0yP3hD5jL8gA2fU7eI4wO9qR1xT6bN",
    "hex-32": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "dsn-remote": "postgresql://app:Xq7-pW2z@db.prod.internal:5432/finance",
}

NOT_REAL = [
    "",
    "   ",
    "changeme",
    "CHANGE_ME",
    "xxx",
    "<your-openrouter-key>",
    "your-api-key-here",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "ghp_" + "0" * 36,
    "sk-learn-model-registry-url-for-the-team",  # words after sk-, no digit: not a key
    "postgres",
    "minioadmin",
    "postgresql://postgres:postgres@localhost:5432/app",
    "postgresql+asyncpg://app:s3cr3t-local@127.0.0.1:5432/app",
    "redis://:devpass@[::1]:6379/0",
    "postgresql://postgres:postgres@db:5432/app",  # compose service, local default password
    "postgresql://user:<password>@db.example.com/app",  # placeholder password
    "https://example.com/docs/getting-started/configure-your-environment-variables",
    "550e8400-e29b-41d4-a716-446655440000",
]

# The seed's own .env.example values (plus the sample's): none is a secret.
SEED_VALUES = [
    "SGD",
    "google/gemini-2.0-flash-exp:free",
    "qwen/qwen-2.5-72b-instruct:free,nvidia/llama-3.1-nemotron-70b-instruct:free",
    "HS256",
    "1440",
    "2",
    "false",
    "postgresql+asyncpg://postgres:postgres@localhost:5432/finance_report",
    "http://localhost:9000",
    "finance-report-local",
    '["http://localhost:3000"]',
    "finance-report-backend",
]

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_repo"


@pytest.mark.parametrize("kind", sorted(TOKENS))
def test_real_token_shapes_and_random_strings_look_real(kind: str) -> None:
    found = scan(TOKENS[kind])
    assert found is not None, kind
    assert TOKENS[kind][8:24] not in found.reason  # the reason never quotes the value


@pytest.mark.parametrize(("name", "pattern", "needed"), secretscan._TOKEN_TABLE)
def test_each_shapes_prefilter_strings_are_the_ones_its_pattern_requires(
    name: str, pattern: str, needed: tuple[str, ...]
) -> None:
    """The table spells out what the prefilter looks for; a shape whose strings did not
    match its pattern would let a token through unmasked."""
    assert secretscan._required_literals(re.compile(pattern)) == needed, name


@pytest.mark.parametrize("value", NOT_REAL)
def test_placeholders_and_local_credentials_do_not(value: str) -> None:
    assert scan(value) is None


@pytest.mark.parametrize("value", SEED_VALUES)
def test_the_seeds_own_values_are_not_flagged(value: str) -> None:
    assert scan(value) is None


def test_false_positive_guard_on_the_sample_example_file() -> None:
    """Every value of the sample's .env.example, whatever its classification, passes."""
    example = read_example(SAMPLE / ".env.example", ".env.example")
    values = [e.value for e in example.entries if e.value]
    assert len(values) > 15
    assert [v for v in values if scan(v) is not None] == []
    report = check(SAMPLE, only=["no-secret-in-example", "no-secret-default"])
    assert report.findings and {f.outcome for f in report.findings} == {Outcome.PASSED}


def test_entropy_follows_detect_secrets_definition() -> None:
    assert shannon_entropy("0123456789abcdef", HEX_CHARSET) == pytest.approx(4.0)
    assert shannon_entropy("aaaa", BASE64_CHARSET) == 0.0
    # All-digit hex runs lose 1.2 / log2(len): numbers are rarely secrets.
    assert hex_entropy("1234567890") == pytest.approx(math.log2(10) - 1.2 / math.log2(10))
    # Characters outside the charset do not count.
    assert shannon_entropy("ab!!", HEX_CHARSET) == pytest.approx(shannon_entropy("ab!!", "ab"))


def test_url_credentials_only_for_non_local_hosts() -> None:
    remote = scan("redis://default:pw-Gx81kq@cache.prod.example.com:6379/0")
    assert remote is not None and remote.kind == "url-password"
    assert "cache.prod.example.com" in remote.reason and "pw-Gx81kq" not in remote.reason
    assert allowance("redis://default:pw-Gx81kq@localhost:6379/0") is not None
    # A token stays a token, even as the password of a local URL.
    assert scan(f"https://x:{TOKENS['github']}@localhost/") is not None
    # A token in a URL's query string is found.
    assert scan(f"https://api.example.com/v1?key={TOKENS['hex-32']}") is not None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("LOCALHOST.", True), ("app.localhost", True), ("127.0.0.1", True),
     ("127.1.2.3", True), ("[::1]", True), ("0.0.0.0", True), ("localhost.evil.com", False),
     ("db", False), ("10.0.0.5", False), (None, False)],
)  # fmt: skip
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_redactor_scrubs_token_shapes_from_any_text() -> None:
    redact = Redactor()
    for kind in ("github", "aws", "jwt", "openrouter", "vault"):
        text = f"context {TOKENS[kind]} more"
        assert TOKENS[kind] not in redact(text)
        assert redact(text).startswith("context ***")
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3\n-----END RSA PRIVATE KEY-----"
    assert "MIIEow" not in redact(f"key={key}\nnext line")
    assert "next line" in redact(f"key={key}\nnext line")


def test_redactor_with_values_adds_generated_secrets() -> None:
    base = Redactor(["first-secret-value"])
    more = base.with_values(["second-secret-value"])
    text = "first-secret-value second-secret-value"
    assert "second-secret-value" in base(text)
    assert "first-secret-value" not in more(text) and "second-secret-value" not in more(text)


def test_secret_names_extend_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.envssot]\nsecret_names = ["*_BUCKET"]\n')
    config = load_config(tmp_path)
    assert config.secret_names[: len(DEFAULT_SECRET_NAMES)] == DEFAULT_SECRET_NAMES
    assert "*_BUCKET" in config.secret_names


def test_unknown_consumer_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.envssot]\nconsumer = "bash"\n')
    with pytest.raises(ConfigError, match="consumer 'bash' is not one of pydantic-settings"):
        load_config(tmp_path)
