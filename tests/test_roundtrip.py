"""template-roundtrip finds the known breakages within the default budget, and only those."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_envssot.engine import check
from pytest_envssot.findings import Finding, Outcome

CONFIG = "apps/backend/src/config.py"
PYPROJECT = "pyproject.toml"
Edit = Callable[[Path, str, str, str], None]


def _roundtrip(root: Path, name: str, **overrides: object) -> Finding:
    found = [
        f
        for f in check(root, overrides, only=["template-roundtrip"]).findings
        if f.variable == name
    ]
    assert len(found) == 1, found
    return found[0]


def _undeclare(root: Path, edit: Edit, line: str) -> None:
    edit(root, PYPROJECT, line + "\n", "")


ANY = '[tool.envssot.domains]\nNAME = "any"\n'  # every string, NUL too: only when declared


def _mini(tmp_path: Path, ann: str = "str", extra: str = "") -> Path:
    """One template var NAME read by one field: quick to fuzz."""
    from pytest_envssot.rules.types_roundtrip import _example

    root = tmp_path / "mini"
    for rel, text in _example(ann, '""', "NAME", extra).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")  # derandomized: the same value every run


def test_str_var_breaks_under_pydantic_settings(sample_repo: Path, edit: Edit) -> None:
    edit(
        sample_repo,
        PYPROJECT,
        'OTEL_EXPORTER_OTLP_ENDPOINT = "url"',
        'OTEL_EXPORTER_OTLP_ENDPOINT = "any"',
    )
    finding = _roundtrip(sample_repo, "OTEL_EXPORTER_OTLP_ENDPOINT")
    assert finding.outcome is Outcome.FAILED
    text = finding.render()
    assert "pydantic-settings" in text and "smallest breaking value" in text
    assert "Go escapes" in text
    assert "[tool.envssot.domains] OTEL_EXPORTER_OTLP_ENDPOINT" in text


def test_undeclared_str_var_is_drawn_from_what_it_realistically_holds(
    sample_repo: Path, edit: Edit
) -> None:
    # Documented as a URL: one ASCII word; no control character, no NUL (issue 13 class 4).
    _undeclare(sample_repo, edit, 'OTEL_EXPORTER_OTLP_ENDPOINT = "url"')
    assert _roundtrip(sample_repo, "OTEL_EXPORTER_OTLP_ENDPOINT").outcome is Outcome.PASSED


def test_both_pydantic_settings_breakages_are_reported(tmp_path: Path) -> None:
    # Whatever hypothesis draws, the known hazards are probed first: the variable names the
    # escapes, the template (once) names python-dotenv's ${...} expansion.
    root = _mini(tmp_path, extra=ANY)
    text = _roundtrip(root, "NAME").render()
    assert "Go escapes" in text and "${" not in text
    consumer = _roundtrip(root, "consumer:pydantic-settings")
    assert consumer.outcome is Outcome.FAILED and "NAME" in consumer.render()


def test_escape_breakage_names_esc_or_nbsp(tmp_path: Path) -> None:
    # A domain without '$' leaves only escapes to break it: ESC and NBSP, which %q writes as
    # \x1b and \u00a0 and python-dotenv leaves as text.
    domain = '[tool.envssot.domains]\nNAME = "regex:[a-z\\\\x1b\\\\xa0]{1,5}"\n'
    finding = _roundtrip(_mini(tmp_path, extra=domain), "NAME")
    assert finding.outcome is Outcome.FAILED
    assert "Go escapes" in finding.render()
    assert "'\\x1b'" in finding.render() or "'\\xa0'" in finding.render()


def test_docker_env_file_keeps_the_quotes(tmp_path: Path) -> None:
    root = _mini(
        tmp_path, extra='consumer = "docker-env-file"\n[tool.envssot.domains]\nNAME = "alnum"\n'
    )
    finding = _roundtrip(root, "NAME")
    assert finding.outcome is Outcome.FAILED
    assert "docker --env-file takes the text after '=' verbatim" in finding.render()


def test_posix_shell_names_expansions(tmp_path: Path) -> None:
    # Printable ASCII (no control characters to escape): what breaks is what sh expands or runs.
    extra = 'consumer = "posix-shell"\n[tool.envssot.domains]\nNAME = "ascii_printable"\n'
    text = _roundtrip(_mini(tmp_path, extra=extra), "NAME").render()
    assert "POSIX shell" in text
    assert any(word in text for word in ("expands", "executes", "backquote")), text


def test_typed_ascii_safe_vars_pass(sample_repo: Path, edit: Edit) -> None:
    tmpl = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
    extra = "".join(
        f'{name}={{{{ with .Data.data.{name} }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}""{{{{ end }}}}\n'
        for name in ("WORKERS", "FEATURE_ON", "WEBHOOK_URL")
    )
    edit(sample_repo, tmpl, "\n{{ end }}\n", "\n" + extra + "{{ end }}\n")
    edit(
        sample_repo, CONFIG, "    # Observability (optional but recommended)\n",
        '    workers: int = Field(default=2, ge=1, le=64)\n    feature_on: bool = False\n'
        "    webhook_url: AnyHttpUrl | None = None\n\n    # Observability (optional but recommended)\n",
    )  # fmt: skip
    edit(
        sample_repo,
        CONFIG,
        "from pydantic import Field,",
        "from pydantic import AnyHttpUrl, Field,",
    )
    for name in ("WORKERS", "FEATURE_ON", "WEBHOOK_URL", "DATABASE_URL"):
        assert _roundtrip(sample_repo, name).outcome is Outcome.PASSED, name


def test_secret_breaking_value_is_redacted(sample_repo: Path, edit: Edit) -> None:
    edit(
        sample_repo,
        PYPROJECT,
        'default_secret_domain = "token_urlsafe"\n',
        'default_secret_domain = "any"\n',
    )
    finding = _roundtrip(sample_repo, "SECRET_KEY")
    assert finding.outcome is Outcome.FAILED
    line = next(x for x in finding.lines if x.startswith("smallest breaking value"))
    assert line.split(": ", 1)[1].startswith("***")


def test_unresolvable_type_is_skipped_with_the_reason(sample_repo: Path, edit: Edit) -> None:
    edit(sample_repo, CONFIG, "    s3_bucket: str = Field(", "    s3_bucket: BucketName = Field(")
    edit(
        sample_repo,
        CONFIG,
        "from functools import lru_cache\n",
        "from functools import lru_cache\n\nfrom mylib.types import BucketName\n",
    )
    finding = _roundtrip(sample_repo, "S3_BUCKET")
    assert finding.outcome is Outcome.SKIPPED
    assert "BucketName is imported from mylib.types" in finding.render()


def test_failing_examples_land_in_the_hypothesis_database(
    sample_repo: Path, edit: Edit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hypothesis import settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    monkeypatch.delenv("CI")
    db = tmp_path / "db"
    settings.register_profile("envssot-test-db", database=DirectoryBasedExampleDatabase(db))
    previous = settings._current_profile
    settings.load_profile("envssot-test-db")
    try:
        # A domain no known hazard belongs to (and no ${...}, which is the template's own
        # consumer-level item): hypothesis has to find the breaking control character itself.
        edit(
            sample_repo,
            PYPROJECT,
            'OTEL_SERVICE_NAME = "regex:[a-z][a-z0-9-]{0,62}"',
            'OTEL_SERVICE_NAME = "regex:[a-z]{1,3}[\\\\x1c]"',
        )
        assert _roundtrip(sample_repo, "OTEL_SERVICE_NAME").outcome is Outcome.FAILED
    finally:
        settings.load_profile(previous or "default")
    assert any(p.is_file() for p in db.rglob("*"))


def test_hypothesis_prints_nothing_of_its_own(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = _mini(tmp_path, ann="SecretStr", extra=ANY)
    finding = _roundtrip(root, "NAME")
    assert finding.outcome is Outcome.FAILED
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no "Falsifying example", no reproduce blob


def _shared(tmp_path: Path, consumers: str = "") -> Path:
    """Two str vars of one shape in one template, and a third rendered under another consumer."""
    from pytest_envssot.rules.base import mini_repo, tmpl_line

    config = "".join(
        f'    {n.lower()}: str = Field(default="", validation_alias="{n}")\n'
        for n in ("NAME_A", "NAME_B", "NAME_C")
    )
    files = mini_repo(
        "class Settings(BaseSettings):\n" + config,
        "".join(f"# [VAULT]\n{n}=\n" for n in ("NAME_A", "NAME_B", "NAME_C")),
        tmpl_line("NAME_A") + tmpl_line("NAME_B"),
        extra={
            "deploy/docker/secrets.ctmpl": '{{ with secret "secret/data/demo/docker" }}\n'
            + tmpl_line("NAME_C")
            + "{{ end }}\n"
        },
    )
    files["pyproject.toml"] += (
        '[tool.envssot]\nconsumer = { "deploy/docker/*" = "docker-env-file", '
        '"**" = "pydantic-settings" }\n[tool.envssot.domains]\n'
        'NAME_A = "alnum"\nNAME_B = "alnum"\nNAME_C = "alnum"\n'
    )
    root = tmp_path / "shared"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_a_shared_search_still_reports_each_var_with_its_own_consumer_and_fix(
    tmp_path: Path,
) -> None:
    # NAME_A and NAME_B share one search (same type, domain, consumer, line shape); NAME_C's
    # consumer differs. alnum values pass under pydantic-settings, and break under docker.
    root = _shared(tmp_path)
    findings = {f.variable: f for f in check(root, only=["template-roundtrip"]).findings}
    assert findings["NAME_A"].outcome is findings["NAME_B"].outcome is Outcome.PASSED
    docker = findings["NAME_C"]
    assert docker.outcome is Outcome.FAILED
    text = docker.render()
    assert "docker --env-file takes the text after '=' verbatim" in text
    assert "NAME_C={{ with .Data.data.NAME_C }}{{ . }}{{ end }}" in text


def test_shared_failures_name_their_own_variable(tmp_path: Path) -> None:
    root = _shared(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'NAME_A = "alnum"\nNAME_B = "alnum"\n', 'NAME_A = "any"\nNAME_B = "any"\n'
        )
    )
    findings = {f.variable: f for f in check(root, only=["template-roundtrip"]).findings}
    for name, other in (("NAME_A", "NAME_B"), ("NAME_B", "NAME_A")):
        text = findings[name].render()
        assert findings[name].outcome is Outcome.FAILED
        assert f"[tool.envssot.domains] {name} = " in text and other not in text
        assert "rendered by Vault Agent and read back by pydantic-settings" in text
