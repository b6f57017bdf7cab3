"""No secret value is printed: a canary planted in every layer must appear in no output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.fixture
def canary_repo(sample_pytester: pytest.Pytester, edit: object) -> pytest.Pytester:
    """The sample with a canary in a settings default, a DSN password, an example value and a
    template fallback, each placed so that a rule fails right next to it."""
    root = sample_pytester.path
    do = edit  # type: ignore[assignment]
    # A secret default on a field .env.example does not document: field-documented shows defaults.
    do(root, CONFIG, "    # Auth\n", f'    # Auth\n    api_token: str = "{CANARY}"\n')  # type: ignore[operator]
    # A DSN default with a password, undocumented.
    do(
        root,
        CONFIG,
        "postgresql+asyncpg://postgres:postgres@localhost",
        f"postgresql://app:{DSN_CANARY}@db",
    )  # type: ignore[operator]
    do(
        root,
        ENV,
        "# [VAULT] PostgreSQL connection string\nDATABASE_URL=postgresql+asyncpg://postgres:postgres@localhost:5432/finance_report\n",
        "",
    )  # type: ignore[operator]
    # The canary as an example value, duplicated so unique-env-name fails on that very line.
    do(root, ENV, "S3_SECRET_KEY=changeme\n", f"S3_SECRET_KEY={CANARY}\nS3_SECRET_KEY={CANARY}\n")  # type: ignore[operator]
    # A template fallback on a var no field reads.
    tmpl = root / APP_TMPL
    tmpl.write_text(
        tmpl.read_text().replace(
            "\n{{ end }}\n",
            f'\nWEBHOOK_TOKEN={{{{ with .Data.data.WEBHOOK_TOKEN }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}"{FALLBACK_CANARY}"{{{{ end }}}}\n'
            # Raw, under another key: template-quoting and template-key-matches-var fail here.
            f'HOOK_TOKEN={{{{ with .Data.data.HOOK }}}}{{{{ . }}}}{{{{ else }}}}"{FALLBACK_CANARY}"{{{{ end }}}}\n{{{{ end }}}}\n',
        )
    )
    # Hygiene rules: a token in .env.example (no-secret-in-example), the root token in the
    # example and as a settings default (infra-var-not-in-app, no-secret-default), a tracked
    # .env (env-file-ignored: git is asked, the file is never read).
    do(root, ENV, "OPENROUTER_API_KEY=\n", f"OPENROUTER_API_KEY={TOKEN_CANARY}\n")  # type: ignore[operator]
    do(root, ENV, "BASE_CURRENCY=SGD\n", f"BASE_CURRENCY=SGD\nVAULT_ROOT_TOKEN={ROOT_CANARY}\n")  # type: ignore[operator]
    do(root, CONFIG, "    # Auth\n", f'    # Auth\n    vault_root_token: str = "{ROOT_CANARY}"\n')  # type: ignore[operator]
    (root / ".env").write_text(f"SECRET_KEY={ENVFILE_CANARY}\nOPENROUTER_API_KEY={TOKEN_CANARY}\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "add", "-f", ".env"], cwd=root, check=True)
    return sample_pytester


CANARIES = (CANARY, DSN_CANARY, FALLBACK_CANARY, TOKEN_CANARY, ROOT_CANARY, ENVFILE_CANARY)
HYGIENE_FAILURES = (
    "no-secret-in-example[OPENROUTER_API_KEY]",
    "no-secret-in-example[VAULT_ROOT_TOKEN]",
    "no-secret-default[API_TOKEN]",
    "no-secret-default[VAULT_ROOT_TOKEN]",
    "infra-var-not-in-app[VAULT_ROOT_TOKEN]",
    "template-quoting[HOOK_TOKEN]",
    "template-key-matches-var[HOOK_TOKEN]",
    "env-file-ignored[.env]",
)


def _assert_clean(text: str) -> None:
    for canary in (*CANARIES, "CANARY"):
        assert canary not in text


@pytest.mark.parametrize("tb", ["long", "short", "native", "line", "auto"])
def test_pytest_output_never_shows_a_canary(canary_repo: pytest.Pytester, tb: str) -> None:
    result = canary_repo.runpytest_subprocess(
        "--envssot", "-vv", "-l", f"--tb={tb}", "-rA", "--junitxml=report.xml"
    )
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 1
    assert "field-documented[API_TOKEN]" in out and "field-documented[DATABASE_URL]" in out
    assert (
        "unique-env-name[S3_SECRET_KEY]" in out and "template-var-has-field[WEBHOOK_TOKEN]" in out
    )
    assert "postgresql://app:***" in out
    for item in HYGIENE_FAILURES:
        assert item in out
    _assert_clean(out)
    _assert_clean((canary_repo.path / "report.xml").read_text())


@pytest.mark.parametrize(
    "args",
    [["check"], ["check", "--format", "json"], ["check", "--format", "sarif"], ["check", "--diff"],
     ["check", "-v"], ["vars"], ["vars", "--format", "json"]],
)  # fmt: skip
def test_cli_output_never_shows_a_canary(canary_repo: pytest.Pytester, args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_envssot.cli", *args, str(canary_repo.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == (1 if args[0] == "check" else 0), proc.stderr
    assert proc.stdout.strip()
    _assert_clean(proc.stdout + proc.stderr)
    if "json" in args:
        json.loads(proc.stdout)
    if args in (["check"], ["check", "--format", "json"]):
        for item in HYGIENE_FAILURES:
            rule, variable = item[:-1].split("[", 1)
            assert rule in proc.stdout and variable in proc.stdout


def test_the_canary_repo_really_holds_the_canaries(canary_repo: pytest.Pytester) -> None:
    """Guard against a vacuous pass: the planted values are there to leak."""
    files = [p for p in Path(canary_repo.path).rglob("*") if p.is_file() and ".git" not in p.parts]
    text = "".join(p.read_text() for p in files)
    for canary in CANARIES:
        assert canary in text


HYPOTHESIS_CANARY = "CANARYhypoQq4Ww9"


def test_hypothesis_breaking_value_of_a_secret_is_never_shown_or_stored(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The only value the declared domain allows is the canary, and it breaks the round trip
    (python-dotenv expands its ${A}): hypothesis' falsifying example must appear nowhere."""
    from pytest_envssot.rules.types_roundtrip import _example

    monkeypatch.delenv("CI", raising=False)  # hypothesis keeps a database outside CI
    # The regex spells the canary with classes, so the config itself does not contain it.
    spelled = "".join(f"[{ch}]" for ch in HYPOTHESIS_CANARY)
    domain = f'[tool.envssot.domains]\nAPI_SECRET = "regex:{spelled}[$][{{]A[}}]"\n'
    for rel, text in _example("SecretStr", 'SecretStr("")', "API_SECRET", domain).items():
        path = pytester.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # An explicit example database in the repo, so "stored nowhere" is checked, not assumed.
    pytester.makeconftest(
        "from hypothesis import settings\n"
        "from hypothesis.database import DirectoryBasedExampleDatabase\n"
        "settings.register_profile('db', database=DirectoryBasedExampleDatabase('hypodb'))\n"
        "settings.load_profile('db')\n"
    )
    result = pytester.runpytest_subprocess(
        "--envssot", "-vv", "-l", "--tb=long", "-rA", "--junitxml=report.xml",
        "-k", "template-roundtrip",
    )  # fmt: skip
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 1 and "template-roundtrip[API_SECRET]" in out
    assert "python-dotenv expands ${...}" in out
    assert HYPOTHESIS_CANARY not in out
    written = b"".join(p.read_bytes() for p in pytester.path.rglob("*") if p.is_file())
    assert HYPOTHESIS_CANARY.encode() not in written
    # Hypothesis' database encodes draws, so grep alone proves little: nothing is stored at all.
    assert not [p for p in (pytester.path / "hypodb").rglob("*") if p.is_file()]
