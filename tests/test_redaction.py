"""No secret value is printed: a canary planted in every layer must appear in no output."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_envssot.redact import Redactor, has_url_password, is_secret_name, mask, show

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


def test_a_redactor_of_25000_values_finds_each() -> None:
    """The values of a 50,000-var render: the first and the last are both masked."""
    values = [f"value-{i:05d}-secret" for i in range(25_000)]
    redactor = Redactor(values)
    text = redactor.scrub(f"x {values[0]} y {values[-1]} z")
    assert values[0] not in text and values[-1] not in text and text.startswith("x ***")
