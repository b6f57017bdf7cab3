"""Differential tests: our template parser against Go's own text/template/parse.

tests/go/tmplkeys parses templates with Go (SkipFuncCheck, as consul-template's many
functions are unknown here) and lists every Vault key reference with its line. For each
template both sides must agree on whether it parses, and on the references.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import build_go_helper
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_envssot.gotemplate.parser import parse_tree
from pytest_envssot.gotemplate.tree import TemplateSyntaxError
from pytest_envssot.readers.template import parse_template, vault_references

pytestmark = pytest.mark.needs_go

SAMPLES = Path(__file__).parent.parent / "examples/sample_repo/repo/finance_report/finance_report"

GoScan = Callable[[list[str]], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def go_scan(tmp_path_factory: pytest.TempPathFactory) -> GoScan:
    """Build tmplkeys once (stdlib only: offline, private caches) and return a runner."""
    binary = build_go_helper("tmplkeys", tmp_path_factory)

    def scan(texts: list[str]) -> list[dict[str, Any]]:
        done = subprocess.run(
            [str(binary)], input=json.dumps(texts), capture_output=True, text=True, check=True
        )
        results: list[dict[str, Any]] = json.loads(done.stdout)
        return results

    return scan


def assert_same_as_go(text: str, go: dict[str, Any]) -> None:
    try:
        nodes = parse_tree(text, "t")
    except TemplateSyntaxError as exc:
        assert go.get("error"), f"we reject what Go accepts: {text!r}: {exc}"
        assert parse_template(text, "t").error is not None
        return
    assert not go.get("error"), f"we accept what Go rejects: {text!r}: {go['error']}"
    ours = sorted(vault_references(nodes))
    assert ours == sorted((r["key"], r["line"]) for r in go["refs"]), text
    # every key the reader credits to a var is one of those references
    tf = parse_template(text, "t")
    assert tf.error is None
    referenced = {key for key, _ in ours}
    assert {k for var in tf.vars for k in var.vault_keys} <= referenced


def test_sample_templates(go_scan: GoScan) -> None:
    texts = [p.read_text() for p in sorted(SAMPLES.glob("*/secrets.ctmpl"))]
    assert len(texts) == 2
    for text, go in zip(texts, go_scan(texts), strict=True):
        assert go["refs"], "the samples read Vault keys"
        assert_same_as_go(text, go)


TRICKY = [
    'A={{ with .Data.data.A }}{{ printf "%q" . }}{{ else }}""{{ end }}',
    'B={{ index .Data.data "B" }}\nC={{ index\n .Data.data\n "C" }}',
    '{{ $s := secret "p" }}{{ $s.Data.data.D }}{{ (secret "q").Data.data.E.x }}',
    "{{ .Data.data.K1 -}}\n\n  {{- .Data.data.K2 }}",
    "{{- /* c */ -}}{{/* a\nb */}}{{ .Data.data.K }}",
    "{{ /* c */ }}",
    "{{/* c */ }}",
    "{{/* c */-}}",
    "{{ .A | }}",
    "{{ .A | | .B }}",
    "{{ .A|.B }}",
    "{{ $x = 1 }}",
    "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
    "{{ range $i, $e := . }}{{ $i }}{{ $e }}{{ end }}",
    "{{ range $i, }}{{ end }}",
    "{{ with $a, $b := . }}{{ end }}",
    "{{ if 1 }}{{ else if 2 }}{{ else }}{{ end }}",
    "{{ range . }}{{ else if 1 }}{{ end }}",
    "{{ with . }}{{ else if 1 }}{{ end }}",
    "{{ range . }}{{ if 1 }}{{ break }}{{ end }}{{ end }}",
    "{{ range . }}{{ else }}{{ break }}{{ end }}",
    '{{ define "a" }}{{ .Data.data.IN_DEFINE }}{{ end }}{{ template "a" }}',
    '{{ define "a" }} {{ end }}{{ define "a" }}x{{ end }}',
    '{{ block "b" .Data.data.BLK }}{{ . }}{{ end }}',
    "{{ 'a' }}{{ '\\n' }}{{ '\\'' }}{{ '\\\"' }}{{ 'ab' }}",
    '{{ "\\x41\\101\\u00e9\\U0001F600" }}',
    '{{ "\\\'" }}',
    "{{ 0x1p-2 }}{{ 1e3 }}{{ 1_000 }}{{ 0o17 }}{{ 0b101 }}{{ 017 }}{{ 1+2i }}{{ 3i }}",
    "{{ 08 }}",
    "{{ 1_ }}",
    "{{ nil }}",
    "{{ .A | nil }}",
    "{{ (.A).B }}",
    "{{ (1).B }}",
    "{{ printf.X }}",
    "{{ $.Data.data.ROOT }}",
    "{{ .Data.data }}{{ .Data }}{{ .data.data.X }}",
    "{{\n.Data.data.MULTI\n}}",
    '{{ index .Data.data (printf "%s" "DYN") }}',
    "{{{{ .A }}}}",
    "{{ .A }}}}",
    "}}{{ .A }}",
    "{{- }}",
    "{{ -}}",
    "{{-3}}",
    "{{ .A  -}}\n x",
    "{{ é }}",
    "{{ .é.Data }}",
    "{{ $é := 1 }}{{ $é }}",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_cases(go_scan: GoScan, text: str) -> None:
    (go,) = go_scan([text])
    assert_same_as_go(text, go)


# --------------------------------------------------------------------------- generated templates

_KEY = st.sampled_from(["KEY", "DB_URL", "a", "_x9"])
_REF = st.one_of(
    _KEY.map(".Data.data.{}".format),
    _KEY.map('(index .Data.data "{}")'.format),
    _KEY.map("$.Data.data.{}".format),
)
_OPERAND = st.one_of(
    _REF,
    st.sampled_from([".", '"s"', "`r\naw`", "42", '(env "ENV")', "nil", "true", "'c'", "$"]),
)
_PIPELINE = st.builds(
    lambda head, args, quoted: " ".join([head, *args]) + (' | printf "%q"' if quoted else ""),
    _OPERAND,
    st.lists(_OPERAND, max_size=2),
    st.booleans(),
).map(lambda p: p if p.split()[0][0] in ".$(" or " " not in p else "printf " + p)
_OPEN = st.sampled_from(["{{", "{{- ", "{{\n"])
_CLOSE = st.sampled_from(["}}", " -}}", "\n}}"])
_ACTION = st.builds(lambda o, p, c: f"{o} {p} {c}", _OPEN, _PIPELINE, _CLOSE)
_TEXT = st.sampled_from(["KEY=", "\n", "  ", "export A=", "x", "STATIC=1\n", '"fb"', "\r\n"])
_COMMENT = st.sampled_from(["{{/* c */}}", "{{- /* multi\nline */ -}}", "{{/**/ -}}"])


def _control(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    body = st.lists(children, max_size=4).map("".join)
    return st.builds(
        lambda kw, cond, then, other: (
            f"{{{{ {kw} {cond} }}}}{then}"
            + ("" if other is None else f"{{{{ else }}}}{other}")
            + "{{ end }}"
        ),
        st.sampled_from(["if", "with", "range"]),
        _PIPELINE,
        body,
        st.none() | body,
    )


_TEMPLATE = st.lists(
    st.recursive(st.one_of(_TEXT, _ACTION, _COMMENT), _control, max_leaves=12), max_size=6
).map("".join)
_NOISE = st.sampled_from(["", "{{", "}}", "(", ")", '"', "{{ end }}", " |", "$x", "`", "-", "\n"])


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(_TEMPLATE)
    at = draw(st.integers(0, len(text)))
    cut = draw(st.integers(0, 2))
    return text[:at] + draw(_NOISE) + text[at + cut :]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_TEMPLATE, _mutated()))
def test_generated_templates(go_scan: GoScan, text: str) -> None:
    (go,) = go_scan([text])
    assert_same_as_go(text, go)
