"""Edits to Vault Agent templates: rewrite one var's line into the safe form, or add one.

The safe form for the consumer that reads the rendered file (``[tool.envssot] consumer``):

* pydantic-settings (python-dotenv): ``{{ with KEY }}{{ printf "%q" EXPR }}{{ else }}FB{{ end }}``
* docker-env-file: ``{{ with KEY }}{{ EXPR }}{{ else }}FB{{ end }}`` (docker keeps every byte)
* posix-shell: ``'{{ with KEY }}{{ EXPR | replaceAll "'" "'\\''" }}{{ else }}FB{{ end }}'``

EXPR is the author's own expression with the key's value as dot: a composed value such as
``postgresql://app:{{ .Data.data.PW }}@db/app`` becomes ``printf "postgresql://app:%v@db/app" .``,
never the bare password. FB is the author's fallback (re-quoted only where the consumer would
read it back changed). A value built from several keys keeps no ``with`` (the rule asks for
quoting only). ``{{-``/``-}}`` at the ends of the value are kept. Only the var's line changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pytest_envssot.findings import Edit
from pytest_envssot.fix.apply import LinePlan
from pytest_envssot.gotemplate.parser import parse_tree
from pytest_envssot.gotemplate.tree import (
    Action,
    Chain,
    Command,
    Field,
    Identifier,
    Node,
    Operand,
    Pipeline,
    String,
    TemplateSyntaxError,
    Text,
    With,
)

_LINE = re.compile(
    r"^(?P<prefix>\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=)(?P<value>.*)$"
)
_SAFE_BARE = re.compile(r"[^\s#'\"\\$`]*")  # what python-dotenv reads back unchanged unquoted
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHELL_ESCAPE = """replaceAll "'" "'\\\\''\""""
DOTENV, DOCKER, SHELL = "pydantic-settings", "docker-env-file", "posix-shell"


class _Refuse(Exception):
    """The value is not something this module rewrites safely; the text says why."""


@dataclass(frozen=True)
class Value:
    """A var's value taken apart: the one Vault key it reads (None when composed of several),
    the expression printing it (with ``key``, ``.`` is the key's value), the author's
    ``{{ else }}`` text (None without one) and the trim markers at its two ends."""

    key: str | None
    expr: str
    fallback: str | None = None
    trim_left: bool = False
    trim_right: bool = False


# --------------------------------------------------------------------------- reading a value


def _vault_key(node: Operand | Command) -> str | None:
    """``K`` of ``.Data.data.K`` or of the command ``index .Data.data "K"``."""
    if isinstance(node, Field) and len(node.names) == 3 and node.names[:2] == ("Data", "data"):
        return node.names[2]
    if isinstance(node, Command) and len(node.args) == 3:
        fn, obj, key = node.args
        if (
            isinstance(fn, Identifier)
            and fn.name == "index"
            and isinstance(obj, Field)
            and obj.names == ("Data", "data")
            and isinstance(key, String)
        ):
            return key.value
    return None


def _refs(node: Operand | Command, out: list[tuple[int, int, str]]) -> None:
    """Every Vault key reference under ``node``: (start, end, key)."""
    key = _vault_key(node)
    if key is not None:
        out.append((node.pos, node.end, key))
        return
    if isinstance(node, Pipeline):
        for cmd in node.commands:
            _refs(cmd, out)
    elif isinstance(node, Command):
        for arg in node.args:
            _refs(arg, out)
    elif isinstance(node, Chain) and isinstance(node.node, Field | Pipeline):
        _refs(node.node, out)


def _single_pipe(pipe: Pipeline) -> Command | None:
    return pipe.commands[0] if len(pipe.commands) == 1 and not pipe.decl else None


def _unquoted(src: str, pipe: Pipeline) -> str:
    """The expression inside ``printf "%q" X``, or the whole pipeline."""
    cmd = _single_pipe(pipe)
    if cmd is not None and len(cmd.args) == 3:
        fn, fmt, arg = cmd.args
        printf = isinstance(fn, Identifier) and fn.name == "printf"
        if printf and isinstance(fmt, String) and fmt.value == "%q":
            return _strip_parens(src[arg.pos : arg.end])
    return src[pipe.pos : pipe.end]


def _strip_parens(expr: str) -> str:
    return expr[1:-1].strip() if expr.startswith("(") and expr.endswith(")") else expr


def _compose(src: str, nodes: tuple[Node, ...]) -> str:
    """One expression printing what ``nodes`` (literal text and actions) print."""
    for node in nodes:
        if not isinstance(node, Text | Action) or (isinstance(node, Action) and node.pipe.decl):
            raise _Refuse("the value holds more than text and plain {{ … }} actions")
    actions = [n for n in nodes if isinstance(n, Action)]
    texts = "".join(n.text for n in nodes if isinstance(n, Text))
    if len(actions) == 1 and not texts:
        return _unquoted(src, actions[0].pipe)
    if not actions:
        raise _Refuse("the value reads no Vault key")
    fmt = "".join(n.text.replace("%", "%%") if isinstance(n, Text) else "%v" for n in nodes)
    args = [_operand(_unquoted(src, n.pipe)) for n in actions]
    return f"printf {json.dumps(fmt, ensure_ascii=False)} {' '.join(args)}"


def _operand(expr: str) -> str:
    """``expr`` usable as one argument: parenthesised unless it is a single term."""
    return expr if re.fullmatch(r"[^\s()|]+|\(.*\)", expr) else f"({expr})"


def _dot_for(key: str, expr_src: str) -> str:
    """``expr_src`` with each reference to ``key`` replaced by ``.`` (dot inside ``with``)."""
    refs: list[tuple[int, int, str]] = []
    for node in parse_tree("{{ " + expr_src + " }}"):  # offsets below are 3 further on
        if isinstance(node, Action):
            _refs(node.pipe, refs)
    out, done = [], 0
    for start, end, found in sorted(refs):
        if found != key:
            raise _Refuse("the value reads several Vault keys inside one action")
        out += [expr_src[done : start - 3], "."]
        done = end - 3
    return "".join([*out, expr_src[done:]])


def read_value(value: str) -> Value:
    """Take a var's value apart; _Refuse when it is not one this module rewrites."""
    try:
        nodes = tuple(parse_tree(value))
    except TemplateSyntaxError as exc:
        raise _Refuse(f"the value does not parse on its own line ({exc.message})") from exc
    trim_left = value.startswith("{{-")
    trim_right = value.rstrip().endswith("-}}")
    if len(nodes) == 1 and isinstance(nodes[0], With):
        node = nodes[0]
        cmd = _single_pipe(node.pipe)
        key = None
        if cmd is not None:
            key = _vault_key(cmd.args[0]) if len(cmd.args) == 1 else _vault_key(cmd)
        if key is None:
            raise _Refuse("its {{ with }} tests something other than one Vault key")
        if node.else_body is None:
            fallback = None
        elif node.else_body:
            fallback = value[node.else_body[0].pos : node.else_body[-1].end]
        else:
            fallback = ""
        return Value(key, _compose(value, node.body), fallback, trim_left, trim_right)
    refs: list[tuple[int, int, str]] = []
    for action in nodes:
        if isinstance(action, Action):
            _refs(action.pipe, refs)
    keys = sorted({k for _, _, k in refs})
    expr = _compose(value, nodes)
    if len(keys) != 1:
        return Value(None, expr, None, trim_left, trim_right)
    return Value(keys[0], _dot_for(keys[0], expr), None, trim_left, trim_right)


# --------------------------------------------------------------------------- writing a value


def _go_unquote(text: str) -> str:
    """A fallback's literal value: ``"x"``/``'x'`` unquoted, bare text as is."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        try:
            return str(json.loads(stripped))
        except ValueError:
            return stripped[1:-1]
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == "'":
        return stripped[1:-1]
    return text


def _fallback(fallback: str | None, consumer: str) -> str:
    if fallback is not None and "{{" in fallback:
        return fallback  # the author's own template code: theirs to judge
    if consumer == DOCKER:
        return _go_unquote(fallback or "")
    if consumer == SHELL:
        return _go_unquote(fallback or "").replace("'", "'\\''")
    if fallback is None:
        return '""'
    bare = fallback.strip()
    if not bare or bare[0] in "\"'" or _SAFE_BARE.fullmatch(bare):
        return fallback
    return '"' + bare.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key_ref(key: str) -> str:
    return f".Data.data.{key}" if _IDENT.fullmatch(key) else f'index .Data.data "{key}"'


def render_value(value: Value, consumer: str) -> str:
    """The safe form of ``value`` for ``consumer``."""
    if consumer == DOCKER:
        out = value.expr
    elif consumer == SHELL:
        out = f"{value.expr} | {_SHELL_ESCAPE}"
    else:
        out = 'printf "%q" ' + _operand(value.expr)
    text = f"{{{{ {out} }}}}"
    if value.key is not None:
        fallback = _fallback(value.fallback, consumer)
        text = f"{{{{ with {_key_ref(value.key)} }}}}{text}{{{{ else }}}}{fallback}{{{{ end }}}}"
    if consumer == SHELL:
        text = f"'{text}'"
    if value.trim_left:
        text = text.replace("{{", "{{-", 1)
    if value.trim_right:
        head, _, tail = text.rpartition("}}")
        text = f"{head.rstrip()} -}}}}{tail}" if not head.endswith("-") else text
    return text


# --------------------------------------------------------------------------- the edits


def quote(plan: LinePlan, edit: Edit) -> str | None:
    line = plan.text(edit.line)
    found = _LINE.match(line)
    if found is None or found["name"] != edit.get("var"):
        return f"line {edit.line} is not {edit.get('var')}=…"
    consumer = edit.get("consumer")
    if consumer == SHELL and found["value"].startswith("'"):
        return "the value is already in single quotes; rewrite it by hand"
    try:
        value = read_value(found["value"])
    except _Refuse as why:
        return str(why)
    new = found["prefix"] + render_value(value, consumer)
    if new == line:
        return "the line already has the safe form this module writes"
    if not plan.put(edit.line, [new]):
        return "another fix changes the same line; run envssot fix again"
    return None


def add_var(plan: LinePlan, edit: Edit) -> str | None:
    """Render the var after line ``edit.line`` (the last var of its class in that block)."""
    var = edit.get("var")
    line = render_value(Value(var, "."), edit.get("consumer"))
    plan.insert_before(edit.line + 1, [f"{var}={line}"])
    return None


KINDS = frozenset({"template-quote", "template-add"})


def edit_template(text: str, edits: list[Edit]) -> tuple[str, list[str | None]]:
    """The new text, and per edit None (done) or why it was not done."""
    plan = LinePlan(text)
    results = [quote(plan, e) if e.kind == "template-quote" else add_var(plan, e) for e in edits]
    return plan.render(), results
