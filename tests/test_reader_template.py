"""Unit tests for the Vault / consul-template reader (pytest_envssot.readers.template)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# imported here, not in the test: a module that defines @given tests, imported while one
# runs, trips hypothesis' nested-given health check
from test_template_vs_go import _TEMPLATE, _mutated

from pytest_envssot.gotemplate.parser import parse_tree
from pytest_envssot.gotemplate.tree import (
    MAX_NESTING,
    Action,
    Block,
    Bool,
    Break,
    Chain,
    Comment,
    Continue,
    Define,
    Dot,
    Field,
    Identifier,
    If,
    Nil,
    Number,
    Pipeline,
    Range,
    String,
    TemplateCall,
    TemplateSyntaxError,
    Text,
    Variable,
    With,
)
from pytest_envssot.model import Location, TemplateFile, TemplateVar
from pytest_envssot.readers.template import parse_template, read_template, vault_references

SAMPLES = Path(__file__).parent.parent / "examples/sample_repo/repo/finance_report/finance_report"
SECRET = '{{ with secret (printf "secret/data/finance_report/%s/app" (env "ENV")) }}\n'


def read(text: str) -> TemplateFile:
    tf = parse_template(text, "t.ctmpl")
    assert tf.error is None, tf.error
    return tf


def one(text: str) -> TemplateVar:
    (var,) = read(text).vars
    return var


def by_name(tf: TemplateFile) -> dict[str, TemplateVar]:
    return {v.name: v for v in tf.vars}


# --------------------------------------------------------------------------- sample templates


def test_sample_postgres_template() -> None:
    rel = "finance_report/01.postgres/secrets.ctmpl"
    tf = read_template(SAMPLES / "01.postgres/secrets.ctmpl", rel)
    assert tf.error is None
    (block,) = tf.blocks
    assert block.location == Location(rel, 2)
    assert block.path_expr == 'printf "secret/data/finance_report/%s/postgres" (env "ENV")'
    assert block.path_format == "secret/data/finance_report/%s/postgres"
    assert block.path_env == ("ENV",)
    got = [(v.name, v.location.line, v.vault_keys, v.fallback) for v in tf.vars]
    assert got == [
        ("POSTGRES_USER", 3, ("POSTGRES_USER",), '"postgres"'),
        ("POSTGRES_PASSWORD", 4, ("POSTGRES_PASSWORD",), '""'),
        ("POSTGRES_DB", 5, ("POSTGRES_DB",), '"finance_report"'),
    ]
    for var in tf.vars:
        assert var.block is block
        assert var.quoted and not var.conditional and not var.exported and not var.composed
        assert var.location.path == rel
        assert var.value_source == (
            f'{{{{ with .Data.data.{var.name} }}}}{{{{ printf "%q" . }}}}'
            f"{{{{ else }}}}{var.fallback}{{{{ end }}}}"
        )


def test_sample_app_template() -> None:
    rel = "finance_report/10.app/secrets.ctmpl"
    tf = read_template(SAMPLES / "10.app/secrets.ctmpl", rel)
    assert tf.error is None
    (block,) = tf.blocks
    assert block.location == Location(rel, 5)
    assert block.path_format == "secret/data/finance_report/%s/app"
    assert block.path_env == ("ENV",)
    names = [
        "DATABASE_URL",
        "REDIS_URL",
        "S3_ENDPOINT",
        "S3_ACCESS_KEY",
        "S3_SECRET_KEY",
        "S3_BUCKET",
        "OPENROUTER_API_KEY",
        "SECRET_KEY",
        "CORS_ORIGINS",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
    ]
    assert [v.name for v in tf.vars] == names
    assert [v.location.line for v in tf.vars] == list(range(6, 18))
    assert all(v.vault_keys == (v.name,) and v.quoted and v.block is block for v in tf.vars)
    fallbacks = {v.name: v.fallback for v in tf.vars if v.fallback != '""'}
    assert fallbacks == {"CORS_ORIGINS": '"[]"', "OTEL_SERVICE_NAME": '"finance-report-backend"'}


def test_sample_templates_reference_lines() -> None:
    text = (SAMPLES / "10.app/secrets.ctmpl").read_text()
    refs = vault_references(parse_tree(text, "x"))
    assert refs[0] == ("DATABASE_URL", 6)
    assert len(refs) == 12


# --------------------------------------------------------------------------- value forms


def test_with_printf_q_else_fallback() -> None:
    var = one('KEY={{ with .Data.data.KEY }}{{ printf "%q" . }}{{ else }}"fallback"{{ end }}\n')
    assert (var.name, var.vault_keys, var.quoted, var.fallback) == (
        "KEY",
        ("KEY",),
        True,
        '"fallback"',
    )
    assert var.value_source == (
        '{{ with .Data.data.KEY }}{{ printf "%q" . }}{{ else }}"fallback"{{ end }}'
    )


def test_with_without_else_has_no_fallback_and_empty_else_is_empty() -> None:
    assert one('K={{ with .Data.data.K }}{{ printf "%q" . }}{{ end }}').fallback is None
    assert one('K={{ with .Data.data.K }}{{ printf "%q" . }}{{ else }}{{ end }}').fallback == ""


def test_fallback_with_action_is_source_as_written() -> None:
    var = one('K={{ with .Data.data.K }}{{ . }}{{ else }}{{ env "DEF" }}{{ end }}')
    assert var.fallback == '{{ env "DEF" }}'
    assert var.env_refs == ("DEF",)


@pytest.mark.parametrize(
    ("source", "quoted"),
    [
        ("KEY={{ .Data.data.KEY }}", False),
        ('KEY={{ index .Data.data "KEY" }}', False),
        ('KEY={{ .Data.data.KEY | printf "%q" }}', True),
        ('KEY={{ printf "%q" .Data.data.KEY }}', True),
        ('KEY={{ printf "%q" (index .Data.data "KEY") }}', True),
        ('KEY={{ (printf "%q" .Data.data.KEY) }}', True),
        ('KEY={{ with $v := .Data.data.KEY }}{{ $v | printf "%q" }}{{ end }}', True),
        ("KEY={{ with $v := .Data.data.KEY }}{{ $v }}{{ end }}", False),
        ("KEY={{ with .Data.data.KEY }}{{ . }}{{ end }}", False),
        ('KEY={{ printf "%s" .Data.data.KEY }}', False),
        ('KEY={{ .Data.data.KEY | printf "%q" | toUpper }}', False),
    ],
)
def test_value_forms(source: str, quoted: bool) -> None:
    var = one(SECRET + source + "\n{{ end }}\n")
    assert var.name == "KEY"
    assert var.location.line == 2
    assert var.vault_keys == ("KEY",)
    assert var.quoted is quoted
    assert var.block is not None


def test_composed_value() -> None:
    var = one(
        "DATABASE_URL=postgresql://{{ .Data.data.USER }}:{{ .Data.data.PASSWORD }}@db:5432/app"
    )
    assert var.name == "DATABASE_URL"
    assert var.vault_keys == ("USER", "PASSWORD")
    assert var.composed and not var.quoted
    assert var.value_source == (
        "postgresql://{{ .Data.data.USER }}:{{ .Data.data.PASSWORD }}@db:5432/app"
    )


def test_mixed_quoting_is_not_quoted() -> None:
    var = one('K={{ printf "%q" .Data.data.A }}{{ .Data.data.B }}')
    assert var.vault_keys == ("A", "B") and not var.quoted


def test_env_value() -> None:
    var = one('ENV_NAME={{ env "ENV" }}\n')
    assert (var.vault_keys, var.env_refs, var.quoted) == ((), ("ENV",), False)


def test_plain_lines_are_vars_and_other_lines_are_not() -> None:
    tf = read('STATIC=1\n# comment\n\nnot a var\n1BAD=x\nA B=c\n  INDENTED="x y"\n=x\n')
    assert [(v.name, v.location.line, v.value_source) for v in tf.vars] == [
        ("STATIC", 1, "1"),
        ("INDENTED", 7, '"x y"'),
    ]
    assert all(v.vault_keys == () and not v.quoted for v in tf.vars)


def test_export() -> None:
    tf = read("export A={{ .Data.data.A }}\n\texport   B=2\nexportC=3\nexport=4\n")
    assert [(v.name, v.exported) for v in tf.vars] == [
        ("A", True),
        ("B", True),
        ("exportC", False),
        ("export", False),
    ]


def test_line_starting_with_output_is_not_a_var() -> None:
    assert read('{{ .Data.data.X }}=1\n{{ "A" }}B=2\n').vars == ()


def test_dot_and_variables_resolve_to_vault_keys() -> None:
    tf = read(
        "{{ with .Data.data.OUTER }}\nA={{ . }}\nB={{ .Field }}\n{{ end }}\n"
        '{{ $p := .Data.data.P }}C={{ $p | printf "%q" }}\n'
        "{{ range $i, $e := .Data.data.LIST }}D={{ $e }}\n{{ end }}\n"
    )
    keys = {v.name: v.vault_keys for v in tf.vars}
    assert keys == {"A": ("OUTER",), "B": ("OUTER",), "C": ("P",), "D": ("LIST",)}
    assert by_name(tf)["C"].quoted


def test_several_blocks_and_literal_path() -> None:
    tf = read(
        SECRET + "A={{ .Data.data.A }}\n{{ end }}\n"
        '{{ with secret "secret/data/x/prod/app" }}\nB={{ .Data.data.B }}\n{{ end }}\n'
        "C=outside\n"
    )
    first, second = tf.blocks
    assert second.location.line == 4
    assert second.path_expr == '"secret/data/x/prod/app"'
    assert second.path_format == "secret/data/x/prod/app"
    assert second.path_env == ()
    assert [(v.name, v.block) for v in tf.vars] == [("A", first), ("B", second), ("C", None)]


def test_secret_block_variants() -> None:
    tf = read(
        '{{ with $s := secret "p/one" }}A={{ $s.Data.data.A }}{{ end }}\n'
        '{{ with "p/two" | secret }}{{ end }}\n'
        '{{ with (secret "p/three") }}{{ end }}\n'
        '{{ with secret (printf "p/%s/%s" (env "ENV") (env "ZONE")) "ttl=1h" }}{{ end }}\n'
        '{{ with secret (env "PATH_VAR") }}{{ end }}\n'
    )
    formats = [(b.path_expr, b.path_format, b.path_env) for b in tf.blocks]
    assert formats == [
        ('"p/one"', "p/one", ()),
        ('"p/two"', "p/two", ()),
        ('"p/three"', "p/three", ()),
        ('printf "p/%s/%s" (env "ENV") (env "ZONE")', "p/%s/%s", ("ENV", "ZONE")),
        ('env "PATH_VAR"', None, ("PATH_VAR",)),
    ]
    assert tf.vars[0].vault_keys == ("A",)


def test_innermost_block_and_else_of_secret() -> None:
    tf = read(
        '{{ with secret "outer" }}{{ with secret "inner" }}\nA=1\n{{ end }}\nB=2\n'
        "{{ else }}\nC=3\n{{ end }}\n"
    )
    outer, inner = tf.blocks
    v = by_name(tf)
    assert (v["A"].block, v["B"].block, v["C"].block) == (inner, outer, None)
    assert (v["A"].conditional, v["B"].conditional, v["C"].conditional) == (False, False, True)


# --------------------------------------------------------------------------- conditionals


def test_if_else_if_range_are_conditional() -> None:
    tf = read(
        "{{ if .Data.data.FLAG }}\nA={{ .Data.data.A }}\n"
        '{{ else if eq (env "ENV") "prod" }}\nB=2\n'
        "{{ else }}\nC=3\n{{ end }}\n"
        "{{ range .Data.data.ITEMS }}\nD={{ . }}\n{{ end }}\n"
        "E=4\n"
    )
    got = [(v.name, v.location.line, v.conditional) for v in tf.vars]
    assert got == [("A", 2, True), ("B", 4, True), ("C", 6, True), ("D", 9, True), ("E", 11, False)]


def test_if_on_the_same_line() -> None:
    tf = read('{{ if .Data.data.ON }}KEY={{ .Data.data.KEY | printf "%q" }}{{ end }}\nNEXT=1\n')
    v = by_name(tf)
    assert (v["KEY"].location.line, v["KEY"].conditional, v["KEY"].quoted) == (1, True, True)
    # the condition is read before KEY= and is no part of KEY's value
    assert v["KEY"].vault_keys == ("KEY",)
    assert not v["NEXT"].conditional


def test_each_branch_starts_from_the_same_point_of_the_line() -> None:
    tf = read("{{ if .X }}A=1{{ else }}B=2{{ end }}\n")
    # the line state goes back to the `if` for the else branch; B's line then runs on
    assert [(v.name, v.location.line, v.value_source) for v in tf.vars] == [
        ("A", 1, "1"),
        ("B", 1, "2{{ end }}"),
    ]


def test_condition_inside_a_value_keeps_the_var_unconditional() -> None:
    var = one('K={{ if .Data.data.K }}{{ .Data.data.K | printf "%q" }}{{ else }}""{{ end }}\n')
    assert not var.conditional and var.fallback == '""' and var.quoted


# --------------------------------------------------------------- comments, trim markers, lines


def test_multiline_comments_and_trimmed_comments() -> None:
    tf = read(
        "{{/*\n  header\n  KEY=not a var\n*/}}\n{{- /* trimmed */ -}}\nA=1\n{{/* inline */}}B=2\n"
    )
    assert [(v.name, v.location.line) for v in tf.vars] == [("A", 6), ("B", 7)]


def test_key_line_is_where_the_name_starts_in_the_source() -> None:
    tf = read("{{- /* header */ -}}\n\n\n   export KEY={{ .Data.data.KEY }}\n")
    assert [(v.name, v.location.line, v.exported) for v in tf.vars] == [("KEY", 4, True)]


def test_trim_marker_joins_lines() -> None:
    # `{{- " " -}}` eats both newlines, so Y= is no longer at the start of a line
    tf = read('X=1\n{{- " " -}}\nY=2\nZ=3\n')
    assert [(v.name, v.location.line) for v in tf.vars] == [("X", 1), ("Z", 4)]
    assert by_name(tf)["X"].value_source == '1\n{{- " " -}}\nY=2'


def test_left_trim_keeps_following_line_separate() -> None:
    tf = read("X=1\n{{- /* c */}}\nY=2\n")
    assert [(v.name, v.location.line) for v in tf.vars] == [("X", 1), ("Y", 3)]


def test_value_across_trimmed_lines() -> None:
    var = one("K=\n  {{- .Data.data.K -}}\n")
    assert (var.location.line, var.vault_keys) == (1, ("K",))


def test_crlf_line_endings() -> None:
    tf = read("A=1\r\nB={{ .Data.data.B }}\r\n")
    assert [(v.name, v.location.line, v.value_source) for v in tf.vars] == [
        ("A", 1, "1"),
        ("B", 2, "{{ .Data.data.B }}"),
    ]


def test_trim_needs_a_space_and_numbers_keep_their_sign() -> None:
    nodes = parse_tree("a {{-3}} b", "t")
    assert isinstance(nodes[0], Text) and nodes[0].text == "a "
    assert isinstance(nodes[1], Action)
    number = nodes[1].pipe.commands[0].args[0]
    assert isinstance(number, Number) and number.value == -3


# --------------------------------------------------------------------------- literals and syntax


def test_strings_raw_strings_and_escapes() -> None:
    tf = read(
        'A={{ printf "%q" (index .Data.data `RAW_KEY`) }}\n'
        'B={{ index .Data.data "ESC\\x41PED" }}\n'
        "C={{ `multi\nline` }}\n"
    )
    v = by_name(tf)
    assert v["A"].vault_keys == ("RAW_KEY",) and v["A"].quoted
    assert v["B"].vault_keys == ("ESCAPED",)
    assert v["C"].location.line == 3


def test_unknown_functions_are_fine() -> None:
    var = one('K={{ .Data.data.K | toJSON | base64Encode | sockaddr "x" }}')
    assert var.vault_keys == ("K",)


def test_end_nesting_and_variables_scope() -> None:
    tf = read(
        "{{ with .Data.data.A }}{{ if . }}{{ range $x := . }}{{ $x }}{{ end }}{{ end }}{{ end }}\n"
        "Z=1\n"
    )
    assert [v.name for v in tf.vars] == ["Z"]
    assert parse_template("{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}", "t").error is not None


# --------------------------------------------------------------------------- the tree


def test_tree_shape_for_evaluation() -> None:
    src = (
        'A {{- $v := printf "%s-%d" (env "ENV") 42 | printf "%q" -}}  B\n'
        "{{ if .Data.data.X }}x{{ else if $v }}y{{ else }}z{{ end }}"
        "{{/* note */}}"
    )
    text_a, action, text_b, if_node, comment = parse_tree(src, "t")
    assert text_a == Text(0, 1, 1, "A")
    assert isinstance(action, Action)
    pipe = action.pipe
    assert [v.name for v in pipe.decl] == ["$v"] and not pipe.is_assign
    first, second = pipe.commands
    printf, fmt, env_call, num = first.args
    assert printf == Identifier(printf.pos, 1, printf.end, "printf")
    assert isinstance(fmt, String) and fmt.value == "%s-%d" and fmt.source == '"%s-%d"'
    assert isinstance(env_call, Pipeline) and env_call.parenthesized
    assert src[env_call.pos : env_call.end] == '(env "ENV")'
    assert isinstance(num, Number) and num.value == 42
    assert isinstance(second.args[1], String) and second.args[1].value == "%q"
    assert isinstance(text_b, Text) and text_b.text == "B\n" and text_b.line == 1
    assert isinstance(if_node, If) and if_node.line == 2
    assert if_node.pipe.commands[0].args == (
        Field(*_span(src, ".Data.data.X"), ("Data", "data", "X")),
    )
    assert if_node.body == (Text(*_span(src, "x"), "x"),)
    assert if_node.else_body is not None
    (elif_node,) = if_node.else_body
    assert isinstance(elif_node, If)
    assert elif_node.else_body == (Text(*_span(src, "z"), "z"),)
    assert isinstance(comment, Comment) and comment.text == "/* note */"


def _span(src: str, needle: str) -> tuple[int, int, int]:
    pos = src.rindex(needle)
    return pos, src.count("\n", 0, pos) + 1, pos + len(needle)


def test_tree_operands() -> None:
    src = (
        "{{ range $i, $e := . }}{{ break }}{{ continue }}{{ end }}"
        '{{ $.Data.data.A }}{{ (secret "p").Data.data.B }}{{ nil }}{{ true }}{{ . }}'
        "{{ 'a' }}{{ 1.5 }}{{ 0x10 }}{{ 1+2i }}"
    )
    rng, var, chain, nil, true, dot, char, flt, hexa, cplx = parse_tree(src, "t")
    assert isinstance(rng, Range) and [v.name for v in rng.pipe.decl] == ["$i", "$e"]
    assert [type(n) for n in rng.body] == [Break, Continue]

    def arg(node: object) -> object:
        assert isinstance(node, Action)
        return node.pipe.commands[0].args[0]

    v = arg(var)
    assert isinstance(v, Variable) and (v.name, v.fields) == ("$", ("Data", "data", "A"))
    c = arg(chain)
    assert isinstance(c, Chain) and c.fields == ("Data", "data", "B")
    assert isinstance(c.node, Pipeline)
    assert isinstance(arg(nil), Nil) and isinstance(arg(dot), Dot)
    assert arg(true) == Bool(*_span(src, "true"), True)
    assert [arg(n).value for n in (char, flt, hexa, cplx)] == [97, 1.5, 16, 1 + 2j]  # type: ignore[attr-defined]


def test_tree_define_block_template() -> None:
    src = (
        '{{ define "d" }}D=1{{ end }}{{ template "d" . }}\n'
        '{{ block "b" .Data.data.K }}B={{ . }}{{ end }}'
    )
    define, call, _newline, block = parse_tree(src, "t")
    assert isinstance(define, Define) and define.name == "d"
    assert isinstance(call, TemplateCall) and call.name == "d" and call.pipe is not None
    assert isinstance(block, Block) and block.name == "b"
    tf = read(src)
    v = by_name(tf)
    assert v["D"].conditional and not v["B"].conditional
    assert v["B"].vault_keys == ("K",)


def test_with_node_and_else_with_chain() -> None:
    (node,) = parse_tree("{{ with .A }}a{{ else with .B }}b{{ end }}", "t")
    assert isinstance(node, With)
    assert node.else_body is not None and isinstance(node.else_body[0], With)


def test_nodes_are_frozen_values() -> None:
    """Nodes are built through their slots (tree._quick_init): still immutable, compared
    and hashed by value, with their defaults and a complete signature."""
    import dataclasses

    node = Pipeline(0, 1, 3, (), False, ())
    assert node.parenthesized is False and node == Pipeline(0, 1, 3, (), False, (), False)
    assert hash(Field(0, 1, 2, ("A",))) == hash(Field(0, 1, 2, ("A",)))
    assert Field(0, 1, 2, ("A",)) != Variable(0, 1, 2, "A", ())  # type: ignore[comparison-overlap]
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.pos = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        Dot(0, 1)  # type: ignore[call-arg]


# Actions the parser builds from their text alone (gotemplate/simple.py), next to ones it
# must not: keywords, blanks, pipes, constants, chains, errors, lines.
SIMPLE_OR_NOT = [
    'A={{ with .Data.data.A }}{{ printf "%q" . }}{{ else }}""{{ end }}',
    "{{if .A}}a{{else}}b{{end}}{{ range .L }}{{ . }}{{ end }}{{range .L}}{{break}}{{end}}",
    '{{ .A .B "c" true false nil . }}{{ .A|printf "%s"|printf "%q" }}{{ .A | printf }}',
    '{{ "a" | .B }}{{ .A | "x" }}{{ .A | . }}{{ .A | true }}{{ .A | nil }}',
    '{{ true.X }}{{ "s".X }}{{ ..X }}{{ nil.X }}{{ printf.X }}{{ .A"b" }}{{ .A.B.C }}',
    "{{ with }}{{ end }}",
    "{{ if .A }}",
    "{{ end }}",
    "{{ else }}",
    "{{ with .A }}{{ else }}{{ else }}{{ end }}",
    '{{ define "d" }}{{ else }}{{ end }}',
    '{{ printf "\\z" }}',
    '{{ printf "\\u00e9\\x41" . }}',
    "x\n{{-\n.A }}\n{{ .B\n}}{{\t.C\t}}{{ .D\r}}",
    "{{- .A -}} {{- with .B -}} {{- else -}} {{- end -}}",
    "{{ .A | }}{{ | .A }}{{ .A | | .B }}{{ }}{{- -}}",
    "{{ with.A }}{{ end }}{{if.B}}{{end}}",
    "{{ if .A }}" * (MAX_NESTING + 1) + "{{ end }}" * (MAX_NESTING + 1),
    "{{ with $x := .A }}{{ $x }}{{ end }}{{ .A.é }}{{ 1 }}",
]


def _parsed(text: str, simple: bool) -> object:
    from pytest_envssot.gotemplate.parser import _Parser

    try:
        return _Parser(text, simple).parse()
    except TemplateSyntaxError as exc:
        return (exc.line, exc.message)


@pytest.mark.parametrize("text", SIMPLE_OR_NOT)
def test_simple_actions_give_the_nodes_and_errors_of_the_parser(text: str) -> None:
    for part in [text, *text.split("}}{{")]:
        assert _parsed(part, simple=True) == _parsed(part, simple=False), part


def test_the_common_actions_are_built_from_their_text() -> None:
    """The shortcut is taken (else the comparisons above compare the parser with itself)."""
    from pytest_envssot.gotemplate.parser import _Parser

    parser = _Parser(SIMPLE_OR_NOT[0])
    parser.parse()
    assert sorted(t for t, simple in parser._simple.items() if simple is not None) == [
        " else }}",
        " end }}",
        ' printf "%q" . }}',
        " with .Data.data.A }}",
    ]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_generated_templates_parse_the_same_with_and_without_simple_actions(
    data: st.DataObject,
) -> None:
    text = data.draw(st.one_of(_TEMPLATE, _mutated()))
    assert _parsed(text, simple=True) == _parsed(text, simple=False)


def test_vault_references_lines() -> None:
    src = (
        '{{ with secret "p" }}\nA={{ .Data.data.A }}\nB={{ index\n  .Data.data\n  "B" }}\n'
        '{{ $s := secret "q" }}{{ $s.Data.data.C }}{{ (secret "r").Data.data.D }}{{ end }}'
    )
    assert vault_references(parse_tree(src, "t")) == [("A", 2), ("B", 5), ("C", 6), ("D", 6)]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("A=1\n{{ end }}\n", 2, "unexpected {{ end }}"),
        ('x\n{{ with secret "p" }}\nA=1\n', 2, "no matching {{ end }}"),
        ("{{ if 1 }}\n{{ with 1 }}\n{{ end }}\n", 1, "{{ if }} has no matching"),
        ("{{ if 1 }}{{ else if 2 }}\n", 1, "{{ if }} has no matching"),
        ("A=1\n{{ else }}\n", 2, "unexpected {{ else }}"),
        ("{{ if 1 }}\n{{ else }}\n{{ else }}{{ end }}", 3, "unexpected {{ else }}"),
        ("{{ range . }}{{ else if 1 }}{{ end }}", 1, "unexpected"),
        ("a\n{{ .Data.data.X \n\nB", 2, "unclosed action"),
        ("a\n{{/* x\n\n", 2, "unclosed comment"),
        ("{{/* a\n*/ }}", 2, "comment ends before closing delimiter"),
        ("{{ /* not a comment */ }}", 1, "unexpected '/'"),
        ('a\n\n{{ printf "%q\n }}', 3, "unterminated quoted string"),
        ("{{ `raw\n\n", 1, "unterminated raw quoted string"),
        ("{{ 'a\n' }}", 1, "unterminated character constant"),
        ('{{ printf "%q"\n\n "\\q" }}', 3, "invalid escape"),
        ("{{ if }}", 1, "missing value for if"),
        ("{{ }}", 1, "missing value for command"),
        ("\n{{\n\nelse\n}}", 2, "unexpected {{ else }}"),  # the line of its {{
        ("{{ with .A .B = 1 }}{{ end }}", 1, "unexpected '='"),
        ('{{ printf (env "X" }}', 1, "unclosed left paren"),
        ("{{ printf ) }}", 1, "unexpected right paren"),
        ("{{ .A$ }}", 1, "bad character"),
        ('{{ printf"x" }}', 1, "bad character"),
        ("{{ $undefined }}", 1, "undefined variable"),
        ("{{ break }}", 1, "outside {{ range }}"),
        ("{{ .A | | .B }}", 1, "unexpected '|'"),
        ('{{ .A | "lit" }}', 1, "non executable command"),
        ('{{ "s".Field }}', 1, "unexpected . after term"),
        ("{{ 1x }}", 1, "bad number syntax"),
        ("{{ 99999999999999999999 }}", 1, "integer overflow"),
        ("{{ $a, $b := 1 }}", 1, "too many declarations"),
        ("{{ range $a, 1 }}{{ end }}", 1, "range can only initialize variables"),
        ('{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}', 1, "defined twice"),
        ('{{ if 1 }}{{ define "x" }}{{ end }}{{ end }}', 1, "unexpected 'define'"),
        ("{{ end 1 }}", 1, "unexpected '1' in end"),
        ("{{ .A\x01 }}", 1, "bad character"),
        ("{{ a → b }}", 1, "unrecognized character"),
    ],
)
def test_syntax_errors_have_the_exact_line(source: str, line: int, fragment: str) -> None:
    tf = parse_template(source, "deploy/secrets.ctmpl")
    assert tf.error is not None, source
    assert tf.error.location == Location("deploy/secrets.ctmpl", line), tf.error
    assert fragment in tf.error.message
    assert tf.vars == () and tf.blocks == ()
    with pytest.raises(TemplateSyntaxError) as info:
        parse_tree(source, "t")
    assert info.value.line == line


def test_first_error_in_source_order_wins() -> None:
    tf = parse_template('{{ end }}\n{{ "unterminated }}', "t")
    assert tf.error is not None and tf.error.location.line == 1


def test_read_template_file_errors(tmp_path: Path) -> None:
    missing = read_template(tmp_path / "nope.ctmpl", "nope.ctmpl")
    assert missing.error is not None and "does not exist" in missing.error.message
    (tmp_path / "bad.ctmpl").write_bytes(b"A=1\nB=\xff\n")
    bad = read_template(tmp_path / "bad.ctmpl", "bad.ctmpl")
    assert bad.error is not None and bad.error.location == Location("bad.ctmpl", 2)
    (tmp_path / "ok.ctmpl").write_text("\ufeffA={{ .Data.data.A }}\n", encoding="utf-8")
    ok = read_template(tmp_path / "ok.ctmpl", "ok.ctmpl")
    assert [(v.name, v.vault_keys) for v in ok.vars] == [("A", ("A",))]


# --------------------------------------------------------------------------- size and depth


def test_nesting_is_capped_without_recursion_errors() -> None:
    deep = "{{ if 1 }}" * 10_000 + "{{ end }}" * 10_000
    tf = parse_template(deep, "t")
    assert tf.error is not None and tf.error.message == f"nesting deeper than {MAX_NESTING}"
    parens = "{{ " + "(" * 10_000 + "1" + ")" * 10_000 + " }}"
    assert parse_template(parens, "t").error is not None
    ok = "{{ if 1 }}" * (MAX_NESTING - 1) + "K=1" + "{{ end }}" * (MAX_NESTING - 1)
    var = one(ok)
    assert var.conditional


def test_many_delimiters_and_large_input_stay_fast() -> None:
    start = time.perf_counter()
    assert parse_template("{{" * 10_000, "t").error is not None
    assert parse_template('{{ "' + "a" * 200_000, "t").error is not None
    line = 'KEY={{ with .Data.data.KEY }}{{ printf "%q" . }}{{ else }}""{{ end }}\n'
    assert len(read(line * 2_000).vars) == 2_000
    assert read("a{{/**/}}" * 20_000).vars == ()
    assert time.perf_counter() - start < 10


# --------------------------------------------------------------------------- properties

_FRAGMENTS = [
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/* c */}}",
    "{{- /* c\n */ -}}",
    "/*",
    "*/",
    " ",
    "\n",
    "KEY=",
    "export X=",
    ".Data.data.K",
    "index .Data.data",
    '"K"',
    'printf "%q"',
    "|",
    "(",
    ")",
    "$v",
    "$v := ",
    ",",
    "with",
    "if",
    "else",
    "end",
    "range",
    "secret",
    'env "ENV"',
    "`raw\n`",
    '"a\\n"',
    "'a'",
    "42",
    "1.5",
    "nil",
    ".",
    "{{ end }}",
    "{{ else }}",
    "{{ with .Data.data.A }}",
    '{{ with secret "p" }}',
    "{{ if 1 }}",
    "{{ range . }}",
    "break",
    '"',
    "`",
    "é",
    "\r\n",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=5)),
        max_size=40,
    ).map("".join)
)
def test_never_raises(text: str) -> None:
    tf = parse_template(text, "p.ctmpl")
    assert isinstance(tf, TemplateFile) and tf.path == "p.ctmpl"
    lines = text.count("\n") + 1
    if tf.error is not None:
        assert not tf.error.message.startswith("internal error"), tf.error
        assert 1 <= tf.error.location.line <= lines
        return
    for var in tf.vars:
        assert 1 <= var.location.line <= lines
        assert var.value_source in text
        assert var.name.isidentifier()
    for block in tf.blocks:
        assert 1 <= block.location.line <= lines
