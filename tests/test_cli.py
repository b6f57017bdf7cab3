"""``envssot check`` / ``envssot vars``: the same engine without pytest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sarif_schema import SARIF_2_1_0_SUBSET

from pytest_envssot.adoption import PSEUDO_RULES
from pytest_envssot.cli import main
from pytest_envssot.engine import check
from pytest_envssot.rules import ALL_RULES

ENV = ".env.example"
SEED_VARS = {
    # name: layers the sample holds it in (T template, S settings, E example, D Dockerfile)
    "DATABASE_URL": "TSE", "REDIS_URL": "TSE", "S3_ENDPOINT": "TSE", "S3_ACCESS_KEY": "TSE",
    "S3_SECRET_KEY": "TSE", "S3_BUCKET": "TSE", "OPENROUTER_API_KEY": "TSE", "SECRET_KEY": "TSE",
    "CORS_ORIGINS": "TSE", "OTEL_EXPORTER_OTLP_ENDPOINT": "TSE", "OTEL_SERVICE_NAME": "TSE",
    "OTEL_RESOURCE_ATTRIBUTES": "TSE", "DEBUG": "SE", "BASE_CURRENCY": "SE", "PRIMARY_MODEL": "SE",
    "FALLBACK_MODELS": "SE", "OPENROUTER_DAILY_LIMIT_USD": "SE", "JWT_ALGORITHM": "SE",
    "ACCESS_TOKEN_EXPIRE_MINUTES": "SE", "NEXT_PUBLIC_APP_URL": "SED", "NEXT_PUBLIC_API_URL": "ED",
    "POSTGRES_USER": "TE", "POSTGRES_PASSWORD": "TE", "POSTGRES_DB": "TE",
}  # fmt: skip
CONTRACT = (
    "layer-parses,template-var-has-field,field-documented,example-var-has-field,"
    "required-field-in-template,vault-marker,unique-env-name"
)
LAYER_KEYS = {"T": "template", "S": "settings", "E": "example", "D": "dockerfile"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_passes_on_the_sample(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(sample_repo))
    total = len(check(sample_repo).findings)
    assert code == 0 and total >= 135
    # The copy is no git work tree: env-file-ignored skips (there is nothing git could commit).
    passed = total - 1
    assert out.strip().endswith(f"{passed} passed, 0 failed, 1 skipped ({total} checks)")


def test_check_json_lists_every_check(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample_repo / ENV).write_text((sample_repo / ENV).read_text().replace("DEBUG=false\n", ""))
    code, out, _ = run(capsys, "check", str(sample_repo), "--format", "json", "--rules", CONTRACT)
    assert code == 1
    data = json.loads(out)
    assert data["version"] == 1
    assert data["summary"] == {"passed": 131, "failed": 1, "skipped": 0, "total": 132}
    assert {r["outcome"] for r in data["results"]} == {"passed", "failed"}
    assert all(
        set(r) == {"rule", "variable", "outcome", "path", "line", "message"}
        for r in data["results"]
    )
    failed = [r for r in data["results"] if r["outcome"] == "failed"]
    assert [(r["rule"], r["variable"], r["path"]) for r in failed] == [
        ("field-documented", "DEBUG", ENV)
    ]
    assert "DEBUG=false" in failed[0]["message"]


def test_check_json_is_what_json_dumps_writes(sample_repo: Path) -> None:
    """The hand-written JSON layout is json.dumps(indent=2, ensure_ascii=False) byte for byte,
    for awkward text too (quotes, controls, line separators, lone surrogates, emoji)."""
    from dataclasses import replace

    from pytest_envssot.findings import Finding, Outcome
    from pytest_envssot.model import Location
    from pytest_envssot.output import render_json

    report = check(sample_repo)
    odd = Finding(
        'r"\\\x00\u2028', "V\ud800\t", Outcome.FAILED, Location("p/\u00e9\x7f", 3),
        lines=("m\x1b\n\"é\U0001f600",),
    )  # fmt: skip
    for findings in (report.findings, (*report.findings, odd), ()):
        shown = replace(report, findings=findings)
        payload = {
            "version": 1,
            "results": [
                {
                    "rule": f.rule,
                    "variable": f.variable,
                    "outcome": f.outcome.value,
                    "path": f.location.path,
                    "line": f.location.line,
                    "message": shown.redactor.scrub(f.message),
                }
                for f in findings
            ],
            # adoption's counts appear only when they are not zero (the shape stays as it was)
            "summary": {
                k: v
                for k, v in shown.summary().items()
                if v or k in ("passed", "failed", "skipped", "total")
            },
        }
        assert render_json(shown) == json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def test_check_sarif_is_2_1_0(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        (sample_repo / ENV)
        .read_text()
        .replace("BASE_CURRENCY=SGD\n", "BASE_CURRENCY=SGD\nLEGACY=1\n")
    )
    (sample_repo / ENV).write_text(text)
    code, out, _ = run(capsys, "check", str(sample_repo), "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    run0 = log["runs"][0]
    rules = run0["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.name for r in ALL_RULES] + list(PSEUDO_RULES)
    (result,) = run0["results"]
    assert result["ruleId"] == "example-var-has-field"
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == ENV
    line = text.splitlines().index("LEGACY=1") + 1
    assert physical["region"]["startLine"] == line
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(log, SARIF_2_1_0_SUBSET, format_checker=jsonschema.FormatChecker())
    broken = json.loads(out)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SARIF_2_1_0_SUBSET)


def test_diff_applies_with_git_and_fixes_the_drift(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    env = sample_repo / ENV
    text = env.read_text()
    for line in ("# Token lifetime in minutes (24 hours)\n", "ACCESS_TOKEN_EXPIRE_MINUTES=1440\n",
                 "# Base accounting currency\n", "BASE_CURRENCY=SGD\n"):  # fmt: skip
        text = text.replace(line, "")
    env.write_text(text)
    code, diff, _ = run(capsys, "check", str(sample_repo), "--diff")
    assert code == 1
    assert "+# Token lifetime in minutes" in diff and "+ACCESS_TOKEN_EXPIRE_MINUTES=1440" in diff
    assert "+# Base accounting currency" in diff and "+BASE_CURRENCY=SGD" in diff
    (sample_repo / "fix.patch").write_text(diff)
    subprocess.run(["git", "apply", "fix.patch"], cwd=sample_repo, check=True)
    (sample_repo / "fix.patch").unlink()
    assert run(capsys, "check", str(sample_repo))[0] == 0


def test_diff_lists_field_stubs_for_orphans(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = sample_repo / ENV
    env.write_text(env.read_text() + "# Old\nLEGACY_MODE=1\n")
    _, diff, notes = run(capsys, "check", str(sample_repo), "--diff")
    # on stderr: stdout holds the patch alone (here none), for `> p && git apply p`
    assert 'legacy_mode: str = Field(default="", validation_alias="LEGACY_MODE")' in notes
    assert diff == ""


def test_vars_json_lists_every_seed_variable(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "vars", str(sample_repo), "--format", "json")
    assert code == 0
    rows = {v["name"]: v for v in json.loads(out)["variables"]}
    assert set(rows) == set(SEED_VARS)
    for name, layers in SEED_VARS.items():
        held = {key for key, layer in LAYER_KEYS.items() if rows[name]["layers"][layer]}
        assert held == set(layers), name
        for places in rows[name]["layers"].values():
            for place in places:
                assert isinstance(place["line"], int) and place["line"] > 0
    assert rows["SECRET_KEY"]["secret"] and not rows["DEBUG"]["secret"]


def test_vars_text(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "vars", str(sample_repo))
    assert code == 0
    assert "24 variables" in out
    assert any(
        line.startswith("NEXT_PUBLIC_APP_URL") and "apps/frontend/Dockerfile:" in line
        for line in out.splitlines()
    )


def test_usage_and_config_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "nope"))
    assert code == 2 and "not a directory" in err
    (tmp_path / "pyproject.toml").write_text("[tool.envssot]\nsettings = 3\n")
    code, _, err = run(capsys, "check", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "settings must be a list of strings" in err
    (tmp_path / "pyproject.toml").write_text("[tool.envssot\n")
    code, _, err = run(capsys, "check", str(tmp_path))
    assert code == 2 and "pyproject.toml:1: invalid TOML: Expected ']'" in err


def test_configured_template_that_does_not_exist_is_an_error(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = sample_repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'templates = ["deploy/secrets.ctmpl"]\n')
    code, out, _ = run(capsys, "check", str(sample_repo), "--format", "json")
    assert code == 1
    failed = [r for r in json.loads(out)["results"] if r["outcome"] == "failed"]
    assert ("layer-parses", "deploy/secrets.ctmpl") in {(r["rule"], r["path"]) for r in failed}
    assert "does not exist" in next(r["message"] for r in failed if r["rule"] == "layer-parses")


def test_console_script_runs(sample_repo: Path) -> None:
    exe = shutil.which("envssot") or [sys.executable, "-m", "pytest_envssot.cli"]
    cmd = [exe] if isinstance(exe, str) else exe
    proc = subprocess.run(
        [*cmd, "check", str(sample_repo)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed, 0 failed" in proc.stdout
