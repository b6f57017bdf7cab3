"""Composed template values: a fix that keeps what they render, and rendering them whole.

A composed value (``DATABASE_URL={{ printf "postgresql://app:%s@db%s/app" $pw $suffix }}``)
reads ``$variables`` bound elsewhere in the template, so it is rendered with the whole file
(:func:`render_var`), with every secret path answering the same synthetic data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pytest_envssot.gotemplate.parser import parse_tree
from pytest_envssot.gotemplate.tree import Node, NotModelled, TemplateSyntaxError
from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import TemplateFile, TemplateVar
from pytest_envssot.quoting import read_back
from pytest_envssot.readers.template import vault_references
from pytest_envssot.records import frozen

if TYPE_CHECKING:
    from pytest_envssot.gotemplate.execute import Secret

_ACTION = lazy_compile(r"\{\{(-?)(\s*)(.*?)(\s*)(-?)\}\}", re.S)
_NOT_OUTPUT = lazy_compile(
    r"(?:if|with|range|else|end|define|block|template|break|continue)\b|/\*|\$\w*\s*:?="
)
_QUOTED_LAST = lazy_compile(
    r"^(?P<expr>.*?)\s*\|\s*printf\s+\"%q\"$|^printf\s+\"%q\"\s+(?P<arg>.*)$", re.S
)


def _expression(source: str) -> str | None:
    """The value as one Go pipeline: ``"{{ P }}"`` -> ``P``; ``a{{ P }}b`` -> ``printf "a%vb" (P)``.

    None when the value holds anything but text and output actions (with/if, trim markers)."""
    text = source.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]  # literal quotes around the value: how it was written, not what it says
    pipes: list[str] = []
    fmt: list[str] = []
    pos = 0
    for m in _ACTION.finditer(text):
        pipe = m.group(3)
        if m.group(1) or m.group(5) or _NOT_OUTPUT.match(pipe):
            return None
        fmt.append(text[pos : m.start()].replace("%", "%%"))
        fmt.append("%v")
        pipes.append(pipe)
        pos = m.end()
    fmt.append(text[pos:].replace("%", "%%"))
    if not pipes or "{{" in text[pos:] or "}}" in text[pos:]:
        return None
    if len(pipes) == 1 and fmt[0] == "" and fmt[-1] == "":
        return pipes[0]
    args = " ".join(f"({p})" for p in pipes)
    return f"printf {json.dumps(''.join(fmt), ensure_ascii=False)} {args}"


def _unquoted(expr: str) -> str:
    """``P | printf "%q"`` / ``printf "%q" P`` -> ``P``."""
    m = _QUOTED_LAST.match(expr)
    if m is None:
        return expr
    return m.group("expr") if m.group("expr") is not None else f"({m.group('arg')})"


def compose_fix(var: TemplateVar, consumer: str) -> str | None:
    """The line quoted for ``consumer`` that renders the same composition, or None."""
    expr = _expression(var.value_source)
    if expr is None:
        return None
    expr = _unquoted(expr)
    prefix = ("export " if var.exported else "") + f"{var.name}="
    if consumer == "docker-env-file":
        return f"{prefix}{{{{ {expr} }}}}"
    if consumer == "posix-shell":
        return f"""{prefix}'{{{{ {expr} | replaceAll "'" "'\\\\''" }}}}'"""
    return f'{prefix}{{{{ {expr} | printf "%q" }}}}'


# --------------------------------------------------------------------------- rendering whole


@frozen(slots=False)
class SyntheticSources:
    """Every ``secret`` path answers the same KV v2 data; every ``env`` the same value."""

    values: Mapping[str, str]
    env_value: str = "staging"

    def env(self, name: str, line: int) -> str:
        del name, line
        return self.env_value

    def secret(self, path: str, line: int) -> Secret:
        from pytest_envssot.gotemplate.execute import Secret

        del line
        return Secret(path, {"data": {"data": dict(self.values)}})


def template_nodes(template: TemplateFile) -> list[Node]:
    """The parsed template; raises NotModelled when it does not parse on its own."""
    try:
        return parse_tree(template.source, template.path)
    except TemplateSyntaxError as exc:
        raise NotModelled(exc.message, exc.line) from None


def template_keys(nodes: list[Node]) -> list[str]:
    return list(dict.fromkeys(key for key, _ in vault_references(nodes)))


def render_var(
    nodes: list[Node],
    consumer: str,
    name: str,
    values: Mapping[str, str],
    env_value: str = "staging",
) -> str | None:
    """What ``consumer`` reads for ``name`` from the whole rendered file; raises NotModelled."""
    # The evaluator is loaded when something is rendered, not with the rules.
    from pytest_envssot.gotemplate.execute import Evaluation, ExecError

    try:
        text = Evaluation(SyntheticSources(values, env_value)).run(nodes)
    except ExecError as exc:
        raise NotModelled(f"Go would stop: {exc.message}", exc.line) from None
    return read_back(consumer, from_line_of(text, name), name)


def from_line_of(text: str, name: str) -> str:
    """The rendered file from the last line that assigns ``name``: the shell model reads one
    assignment (its value may run over several lines), the other consumers the whole file."""
    found = re.compile(rf"^(?:export[ \t]+)?{re.escape(name)}=", re.M)
    starts = [m.start() for m in found.finditer(text)]
    return text[starts[-1] :] if starts else text


# --------------------------------------------------------------------------- URL meaning

# Characters that end or change the URL component a value lands in, unless percent-encoded.
_RESERVED = {
    "userinfo": "@/?#%[] \t",
    "host": "@/?#%:[] \t",
    "path": "?#% \t",
    "query": "#% \t",
    "fragment": "% \t",
}
_WORDS = {
    "userinfo": "user or password",
    "host": "host",
    "path": "path",
    "query": "query",
    "fragment": "fragment",
}


def url_slot(text: str, marker: str) -> str | None:
    """Which component of the URL ``text`` holds ``marker`` (None: not a URL, or not found)."""
    if "://" not in text:
        return None
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
    except ValueError:
        return None
    userinfo, _, hostport = netloc.rpartition("@")
    for slot, piece in (
        ("userinfo", userinfo),
        ("host", hostport),
        ("path", parts.path),
        ("query", parts.query),
        ("fragment", parts.fragment),
    ):
        if marker in piece:
            return slot
    return None


def reserved_in(slot: str, value: str) -> str:
    """The characters of ``value`` that change the meaning of URL component ``slot``."""
    return "".join(dict.fromkeys(c for c in value if c in _RESERVED[slot]))


def reserved_chars(slot: str) -> str:
    return _RESERVED[slot]


def slot_words(slot: str) -> str:
    return _WORDS[slot]


def name_chars(chars: str) -> str:
    """``'@', '/', a blank`` (every blank named once)."""
    names = ("a blank" if not c.strip() else repr(c) for c in chars)
    return ", ".join(dict.fromkeys(names))
