"""``pytest --envssot`` end to end on real copies of the sample repository."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import failed_ids

from pytest_envssot.engine import check

ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
PG_TMPL = "repo/finance_report/finance_report/01.postgres/secrets.ctmpl"
CONTRACT_RULES = (
    "layer-parses,template-var-has-field,field-documented,example-var-has-field,"
    "required-field-in-template,vault-marker,unique-env-name"
)
ONLY = f"--envssot-rules={CONTRACT_RULES}"  # keeps counts about these rules as others are added
SAMPLE_ITEMS = 135  # items of CONTRACT_RULES on the sample


def test_sample_repo_passes_every_item(sample_pytester: pytest.Pytester) -> None:
    every_rule = len(check(sample_pytester.path).findings)
    assert every_rule >= SAMPLE_ITEMS
    result = sample_pytester.runpytest("--envssot", "-p", "no:cacheprovider")
    # The copy is no git work tree: env-file-ignored skips (tests/test_rules_hygiene.py runs git).
    result.assert_outcomes(passed=every_rule - 1, skipped=1)
    only = sample_pytester.runpytest("--envssot", ONLY)
    only.assert_outcomes(passed=SAMPLE_ITEMS)


def test_without_the_flag_nothing_is_collected(sample_pytester: pytest.Pytester) -> None:
    result = sample_pytester.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "envssot" not in result.stdout.str()


def test_ini_switch_enables_it(sample_pytester: pytest.Pytester) -> None:
    sample_pytester.makefile(".ini", pytest="[pytest]\nenvssot = true\n")
    result = sample_pytester.runpytest("-q", ONLY)
    result.assert_outcomes(passed=SAMPLE_ITEMS)


BREAKS = [
    pytest.param(
        ENV, "# Token lifetime in minutes (24 hours)\nACCESS_TOKEN_EXPIRE_MINUTES=1440\n", "",
        f"{ENV}::field-documented[ACCESS_TOKEN_EXPIRE_MINUTES]",
        [f"{CONFIG}:", "Settings.access_token_expire_minutes reads ACCESS_TOKEN_EXPIRE_MINUTES",
         "(int, default 1440)", f"{ENV} has no line for it. Add:", "# Token lifetime in minutes",
         "ACCESS_TOKEN_EXPIRE_MINUTES=1440"],
        id="drop-example-line",
    ),
    pytest.param(
        APP_TMPL, "\n{{ end }}\n",
        '\nFEATURE_X={{ with .Data.data.FEATURE_X }}{{ printf "%q" . }}{{ else }}""{{ end }}\n{{ end }}\n',
        f"{APP_TMPL}::template-var-has-field[FEATURE_X]",
        ["no settings field reads FEATURE_X", "silently dropped", "default extra='forbid'", "Add a field",
         'feature_x: str = Field(default="", validation_alias="FEATURE_X")'],
        id="template-var-without-field",
    ),
    pytest.param(
        ENV, "BASE_CURRENCY=SGD\n", "BASE_CURRENCY=SGD\n# Old flag\nLEGACY_MODE=1\n",
        f"{ENV}::example-var-has-field[LEGACY_MODE]",
        ["documents LEGACY_MODE", "no settings field reads it", "external"],
        id="orphan-in-example",
    ),
    pytest.param(
        ENV, "# Never true in prod\nDEBUG=false\n", "# [VAULT] Never true in prod\nDEBUG=false\n",
        f"{ENV}::vault-marker[DEBUG]",
        ["marks DEBUG [VAULT]", "no template renders it"],
        id="vault-marker-without-template",
    ),
    pytest.param(
        ENV, "# [VAULT] Bucket name\n", "# Bucket name\n",
        f"{ENV}::vault-marker[S3_BUCKET]",
        [f"{APP_TMPL}:", "renders S3_BUCKET", "does not mark it [VAULT]", "# [VAULT] Bucket name"],
        id="template-var-without-marker",
    ),
    pytest.param(
        CONFIG, 'default="google/gemini-2.0-flash-exp:free",\n', "",
        f"{CONFIG}::required-field-in-template[PRIMARY_MODEL]",
        ["Settings.primary_model reads PRIMARY_MODEL", "required", "no template renders it",
         'PRIMARY_MODEL={{ with .Data.data.PRIMARY_MODEL }}'],
        id="field-becomes-required",
    ),
    pytest.param(
        ENV, "BASE_CURRENCY=SGD\n", "BASE_CURRENCY=SGD\nDEBUG=true\n",
        f"{ENV}::unique-env-name[DEBUG]",
        ["DEBUG is set 2 times", "Keep one line"],
        id="duplicate-example-key",
    ),
    pytest.param(
        CONFIG, "    debug: bool = Field(default=False, description=\"Never true in prod\")\n",
        "    debug: bool = Field(default=False, description=\"Never true in prod\")\n"
        '    verbose: bool = Field(default=False, validation_alias="DEBUG")\n',
        f"{CONFIG}::unique-env-name[DEBUG]",
        ["2 fields of Settings read DEBUG", "Settings.debug", "Settings.verbose"],
        id="two-fields-one-name",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "old", "new", "failing", "expected"), BREAKS)
def test_one_edit_fails_exactly_one_item(
    sample_pytester: pytest.Pytester,
    edit: object,
    rel: str,
    old: str,
    new: str,
    failing: str,
    expected: list[str],
) -> None:
    edit(sample_pytester.path, rel, old, new)  # type: ignore[operator]
    result = sample_pytester.runpytest("--envssot", "-rf")
    assert failed_ids(result) == [failing]
    out = result.stdout.str()
    for text in expected:
        assert text in out
    assert "Traceback" not in out and "plugin.py" not in out


def test_reader_error_fails_layer_parses_and_other_layers_still_run(
    sample_pytester: pytest.Pytester, edit: object
) -> None:
    edit(sample_pytester.path, APP_TMPL, "\n{{ end }}\n", "\n")  # type: ignore[operator]
    result = sample_pytester.runpytest("--envssot", "-rfs")
    assert failed_ids(result) == [f"{APP_TMPL}::layer-parses"]
    out = result.stdout.str()
    assert f"{APP_TMPL}:" in out
    # Items whose evidence lived in the broken template are skipped, not blamed.
    outcomes = result.parseoutcomes()
    assert outcomes["skipped"] > 0 and outcomes["passed"] > 100


def test_config_syntax_error_names_its_line(sample_pytester: pytest.Pytester, edit: object) -> None:
    edit(
        sample_pytester.path,
        CONFIG,
        "class Settings(BaseSettings):",
        "class Settings(BaseSettings:",
    )  # type: ignore[operator]
    result = sample_pytester.runpytest("--envssot")
    assert failed_ids(result) == [f"{CONFIG}::layer-parses"]
    assert re.search(rf"{re.escape(CONFIG)}:\d+: ", result.stdout.str())
    assert "INTERNALERROR" not in result.stdout.str()


@pytest.mark.parametrize("tb", ["auto", "long", "short", "line", "native", "no"])
def test_failure_text_has_no_traceback_under_any_tb_style(
    sample_pytester: pytest.Pytester, edit: object, tb: str
) -> None:
    edit(sample_pytester.path, ENV, "BASE_CURRENCY=SGD\n", "BASE_CURRENCY=SGD\nLEGACY_MODE=1\n")  # type: ignore[operator]
    result = sample_pytester.runpytest("--envssot", f"--tb={tb}", "-l", "-vv")
    out = result.stdout.str()
    assert result.ret == 1
    for banned in ("Traceback", "ContractFailure", "def runtest", "plugin.py", "raise "):
        assert banned not in out


def test_collect_only_lists_node_ids(sample_pytester: pytest.Pytester) -> None:
    result = sample_pytester.runpytest("--envssot", ONLY, "--collect-only", "-q")
    ids = [line for line in result.stdout.lines if "::" in line]
    assert len(ids) == SAMPLE_ITEMS
    for expected in (
        f"{ENV}::field-documented[DATABASE_URL]",
        f"{APP_TMPL}::template-var-has-field[REDIS_URL]",
        f"{PG_TMPL}::template-var-has-field[POSTGRES_PASSWORD]",
        f"{ENV}::example-var-has-field[NEXT_PUBLIC_API_URL]",
        f"{CONFIG}::required-field-in-template[SECRET_KEY]",
        f"{ENV}::vault-marker[CORS_ORIGINS]",
        f"{CONFIG}::unique-env-name[JWT_ALGORITHM]",
        f"{CONFIG}::layer-parses",
        "apps/frontend/Dockerfile::layer-parses",
    ):
        assert expected in ids


def test_k_selects_one_variable(sample_pytester: pytest.Pytester) -> None:
    result = sample_pytester.runpytest("--envssot", ONLY, "--collect-only", "-q", "-k", "REDIS_URL")
    ids = sorted(line for line in result.stdout.lines if "::" in line)
    assert ids == sorted(
        [
            f"{APP_TMPL}::template-var-has-field[REDIS_URL]",
            f"{ENV}::field-documented[REDIS_URL]",
            f"{ENV}::example-var-has-field[REDIS_URL]",
            f"{ENV}::vault-marker[REDIS_URL]",
            f"{CONFIG}::unique-env-name[REDIS_URL]",
            f"{ENV}::unique-env-name[REDIS_URL]",
        ]
    )


def test_k_selects_one_rule(sample_pytester: pytest.Pytester) -> None:
    result = sample_pytester.runpytest(
        "--envssot", "--collect-only", "-q", "-k", "field-documented"
    )
    ids = [line for line in result.stdout.lines if "::" in line]
    assert len(ids) == 20 and all("::field-documented[" in i for i in ids)


def test_node_id_argument_runs_that_item(sample_pytester: pytest.Pytester) -> None:
    result = sample_pytester.runpytest("--envssot", f"{ENV}::field-documented[REDIS_URL]")
    result.assert_outcomes(passed=1)


def test_rules_option_and_disable(sample_pytester: pytest.Pytester) -> None:
    only = sample_pytester.runpytest(
        "--envssot", "--envssot-rules=vault-marker", "--collect-only", "-q"
    )
    assert len([line for line in only.stdout.lines if "::" in line]) == 24
    sample_pytester.path.joinpath("pyproject.toml").write_text(
        '[project]\nname = "finance_report"\n[tool.envssot]\n'
        'external = ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"]\n'
        'disable = ["unique-env-name"]\n'
    )
    off = sample_pytester.runpytest("--envssot", ONLY, "--envssot-disable=vault-marker", "-q")
    off.assert_outcomes(passed=SAMPLE_ITEMS - 44 - 24)


def test_unknown_rule_is_a_usage_error(sample_pytester: pytest.Pytester) -> None:
    result = sample_pytester.runpytest("--envssot", "--envssot-rules=no-such-rule")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown rule name(s): no-such-rule" in result.stderr.str()


def test_unknown_rule_is_a_usage_error_under_xdist_too(sample_pytester: pytest.Pytester) -> None:
    # The xdist controller reads no layer file (its workers collect), but still checks the
    # configuration before any worker starts.
    pytest.importorskip("xdist")
    result = sample_pytester.runpytest_subprocess("--envssot", "--envssot-rules=nope", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown rule name(s): nope" in result.stderr.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_alongside_a_normal_test_run(sample_pytester: pytest.Pytester) -> None:
    sample_pytester.mkdir("tests")
    sample_pytester.path.joinpath("tests/test_app.py").write_text(
        "def test_ok():\n    assert True\n"
    )
    result = sample_pytester.runpytest("--envssot", ONLY, "tests/")
    result.assert_outcomes(passed=SAMPLE_ITEMS + 1)


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_junit_xml_has_one_testcase_per_item_with_its_place(
    sample_pytester: pytest.Pytester, edit: object, family: str
) -> None:
    edit(sample_pytester.path, ENV, "# Never true in prod\nDEBUG=false\n", "")  # type: ignore[operator]
    result = sample_pytester.runpytest(
        "--envssot", ONLY, "--junitxml=out.xml", "-o", f"junit_family={family}"
    )
    assert result.ret == 1
    cases = list(ET.parse(sample_pytester.path / "out.xml").getroot().iter("testcase"))
    assert len(cases) == SAMPLE_ITEMS - 3  # DEBUG's three example items are gone
    by_id = {(c.get("classname"), c.get("name")): c for c in cases}
    assert len(by_id) == len(cases)
    failed = by_id[(".env.example", "field-documented[DEBUG]")]
    failure = failed.find("failure")
    assert failure is not None
    place = re.match(r"\.env\.example:(\d+): field-documented\[DEBUG\]", failure.get("message", ""))
    assert place, failure.get("message")
    if family == "xunit1":  # the family that carries file/line attributes (0-based line)
        assert failed.get("file") == ENV
        assert int(failed.get("line", "-1")) + 1 == int(place[1])
        ok = by_id[("apps.backend.src.config", "required-field-in-template[SECRET_KEY]")]
        assert ok.get("file") == CONFIG and int(ok.get("line", "-1")) > 0


def test_xdist_collects_the_same_items_and_outcomes(
    sample_pytester: pytest.Pytester, edit: object
) -> None:
    pytest.importorskip("xdist")
    edit(sample_pytester.path, ENV, "BASE_CURRENCY=SGD\n", "BASE_CURRENCY=SGD\nLEGACY_MODE=1\n")  # type: ignore[operator]
    single = sample_pytester.runpytest_subprocess("--envssot", "-p", "no:randomly")
    multi = sample_pytester.runpytest_subprocess("--envssot", "-n", "2")
    assert single.parseoutcomes() == multi.parseoutcomes()
    assert failed_ids(multi) == failed_ids(single) == [f"{ENV}::example-var-has-field[LEGACY_MODE]"]


def test_reportinfo_points_at_the_line(sample_pytester: pytest.Pytester) -> None:
    template = (sample_pytester.path / APP_TMPL).read_text().splitlines()
    line = next(i for i, text in enumerate(template, 1) if text.startswith("S3_BUCKET="))
    recorder = sample_pytester.inline_run("--envssot", "-k", "template-var-has-field and S3_BUCKET")
    calls = [r for r in recorder.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert len(calls) == 1
    path, lineno, name = calls[0].location
    assert (path, lineno + 1 if lineno is not None else None, name) == (
        APP_TMPL,
        line,
        "template-var-has-field[S3_BUCKET]",
    )


DRIFTED_FAILURES = [
    f"{ENV}::field-documented[ACCESS_TOKEN_EXPIRE_MINUTES]",
    f"{ENV}::example-var-has-field[LEGACY_REPORTS_DIR]",
    f"{ENV}::vault-marker[S3_BUCKET]",
    f"{ENV}::vault-marker[DEBUG]",
    f"{ENV}::vault-marker[WEBHOOK_SECRET]",
    f"{ENV}::unique-env-name[BASE_CURRENCY]",
    f"{CONFIG}::required-field-in-template[WEBHOOK_SECRET]",
    f"{APP_TMPL}::template-var-has-field[FEATURE_FLAG_X]",
]


def test_drifted_repo_fails_exactly_its_drift(pytester: pytest.Pytester) -> None:
    from conftest import DRIFTED, copy_repo

    copy_repo(DRIFTED, pytester.path)
    result = pytester.runpytest("--envssot", ONLY, "-rf")
    assert failed_ids(result) == sorted(DRIFTED_FAILURES)
    result.assert_outcomes(passed=134, failed=8)


def test_root_is_the_nearest_envssot_project(pytester: pytest.Pytester) -> None:
    """Run from inside a repo that lives under another pytest rootdir (a monorepo)."""
    from conftest import SAMPLE, copy_repo

    pytester.makepyprojecttoml("[tool.pytest.ini_options]\naddopts = ''\n")
    copy_repo(SAMPLE, pytester.path / "services" / "finance")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(pytester.path / "services" / "finance")
        result = pytester.runpytest("--envssot", ONLY)
    result.assert_outcomes(passed=SAMPLE_ITEMS)
