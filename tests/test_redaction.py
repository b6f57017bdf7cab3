"""No secret value is printed: a canary planted in every layer must appear in no output."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from pytest_envssot.engine import check
from pytest_envssot.redact import (
    Redactor,
    has_url_password,
    is_secret_name,
    looks_public,
    mask,
    show,
)

Edit = Callable[[Path, str, str, str], None]

CANARY = "CANARYx9Qz7Lw2Rk5Tp3"
DSN_CANARY = "CANARYdsnPw8Hs4Mm"
FALLBACK_CANARY = "CANARYfallbackYy6Nn1"
# Token-shaped canaries, so the hygiene rules fail right next to them.
TOKEN_CANARY = "sk-or-v1-CANARY7d3f9a1c5e8b2d4f6a0c9e7b5d3f1a8c6e4b2d0f9a7c5e3b1d8f6a4c2e0"
ROOT_CANARY = "hvs.CANARYroot4Lq9VwT4zYb7NcJ5pHs3"
ENVFILE_CANARY = "CANARYenvfileGx81kqZ"
ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"


def test_mask_keeps_a_short_hash_only() -> None:
    assert mask("hunter2hunter2") == mask("hunter2hunter2")
    assert mask("hunter2hunter2") != mask("hunter3hunter3")
    assert "hunter" not in mask("hunter2hunter2") and mask("x").startswith("***")
    assert mask("") == '""'


def test_dsn_keeps_everything_but_the_password() -> None:
    shown = show("postgresql://app:pw-S3cret@db.internal:5432/finance", secret=True)
    assert shown.startswith("postgresql://app:***") and shown.endswith("@db.internal:5432/finance")
    assert "pw-S3cret" not in shown
    assert has_url_password("redis://:tok@cache:6379/0")


@pytest.mark.parametrize(
    ("name", "secret"),
    [("S3_SECRET_KEY", True), ("OPENROUTER_API_KEY", True), ("VAULT_APP_TOKEN", True),
     ("POSTGRES_PASSWORD", True), ("SENTRY_DSN", True), ("GCP_CREDENTIALS", True),
     ("DEBUG", False), ("BASE_CURRENCY", False), ("S3_BUCKET", False)],
)  # fmt: skip
def test_secret_like_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_redactor_scrubs_known_values_longest_first() -> None:
    redactor = Redactor(["abcd1234", "abcd1234efgh5678", "xy"])
    text = redactor.scrub("a=abcd1234efgh5678 b=abcd1234 c=xy")
    assert "abcd" not in text and "c=xy" in text


# Every face over a repository seeded with canaries: tests/test_leak_canary.py.


@given(
    values=st.lists(st.text("abAB$.*", min_size=1, max_size=9), max_size=8),
    text=st.text("abAB$.* ", max_size=40),
)
def test_redactor_masks_what_the_alternation_regex_would(values: list[str], text: str) -> None:
    """The value matcher is a scan, not a regex; it replaces exactly the matches of
    ``v1|v2|...`` (longest first), overlapping and nested values included."""
    import re

    kept = sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)
    expected = (
        re.sub("|".join(map(re.escape, kept)), lambda m: mask(m.group(0)), text) if kept else text
    )
    assert Redactor(values).scrub(text) == expected


@given(
    values=st.lists(st.text("abc", min_size=4, max_size=6), min_size=1, max_size=8),
    sparse=st.text("xyz abc-", max_size=600),
    dense=st.text("abc", min_size=300, max_size=600),
)
def test_a_long_text_is_masked_as_the_regex_would_where_values_are_sparse_or_dense(
    values: list[str], sparse: str, dense: str
) -> None:
    """A report of a million characters is scanned from the candidate starts a regex finds,
    and from every position once those turn dense: the masks are those of ``v1|v2|...``."""
    import re

    kept = sorted(set(values), key=len, reverse=True)
    text = sparse + dense + sparse
    expected = re.sub("|".join(map(re.escape, kept)), lambda m: mask(m.group(0)), text)
    assert Redactor(values).scrub(text) == expected


@given(st.lists(st.sampled_from(["password", "SMTP_PASSWORD", "sslpwd", "api_key", "?token",
                                 "&sig", "key", "x", "_", " ", "=", "\n", ";", "'", "{"]),
                max_size=14))  # fmt: skip
def test_password_keys_are_found_as_the_key_regex_finds_them(words: list[str]) -> None:
    """Keys are looked for only before each '=': the same matches as searching everywhere."""
    from pytest_envssot.redact import _KV_START, _next_key

    text = "".join(words)
    for pos in range(len(text) + 1):
        want, got = _KV_START.search(text, pos), _next_key(text, pos)
        assert (want and want.span(), want and want.lastgroup) == (
            got and got.span(),
            got and got.lastgroup,
        )


def test_a_redactor_of_25000_values_finds_each() -> None:
    """The values of a 50,000-var render: the first and the last are both masked."""
    values = [f"value-{i:05d}-secret" for i in range(25_000)]
    redactor = Redactor(values)
    text = redactor.scrub(f"x {values[0]} y {values[-1]} z")
    assert values[0] not in text and values[-1] not in text and text.startswith("x ***")


# --------------------------------------------------------------------------- masks (issue 14 B7)


def test_a_guessable_value_gets_no_hash_at_all() -> None:
    for value in ("482913", "0000", "hunter", "production", "Summer2024", "aaaaaaaaaaaaaaaaaaaa"):
        assert mask(value) == "***", value
    for value in ("hunter2hunter2", "Tr0ub4dor&3xQ", "CNRYex7Qz/Lw2+Rk5Tp3Vb8Nm4Hs6Jd9Fg1Ka0Ye"):
        assert len(mask(value)) == 9 and mask(value).startswith("***"), value


def test_the_hash_is_keyed_not_a_plain_sha256_prefix() -> None:
    value = "CNRYex7Qz/Lw2+Rk5Tp3Vb8Nm4Hs6Jd9Fg1Ka0Ye"
    assert mask(value)[3:] != hashlib.sha256(value.encode()).hexdigest()[:6]
    assert mask(value) == mask(value) and mask(value) != mask(value + "x")


MASK_ONE = (
    "import sys; from pytest_envssot.redact import mask; "
    "print(mask('CNRYex7Qz/Lw2+Rk5Tp3Vb8Nm4Hs6Jd9Fg1Ka0Ye'))"
)


def _mask_in_process(home: Path, cwd: Path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
    environ.update(HOME=str(home), PYTHONPATH=str(ROOT), **env)
    out = subprocess.run(
        [sys.executable, "-c", MASK_ONE], cwd=cwd, env=environ, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_masks_stay_comparable_across_one_users_runs(tmp_path: Path) -> None:
    home, other, work = tmp_path / "home", tmp_path / "other", tmp_path / "work"
    for folder in (home, other, work):
        folder.mkdir()
    (work / "pyproject.toml").write_text("")
    first, second = _mask_in_process(home, work), _mask_in_process(home, work)
    assert first == second  # the same user, two runs
    assert _mask_in_process(other, work) != first  # another user's key
    key = home / ".cache" / "envssot" / "mask.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_size == 32
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert key.read_bytes().hex()[:6] not in first
    assert list(work.iterdir()) == [work / "pyproject.toml"]  # nothing in the project


def test_the_key_is_never_written_into_the_project(tmp_path: Path) -> None:
    """pytester points HOME at the test's repository: the key then lives in the process only."""
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("")
    masks = {_mask_in_process(repo, repo / "sub") for _ in range(2)}
    assert not (repo / ".cache").exists()
    assert len(masks) == 2 and all(m.startswith("***") for m in masks)  # per-process keys
    inside = _mask_in_process(tmp_path, repo, XDG_CACHE_HOME=str(repo / "cache"))
    assert inside.startswith("***") and not (repo / "cache").exists()


def test_an_unwritable_home_still_masks(tmp_path: Path) -> None:
    home = tmp_path / "ro"
    home.mkdir()
    home.chmod(0o500)
    try:
        assert _mask_in_process(home / "missing", tmp_path).startswith("***")
        assert _mask_in_process(Path("/proc"), tmp_path).startswith("***")
    finally:
        home.chmod(0o700)


def test_a_planted_key_file_is_not_trusted(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    folder = home / ".cache" / "envssot"
    folder.mkdir(parents=True)
    (folder / "mask.key").write_bytes(b"k" * 32)
    (folder / "mask.key").chmod(0o644)  # readable by others: whoever wrote it knows it
    planted = hmac.new(b"k" * 32, b"CNRYex7Qz/Lw2+Rk5Tp3Vb8Nm4Hs6Jd9Fg1Ka0Ye", hashlib.sha256)
    assert _mask_in_process(home, work) != "***" + planted.hexdigest()[:6]


# --------------------------------------------------------------------------- what is shown (13.9)


@pytest.mark.parametrize(
    "value",
    ["production", "900", "true", "HS256", "app:token", "X-Request-ID", "refresh", "OPENAI_GPT4O",
     "/token", '["bcrypt"]', "https://api.example.com/v1", "us-east-1", "2.0", "SGD",
     "http://localhost:3000,https://app.example.com", "google/gemini-2.0-flash-exp:free"],
)  # fmt: skip
def test_values_of_settings_that_are_no_credential_look_public(value: str) -> None:
    assert looks_public(value) and show(value, secret=False) == value


@pytest.mark.parametrize(
    "value",
    ["a8F3kQ9zL2", "Tr0ub4dor&3", "aBcDeFgHiJkL", "https://u:pw@host/x", "p@ss w0rd",
     "ghp_R8mXk2Lq9VwT4zYb7NcJ5pHs3FdG6aE1uQ0o", "https://h/x?token=abc123def",
     "12345678901234567890", "CNRYex7Qz/Lw2+Rk5Tp3Vb8Nm4Hs6Jd9Fg1Ka0Ye"],
)  # fmt: skip
def test_credential_like_values_do_not_look_public(value: str) -> None:
    assert not looks_public(value)


def test_a_secret_is_masked_whatever_it_looks_like() -> None:
    assert show("900", secret=True) == "***"
    assert show("production", secret=True) == "***"
    shown = show("host=db user=app password='two words'", secret=True)
    assert shown.startswith("host=db user=app password=***") and "two" not in shown
    assert show("ghp_R8mXk2Lq9VwT4zYb7NcJ5pHs3FdG6aE1uQ0o", secret=False).startswith("***")


# --------------------------------------------------------------------------- the scrubber


@pytest.mark.parametrize(
    ("text", "secret_part"),
    [
        ("DATABASE_URL=host=db port=5432 password='two words' dbname=x", "two words"),
        ("DATABASE_URL=host=db password=two words", "words"),
        ("host=db password=unquoted-Pw dbname=x", "unquoted-Pw"),
        ("password='it\\'s quoted' host=db", "s quoted"),
        ("Server=db;Database=x;User Id=u;Password=two words;Encrypt=true", "two words"),
        ("Server=db;PWD={a;b}}c};UID=u", "a;b}}c"),
        ("jdbc:postgresql://db/x?user=u&password=Pq8wZ&ssl=true", "Pq8wZ"),
        ("GET https://api/x?api_key=Kq7Lw2&page=2", "Kq7Lw2"),
        ("postgresql://app:p@ss/w0rd@db:5432/x and more", "ss/w0rd"),
        ("redis://:Tr0ub4dor@cache:6379/0", "Tr0ub4dor"),
        ("SMTP_PASSWORD=Tr0ub4dor&3 in a message", "Tr0ub4dor"),
    ],
)
def test_connection_strings_lose_their_password_only(text: str, secret_part: str) -> None:
    shown = Redactor()(text)
    assert secret_part not in shown and "***" in shown, shown
    head = text[: text.index(secret_part)].rsplit("=", 1)[0].rsplit(":", 1)[0]
    assert shown.startswith(head), shown  # all before the password stays


def test_the_scrubber_knows_every_spelling_of_a_value() -> None:
    value = 'Zq8"v\\X3/é+w'
    redact = Redactor([value])
    for spelled in (
        value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1], urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value),
    ):  # fmt: skip
        assert "Zq8" not in redact(f"context {spelled} more"), spelled
    encoded = Redactor([urllib.parse.quote(value, safe="")])  # written encoded, shown decoded
    assert "Zq8" not in encoded(f"x {value} y")


@given(st.text(" %+20aZé/&=?~_-.!*'()", min_size=4, max_size=16))
def test_the_scrubber_knows_the_form_encoded_spelling(value: str) -> None:
    """``quote_plus`` (a blank as '+'), as an HTML form or a query string carries it."""
    from urllib.parse import quote_plus

    from pytest_envssot.redact import spellings

    assert quote_plus(value) in spellings(value) or len(quote_plus(value)) < 4


def test_a_value_is_never_replaced_inside_a_name() -> None:
    """13.9: `Settings.***1721df_MODEL_KEY reads ***1721df_MODEL_KEY` must not happen."""
    redact = Redactor(["OPENAI", "MODEL"], names=["OPENAI_MODEL_KEY", "openai_model_key", "LLM"])
    text = "Settings.openai_model_key reads OPENAI_MODEL_KEY; LLM_PASSWORD=OPENAI (OPENAI)"
    shown = redact(text)
    assert shown.startswith("Settings.openai_model_key reads OPENAI_MODEL_KEY; LLM_PASSWORD=")
    assert "OPENAI (" not in shown and "(***)" in shown and "OPENAI" not in shown.split(";")[1]


def test_names_are_intact_and_values_hidden_end_to_end(sample_repo: Path, edit: Edit) -> None:
    """A secret's value equals part of another variable's name; the name stays readable."""
    edit(
        sample_repo,
        "apps/backend/src/config.py",
        "    # Application\n",
        '    llm_password: str = "OPENAI"\n    openai_model_key: str = "gpt-4o"\n'
        "    password_min_length: int = 8\n    # Application\n",
    )
    report = check(sample_repo)
    text = "\n".join(report.redactor.scrub(f.render()) for f in report.failed)
    assert "OPENAI_MODEL_KEY" in text and "Settings.openai_model_key" in text
    assert "OPENAI" not in text.replace("OPENAI_MODEL_KEY", "")
    assert "LLM_PASSWORD" in text and "default ***" in text
    # a number under a password-like name is no hard-coded credential
    assert "PASSWORD_MIN_LENGTH" not in {f.variable for f in report.failed if "secret" in f.rule}


@pytest.mark.parametrize(
    "text",
    [
        "POSTGRES_PASSWORD={{ with .Data.data.POSTGRES_PASSWORD }}{{ . }}{{ else }}{{ end }}",
        'DB_PASSWORD="{{ .Data.data.DB_PASSWORD }}"',
        "POSTGRES_PASSWORD=${POSTGRES_PASSWORD}",
        "PGPASSWORD=$PGPASS",
        "PASSWORD_HASHERS=bcrypt and PASSWORD_MIN_LENGTH=8",
        '[tool.envssot.domains] POSTGRES_PASSWORD = "token_urlsafe"',
        'DATABASE_URL={{ printf "postgresql://app:%s@db%s:5432/x" $pw $suffix | printf "%q" }}',
        "DATABASE_URL=postgresql://app:${DB_PASSWORD}@db:5432/x",
    ],
)
def test_where_a_password_comes_from_stays_readable(text: str) -> None:
    """A template action or a variable reference after `PASSWORD=` is no value: a suggested
    fix quoting a template line must survive the scrubber."""
    assert Redactor()(text) == text


def test_values_of_settings_that_are_no_credential_are_shown(sample_repo: Path, edit: Edit) -> None:
    """13.9: `ENVIRONMENT=***ab8e18` for production, `***bdc5d8` for 900: a value from Vault or
    under a TOKEN/KEY name is shown when it looks like no credential; a password never is."""
    edit(
        sample_repo,
        ".env.example",
        "ACCESS_TOKEN_EXPIRE_MINUTES=1440\n",
        "# [VAULT] Token lifetime\nACCESS_TOKEN_EXPIRE_MINUTES=ninety\n"
        "# [VAULT] Deployment\nENVIRONMENT=production\nTOKEN_ALGORITHM=HS999\n"
        "SMTP_PASSWORD=hunter2\n",
    )
    edit(
        sample_repo,
        "apps/backend/src/config.py",
        "    # Application\n",
        '    environment: Literal["development", "staging"] = "development"\n'
        '    token_algorithm: Literal["HS256", "RS256"] = "HS256"\n'
        "    smtp_password: int = 0\n    # Application\n",
    )
    report = check(sample_repo, only=["example-value-type"])
    text = "\n".join(report.redactor.scrub(f.render()) for f in report.failed)
    assert {f.variable for f in report.failed} == {
        "ACCESS_TOKEN_EXPIRE_MINUTES", "ENVIRONMENT", "TOKEN_ALGORITHM", "SMTP_PASSWORD",
    }  # fmt: skip
    assert "ACCESS_TOKEN_EXPIRE_MINUTES=ninety" in text and "ENVIRONMENT=production" in text
    assert "TOKEN_ALGORITHM=HS999" in text
    assert "SMTP_PASSWORD=***" in text and "hunter2" not in text  # B5: an int reads it


def test_documentation_can_mask_under_a_fixed_key() -> None:
    """Generated docs (fabricated example values) must read the same for every user."""
    from pytest_envssot.maskkey import fixed_key

    value = "CNRYex7Qz/Lw2+Rk5Tp3Vb8Nm4Hs6Jd9Fg1Ka0Ye"
    users = mask(value)
    with fixed_key(b"docs"):
        docs = mask(value)
        expected = hmac.new(b"docs", value.encode(), hashlib.sha256).hexdigest()[:6]
        assert docs == "***" + expected
    assert mask(value) == users != docs
