"""``next-public-in-build`` on small, realistic ``.next/static`` trees (no npm build needed).

The chunks are written the way ``next build`` (webpack + SWC minify) leaves them: a baked
``process.env.NEXT_PUBLIC_X`` is a string literal; an unset one stays ``<polyfill>.env.X``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import failed_ids

from pytest_envssot.cli import main
from pytest_envssot.engine import check
from pytest_envssot.live.frontend import RULE, Bundle, check_build

API, APP = "NEXT_PUBLIC_API_URL", "NEXT_PUBLIC_APP_URL"
API_VALUE, APP_VALUE = "https://api.report.example.com", "https://report.example.com"
ENV = ".env.example"

FRAMEWORK = (
    '"use strict";(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[774],{4448:function'
    '(e,t,n){var r=n(7294);function l(e){for(var t="https://reactjs.org/docs/error-decoder.html'
    '?invariant="+e,n=1;n<arguments.length;n++)t+="&args[]="+encodeURIComponent(arguments[n]);'
    'return"Minified React error #"+e+"; visit "+t}}}]);'
)
RUNTIME = '!function(){"use strict";var e={},t={};function n(r){var o=t[r];if(void 0!==o)return o.exports}n.p="/_next/"}();'
POLYFILL = (
    "(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[179],{357:function(e,t,n){"
    'var r,o;e.exports=(null==(r=n.g.process)?void 0:r.env)&&"object"==typeof(null==(o=n.g.'
    "process)?void 0:o.env)?n.g.process:n(8081)}}]);"
)


def page(api: str, app: str) -> str:
    """An app-router page chunk; ``api``/``app`` are JS expressions as the build left them."""
    return (
        "(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[931],{5301:function(e,t,n){"
        '"use strict";n.r(t),n.d(t,{default:function(){return c}});var r=n(7437),a=n(2265),'
        f"s=n(357);let o={api},i={app};function c(){{let[e,t]=(0,a.useState)(null);return"
        '(0,a.useEffect)(()=>{fetch("".concat(o,"/api/accounts")).then(e=>e.json()).then(t)},[]),'
        '(0,r.jsx)("a",{href:"".concat(i,"/login"),children:"Sign in"})}},function(e){e.O(0,'
        "[971,23,744],function(){return e(e.s=5301)}),_N_E=e.O()}]);"
    )


def build(root: Path, api: str, app: str, extra: dict[str, str] | None = None) -> Path:
    """``root/apps/frontend/.next`` with framework, runtime, polyfill and page chunks."""
    static = root / "apps" / "frontend" / ".next" / "static"
    files = {
        "chunks/framework-8883d1e9be70c3da.js": FRAMEWORK,
        "chunks/webpack-59c5c889f52620d6.js": RUNTIME,
        "chunks/polyfills-c67a75d1b6f99dc8.js": POLYFILL,
        "chunks/app/page-3c5f2b1d0a9e8f7c.js": page(api, app),
        "Yk2xVb8Qe1/_buildManifest.js": 'self.__BUILD_MANIFEST={"/":["static/chunks/app/page-3c5f2b1d0a9e8f7c.js"]};',
        **(extra or {}),
    }
    for rel, text in files.items():
        (static / rel).parent.mkdir(parents=True, exist_ok=True)
        (static / rel).write_text(text)
    return static.parent


BAKED = (json.dumps(API_VALUE), json.dumps(APP_VALUE))
NOT_BAKED_API = (f"s.env.{API}", json.dumps(APP_VALUE))


@pytest.fixture(autouse=True)
def _no_public_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (API, APP, "NEXT_PUBLIC_SENTRY_DSN"):
        monkeypatch.delenv(name, raising=False)


def _outcomes(root: Path, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    report = check(root, only=("layer-parses",))
    findings = check_build(report.index, root / "apps" / "frontend", env)
    return {f.variable: (f.outcome.value, f.message) for f in findings}


def test_a_build_with_both_values_baked_passes(sample_repo: Path) -> None:
    build(sample_repo, *BAKED)
    out = _outcomes(sample_repo, {API: API_VALUE, APP: APP_VALUE})
    assert {name: outcome for name, (outcome, _) in out.items()} == {
        API: "passed",
        APP: "passed",
    }


def test_a_var_left_as_process_env_was_not_baked(sample_repo: Path) -> None:
    """Exact without any expected value: the build left the expression for the browser."""
    build(sample_repo, *NOT_BAKED_API)
    out = _outcomes(sample_repo, {})
    assert out[API][0] == "failed"
    assert (
        "chunks/app/page-3c5f2b1d0a9e8f7c.js still reads process.env.NEXT_PUBLIC_API_URL"
        in (out[API][1])
    )
    assert "the browser gets undefined" in out[API][1]
    assert f"ARG {API}" in out[API][1] and f"ENV {API}=${{{API}}}" in out[API][1]
    assert out[APP][0] == "passed"


@pytest.mark.parametrize(
    "expression",
    [f"s.env.{API}", f"s.env?.{API}", f's.env["{API}"]', f"process.env.{API}"],
)
def test_every_way_a_chunk_reads_env_is_seen(sample_repo: Path, expression: str) -> None:
    build(sample_repo, expression, json.dumps(APP_VALUE))
    assert _outcomes(sample_repo, {API: API_VALUE})[API][0] == "failed"


def test_a_longer_name_is_not_mistaken_for_a_shorter_one(sample_repo: Path) -> None:
    build(sample_repo, f"s.env.{API}_V2", json.dumps(APP_VALUE))
    out = _outcomes(sample_repo, {})
    assert out[API][0] == "passed"
    assert out[f"{API}_V2"][0] == "failed"  # read by the code, declared nowhere, not baked


def test_another_value_than_expected_fails(sample_repo: Path) -> None:
    build(sample_repo, json.dumps("http://localhost:8000"), json.dumps(APP_VALUE))
    out = _outcomes(sample_repo, {API: API_VALUE, APP: APP_VALUE})
    assert out[API][0] == "failed"
    assert "none of the 5 chunks" in out[API][1]
    assert API_VALUE in out[API][1]  # public by nature (shipped to browsers), not secret here
    assert out[APP][0] == "passed"


def test_an_inlined_empty_value_is_caught_with_the_expected_value(sample_repo: Path) -> None:
    """ARG NEXT_PUBLIC_API_URL="" without --build-arg: Next inlines "" (and folds it away)."""
    build(sample_repo, '""', json.dumps(APP_VALUE))
    assert _outcomes(sample_repo, {API: API_VALUE})[API][0] == "failed"


@pytest.mark.parametrize(
    ("value", "kind"),
    [("", "empty"), ("changeme", "a placeholder"), ("https://<your-api-host>", "a placeholder")],
)
def test_an_empty_or_placeholder_value_for_the_build_fails(
    sample_repo: Path, value: str, kind: str
) -> None:
    build(sample_repo, json.dumps(value), json.dumps(APP_VALUE))
    out = _outcomes(sample_repo, {API: value})
    assert out[API][0] == "failed"
    assert f"{API} in this environment is {kind}" in out[API][1]


def test_the_repositorys_placeholder_in_the_build_fails(sample_repo: Path) -> None:
    placeholder = "https://your-api.example.com"
    env = sample_repo / ENV
    env.write_text(env.read_text().replace(f"{API}=http://localhost:8000", f"{API}={placeholder}"))
    build(sample_repo, json.dumps(placeholder), json.dumps(APP_VALUE))
    out = _outcomes(sample_repo, {})
    assert out[API][0] == "failed"
    assert f"the placeholder {ENV}:75 gives {API}" in out[API][1]


def test_escaped_and_single_quoted_literals_are_found(sample_repo: Path) -> None:
    value = "https://api.report.example.com/ünïcode"
    build(sample_repo, json.dumps(value).replace("/", "\\/"), "'" + APP_VALUE + "'")
    out = _outcomes(sample_repo, {API: value, APP: APP_VALUE})
    assert out[API][0] == "passed" and out[APP][0] == "passed"


def test_short_values_count_only_as_whole_literals(tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "a.js").write_text('let e="on",t=n?"truely":"x";')
    bundle = Bundle.read(static)
    assert bundle.carrying("on") == ["a.js"]
    assert bundle.carrying("true") == []  # inside "truely" only


def test_pytest_option_makes_one_item_per_var(
    sample_pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(sample_pytester.path, *NOT_BAKED_API)
    monkeypatch.setenv(APP, APP_VALUE)
    result = sample_pytester.runpytest("--envssot-frontend-build", "apps/frontend", "-rf")
    result.assert_outcomes(passed=1, failed=1)
    assert failed_ids(result) == [f"{ENV}::{RULE}[{API}]"]
    assert "still reads process.env.NEXT_PUBLIC_API_URL" in result.stdout.str()


def test_pytest_option_without_a_build_is_a_usage_error(sample_pytester: pytest.Pytester) -> None:
    result = sample_pytester.runpytest("--envssot-frontend-build", "apps/frontend")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no .next/static there (run `next build` first*"])


def test_cli_reports_the_build_in_json(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build(sample_repo, *NOT_BAKED_API)
    static = sample_repo / "apps" / "frontend" / ".next" / "static"
    code = main(
        ["check", str(sample_repo), "--rules", "layer-parses", "--format", "json",
         "--frontend-build", str(static)]
    )  # fmt: skip
    results = json.loads(capsys.readouterr().out)["results"]
    mine = {
        r["variable"]: (r["outcome"], r["path"], r["line"]) for r in results if r["rule"] == RULE
    }
    assert mine == {API: ("failed", ENV, 75), APP: ("passed", ENV, 77)}
    assert code == 1


def test_cli_without_a_build_exits_2(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(sample_repo), "--frontend-build", str(sample_repo / "nope")]) == 2
    assert "no .next/static there" in capsys.readouterr().err


def test_cli_sarif_knows_the_live_rule(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A build lacking a NEXT_PUBLIC_* value used to crash SARIF (the rule was not catalogued)."""
    build(sample_repo, *NOT_BAKED_API)
    static = sample_repo / "apps" / "frontend" / ".next" / "static"
    code = main(
        ["check", str(sample_repo), "--rules", "layer-parses", "--format", "sarif",
         "--frontend-build", str(static)]
    )  # fmt: skip
    run = json.loads(capsys.readouterr().out)["runs"][0]
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    mine = [r for r in run["results"] if r["ruleId"] == RULE]
    assert [ids[r["ruleIndex"]] for r in mine] == [RULE]
    assert code == 1
