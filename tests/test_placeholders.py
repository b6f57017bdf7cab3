"""What counts as "not filled in" for Vault values and frontend builds."""

from __future__ import annotations

import pytest

from pytest_envssot.placeholders import placeholder_kind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("", "empty"),
        ("  \t", "whitespace only"),
        ("changeme", "a placeholder"),
        ("CHANGE_ME", "a placeholder"),
        ("TODO", "a placeholder"),
        ("xxx", "a placeholder"),
        ("<your-secret-key>", "a placeholder"),
        ("https://<api-host>/v1", "a placeholder"),
        ("https://your-domain.com", "a placeholder"),
        ("your_api_key_here", "a placeholder"),
        ("postgresql://app:${DB_PASSWORD}@db/app", "a placeholder"),
        ("https://xxx.example.com", "a placeholder"),
    ],
)
def test_placeholders_are_named_by_kind(value: str, kind: str) -> None:
    found = placeholder_kind(value)
    assert found is not None and found.startswith(kind)


@pytest.mark.parametrize(
    "value",
    [
        "https://api.report.example.com",
        "none",  # OTEL_TRACES_EXPORTER=none is a real setting
        "false",
        "0",
        "postgresql://app:Pw-Zq81xLc@db.internal:5432/finance_report",
        "Jw8c-Ql2nVt0s<R5>Yz3Kp7Hm1Bd9",  # a generated password with symbols
        "sk-or-v1-9f2c7e1b4a6d8f0e3c5b7a9d1f3e5c7b",
        "https://yourcompany.example.com",
        "boxxx-party",
    ],
)
def test_real_values_are_not_placeholders(value: str) -> None:
    assert placeholder_kind(value) is None
