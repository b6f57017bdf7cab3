"""Layer 1 reader: Vault Agent / consul-template templates (Go ``text/template``).

The Go language lives in :mod:`pytest_envssot.gotemplate`; :func:`parse_template` walks its
tree in source order and records every rendered ``NAME=`` line as a
:class:`~pytest_envssot.model.TemplateVar`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import NamedTuple

from pytest_envssot.gotemplate import tree as gt
from pytest_envssot.gotemplate.lexer import _Lines
from pytest_envssot.gotemplate.parser import parse_tree
from pytest_envssot.model import Location, ReaderError, SecretBlock, TemplateFile, TemplateVar
from pytest_envssot.readers._io import read_file
from pytest_envssot.records import mutable

__all__ = ["parse_template", "read_template", "vault_references"]


def _vault_key(names: tuple[str, ...]) -> str | None:
    """``Data.data.KEY...`` -> KEY (KV v2 layout)."""
    return names[2] if len(names) >= 3 and names[0] == "Data" and names[1] == "data" else None


def _fields_of(arg: gt.Operand) -> tuple[str, ...] | None:
    if isinstance(arg, gt.Field):
        return arg.names
    if isinstance(arg, (gt.Variable, gt.Chain)):
        return arg.fields
    return None


def _index_key(cmd: gt.Command) -> gt.String | None:
    """``index .Data.data "KEY"`` -> the "KEY" literal."""
    args = cmd.args
    if len(args) < 3 or not isinstance(args[0], gt.Identifier) or args[0].name != "index":
        return None
    if _fields_of(args[1]) == ("Data", "data") and isinstance(args[2], gt.String):
        return args[2]
    return None


def _operand_refs(arg: gt.Operand, out: list[tuple[str, int]]) -> None:
    key = None
    fields = _fields_of(arg)
    if fields is not None:
        key = _vault_key(fields)
    if key is not None:
        out.append((key, arg.fields_line if isinstance(arg, gt.Chain) else arg.line))
    if isinstance(arg, gt.Chain):
        _operand_refs(arg.node, out)
    elif isinstance(arg, gt.Pipeline):
        _pipeline_refs(arg, out)


def _pipeline_refs(pipe: gt.Pipeline, out: list[tuple[str, int]]) -> None:
    for cmd in pipe.commands:
        literal = _index_key(cmd)
        if literal is not None:
            out.append((literal.value, literal.line))
        for arg in cmd.args:
            _operand_refs(arg, out)


def _collect_refs(nodes: Sequence[gt.Node], out: list[tuple[str, int]]) -> None:
    for node in nodes:
        pipe = (
            node.pipe
            if isinstance(node, (gt.Action, gt.If, gt.With, gt.Range, gt.Block, gt.TemplateCall))
            else None
        )
        if pipe is not None:
            _pipeline_refs(pipe, out)
        if isinstance(node, (gt.If, gt.With, gt.Range, gt.Define, gt.Block)):
            _collect_refs(node.body, out)
        if isinstance(node, (gt.If, gt.With, gt.Range)) and node.else_body:
            _collect_refs(node.else_body, out)


def vault_references(nodes: Sequence[gt.Node]) -> list[tuple[str, int]]:
    """Every Vault key the template reads, syntactically, with the line of the reference.

    ``.Data.data.KEY`` (also on ``$var`` and ``(...)``) and ``index .Data.data "KEY"``,
    in source order. The differential test compares this with Go's own parse tree.
    """
    out: list[tuple[str, int]] = []
    _collect_refs(nodes, out)
    return out


# =========================================================================== reader

_KEY_LINE = re.compile(r"[ \t]*(?:(export)[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=")
_NOT_KEY_CHAR = re.compile(r"[^A-Za-z0-9_ \t]")
_MAX_PREFIX = 256  # longer than any `export NAME=`; bounds the work on one line


@mutable
class _Draft:
    """A TemplateVar under construction; its line may continue through several nodes."""

    name: str
    line: int
    exported: bool
    block: SecretBlock | None
    conditional: bool
    value_start: int
    value_end: int
    keys: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    outputs: list[tuple[bool, bool]] = field(default_factory=list)  # (reads Vault, via %q)
    fallback: str | None = None
    whole: list[bool] = field(default_factory=list)  # per Vault output: exactly one key's value
    literal: list[str] = field(default_factory=list)  # text of the value outside any fallback


class _LineState(NamedTuple):
    """The output line being rendered: a var once ``NAME=`` is seen, else undecided text."""

    draft: _Draft | None = None
    decided: bool = False  # NAME= found (draft) or ruled out
    prefix: str = ""  # literal text since the line began, while undecided
    pieces: tuple[tuple[int, int], ...] = ()  # (offset in prefix, source offset) per chunk


class _Ctx(NamedTuple):
    dot: tuple[str, ...]  # Vault keys the current dot derives from
    block: SecretBlock | None
    conditional: bool
    dot_whole: bool = False  # dot is exactly one Vault key's value ({{ with .Data.data.K }})


class _Val(NamedTuple):
    """What a ``$variable`` holds, statically: the Vault keys and env names it derives from."""

    keys: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    whole: bool = False  # exactly one Vault key's value

    def union(self, other: _Val) -> _Val:
        """After ``$x = ...`` inside an if, either value may reach the uses below."""
        return _Val(
            tuple(dict.fromkeys(self.keys + other.keys)),
            tuple(dict.fromkeys(self.env + other.env)),
            self.whole and other.whole and self.keys == other.keys,
        )


class _Reads(NamedTuple):
    keys: list[str]
    env: list[str]


class _Walker:
    """Finds rendered ``NAME=`` lines by walking the tree in source order.

    Each branch of an if/with/range renders from the same point of the line, so the line
    state is restored at ``{{ else }}``. Dot and ``$variables`` are tracked as the Vault
    keys and ``env`` names they derive from, so ``{{ with .Data.data.K }}{{ . }}`` reads K and
    ``{{ $env := env "ENV" }}…(printf "…/%s/app" $env)`` reads ENV. Variables follow Go's
    scoping: ``:=`` declares until the ``{{ end }}`` of the enclosing action, ``=`` assigns
    the declared one (kept as either value after a conditional assignment).
    """

    def __init__(self, src: str, rel: str) -> None:
        self._src = src
        self._rel = rel
        self._lines = _Lines(src)
        self._state = _LineState()
        self._drafts: list[_Draft] = []
        self._blocks: list[SecretBlock] = []
        self._bindings: dict[str, list[_Val]] = {}
        self._bound: list[str] = []
        self._fallback_depth = 0  # inside the {{ else }} of a branch on the current var's line

    def run(self, nodes: Sequence[gt.Node]) -> TemplateFile:
        self._walk(nodes, _Ctx((), None, False))
        self._line_end(len(self._src))
        return TemplateFile(
            path=self._rel,
            blocks=tuple(self._blocks),
            vars=tuple(self._finish(d) for d in self._drafts),
            source=self._src,
        )

    # ------------------------------------------------------------------ nodes

    def _walk(self, nodes: Sequence[gt.Node], ctx: _Ctx) -> None:
        for node in nodes:
            if isinstance(node, gt.Text):
                self._text(node, ctx)
            elif isinstance(node, gt.Action):
                self._action(node, ctx)
            elif isinstance(node, (gt.If, gt.With, gt.Range)):
                self._branch(node, ctx)
            elif isinstance(node, gt.TemplateCall):
                reads = self._read(node.pipe, ctx) if node.pipe else _Reads([], [])
                self._output(bool(reads.keys), quoted=False, whole=False, end=node.end)
            elif isinstance(node, gt.Define):
                self._define(node)
            elif isinstance(node, gt.Block):
                self._block(node, ctx)
            # Comment, Break, Continue render nothing

    def _action(self, node: gt.Action, ctx: _Ctx) -> None:
        reads = self._read(node.pipe, ctx)
        whole = self._whole(node.pipe, ctx)
        if node.pipe.decl:  # {{ $x := ... }} / {{ $x = ... }} prints nothing
            self._bind(node.pipe, _Val(tuple(reads.keys), tuple(reads.env), whole))
            self._touch(node.end)
        else:
            self._output(bool(reads.keys), _is_quoted(node.pipe), whole, node.end)

    def _branch(self, node: gt.If | gt.With | gt.Range, ctx: _Ctx) -> None:
        reads = self._read(node.pipe, ctx)
        draft = self._state.draft
        if draft is not None and node.else_body is not None and draft.fallback is None:
            draft.fallback = self._source_of(node.else_body)
        mark = len(self._bound)
        keys = tuple(reads.keys)
        whole = isinstance(node, gt.With) and self._whole(node.pipe, ctx)
        self._bind(node.pipe, _Val(keys, tuple(reads.env), whole))
        body_ctx, else_ctx = self._branch_contexts(node, ctx, keys)
        if whole:
            body_ctx = body_ctx._replace(dot_whole=True)
        snapshot = self._state
        self._walk(node.body, body_ctx)
        if node.else_body is not None:
            self._state = snapshot
            fallback = draft is not None and snapshot.draft is draft
            self._fallback_depth += fallback
            self._walk(node.else_body, else_ctx)
            self._fallback_depth -= fallback
        self._unbind(mark)
        if self._state.draft is not None and self._state.draft is snapshot.draft:
            self._touch(node.end)  # the {{ end }} closes a block inside this var's value

    def _branch_contexts(
        self, node: gt.If | gt.With | gt.Range, ctx: _Ctx, keys: tuple[str, ...]
    ) -> tuple[_Ctx, _Ctx]:
        """Contexts of the body and the else branch; only a secret's body is unconditional."""
        else_ctx = ctx._replace(conditional=True)
        if isinstance(node, gt.If):
            return else_ctx, else_ctx
        if isinstance(node, gt.With):
            block = self._secret_block(node)
            if block is not None:
                self._blocks.append(block)
                return _Ctx((), block, ctx.conditional), else_ctx
        return _Ctx(keys, ctx.block, True), else_ctx

    def _define(self, node: gt.Define) -> None:
        """A define renders only where it is invoked: its own lines, all conditional."""
        saved, mark = self._state, len(self._bound)
        self._state = _LineState()
        self._walk(node.body, _Ctx((), None, True))
        self._line_end(node.body[-1].end if node.body else node.end)
        self._state = saved
        self._unbind(mark)

    def _block(self, node: gt.Block, ctx: _Ctx) -> None:
        reads = self._read(node.pipe, ctx)
        mark, draft = len(self._bound), self._state.draft
        self._walk(node.body, ctx._replace(dot=tuple(reads.keys)))
        self._unbind(mark)
        if draft is not None and self._state.draft is draft:
            self._touch(node.end)

    # ------------------------------------------------------------------ text and lines

    def _text(self, node: gt.Text, ctx: _Ctx) -> None:
        text, start = node.text, 0
        while True:
            nl = text.find("\n", start)
            stop = len(text) if nl < 0 else nl
            if stop > start:
                self._chunk(text[start:stop], node.pos + start, ctx)
            if nl < 0:
                return
            self._line_end(node.pos + nl)
            start = nl + 1

    def _chunk(self, chunk: str, pos: int, ctx: _Ctx) -> None:
        """Literal text on the current line (no newline inside)."""
        state = self._state
        if state.draft is not None:
            state.draft.value_end = pos + len(chunk)
            if not self._fallback_depth:
                state.draft.literal.append(chunk)
            return
        if state.decided:
            return
        eq = chunk.find("=")
        head = chunk if eq < 0 else chunk[:eq]
        if _NOT_KEY_CHAR.search(head) or len(state.prefix) + len(head) > _MAX_PREFIX:
            self._state = _LineState(decided=True)
            return
        prefix = state.prefix + head + ("=" if eq >= 0 else "")
        pieces = (*state.pieces, (len(state.prefix), pos))
        if eq < 0:
            self._state = _LineState(prefix=prefix, pieces=pieces)
            return
        m = _KEY_LINE.fullmatch(prefix)
        if m is None:
            self._state = _LineState(decided=True)
            return
        name_at = max(p for p in pieces if p[0] <= m.start(2))
        line = self._lines.of(name_at[1] + m.start(2) - name_at[0])
        draft = _Draft(
            name=m.group(2),
            line=line,
            exported=m.group(1) is not None,
            block=ctx.block,
            conditional=ctx.conditional,
            value_start=pos + eq + 1,
            value_end=pos + len(chunk),
            literal=[chunk[eq + 1 :]],
        )
        self._drafts.append(draft)
        self._state = _LineState(draft=draft, decided=True)

    def _line_end(self, pos: int) -> None:
        if self._state.draft is not None:
            self._state.draft.value_end = pos
        self._state = _LineState()

    def _touch(self, end: int) -> None:
        if self._state.draft is not None:
            self._state.draft.value_end = end

    def _output(self, reads_vault: bool, quoted: bool, whole: bool, end: int) -> None:
        """An action printed something: part of a var's value, or a line that is no var."""
        draft = self._state.draft
        if draft is not None:
            draft.outputs.append((reads_vault, quoted))
            if reads_vault:
                draft.whole.append(whole)
            draft.value_end = end
        elif not self._state.decided:
            self._state = _LineState(decided=True)

    # ------------------------------------------------------------------ expressions

    def _read(self, pipe: gt.Pipeline, ctx: _Ctx) -> _Reads:
        """Vault keys and env names a pipeline reads; credited to the current var."""
        reads = _Reads([], [])
        self._pipe_reads(pipe, ctx.dot, reads)
        draft = self._state.draft
        if draft is not None:
            draft.keys.extend(reads.keys)
            draft.env.extend(reads.env)
        return reads

    def _pipe_reads(self, pipe: gt.Pipeline, dot: tuple[str, ...], reads: _Reads) -> None:
        for cmd in pipe.commands:
            literal = _index_key(cmd)
            if literal is not None:
                reads.keys.append(literal.value)
            env = _env_name(cmd)
            if env is not None:
                reads.env.append(env)
            for arg in cmd.args:
                self._operand_reads(arg, dot, reads)

    def _operand_reads(self, arg: gt.Operand, dot: tuple[str, ...], reads: _Reads) -> None:
        if isinstance(arg, gt.Pipeline):
            self._pipe_reads(arg, dot, reads)
            return
        if isinstance(arg, gt.Chain):
            self._operand_reads(arg.node, dot, reads)
        fields = _fields_of(arg)
        key = None if fields is None else _vault_key(fields)
        if key is not None:
            reads.keys.append(key)
        elif isinstance(arg, gt.Variable):
            val = self._lookup(arg.name)
            reads.keys.extend(val.keys)
            reads.env.extend(val.env)
        elif isinstance(arg, (gt.Dot, gt.Field)):
            reads.keys.extend(dot)  # .X under {{ with .Data.data.K }} derives from K

    def _bind(self, pipe: gt.Pipeline, val: _Val) -> None:
        for var in pipe.decl:
            stack = self._bindings.setdefault(var.name, [])
            if pipe.is_assign and stack:  # `=` changes the variable declared further out
                stack[-1] = stack[-1].union(val)
                continue
            stack.append(val)
            self._bound.append(var.name)

    def _unbind(self, mark: int) -> None:
        while len(self._bound) > mark:
            self._bindings[self._bound.pop()].pop()

    def _lookup(self, name: str) -> _Val:
        stack = self._bindings.get(name)
        return stack[-1] if stack else _Val()

    def _whole(self, pipe: gt.Pipeline, ctx: _Ctx) -> bool:
        """The pipeline's value is exactly one Vault key's value, perhaps through printf "%q"."""
        inner = _single(pipe)
        if inner is not None:
            return self._whole(inner, ctx)
        commands = pipe.commands
        if len(commands) == 2 and _is_quote_command(commands[1]) and len(commands[1].args) == 2:
            commands = commands[:1]
        if len(commands) != 1:
            return False
        cmd = commands[0]
        if _index_key(cmd) is not None:
            return len(cmd.args) == 3
        args = cmd.args
        if len(args) == 3 and _is_quote_command(cmd):
            args = args[2:]
        return len(args) == 1 and self._whole_operand(args[0], ctx)

    def _whole_operand(self, arg: gt.Operand, ctx: _Ctx) -> bool:
        if isinstance(arg, gt.Pipeline):
            return self._whole(arg, ctx)
        if isinstance(arg, gt.Field):
            return _vault_key(arg.names) is not None and len(arg.names) == 3
        if isinstance(arg, gt.Dot):
            return ctx.dot_whole
        if isinstance(arg, gt.Variable):
            val = self._lookup(arg.name)
            return (val.whole and not arg.fields) or (
                _vault_key(arg.fields) is not None and len(arg.fields) == 3
            )
        return False

    # ------------------------------------------------------------------ results

    def _source_of(self, nodes: tuple[gt.Node, ...]) -> str:
        return self._src[nodes[0].pos : nodes[-1].end] if nodes else ""

    def _secret_block(self, node: gt.With) -> SecretBlock | None:
        arg = _secret_arg(node.pipe)
        if arg is None:
            return None
        if isinstance(arg, gt.Pipeline) and arg.parenthesized:
            expr = self._src[arg.pos + 1 : arg.end - 1].strip()
        else:
            expr = self._src[arg.pos : arg.end]
        env: list[str] = []
        if isinstance(arg, gt.Pipeline):
            reads = _Reads([], env)
            self._pipe_reads(arg, (), reads)
        return SecretBlock(
            location=Location(self._rel, node.line),
            path_expr=expr,
            path_format=_path_format(arg),
            path_env=tuple(dict.fromkeys(env)),
        )

    def _finish(self, d: _Draft) -> TemplateVar:
        vault_outputs = [quoted for reads_vault, quoted in d.outputs if reads_vault]
        # Quotes around the value and blanks are how it is written, not part of what it says.
        text = "".join(d.literal).strip().strip("\"'").strip()
        return TemplateVar(
            name=d.name,
            location=Location(self._rel, d.line),
            block=d.block,
            vault_keys=tuple(dict.fromkeys(d.keys)),
            quoted=bool(vault_outputs) and all(vault_outputs),
            fallback=d.fallback,
            env_refs=tuple(dict.fromkeys(d.env)),
            exported=d.exported,
            conditional=d.conditional,
            value_source=self._src[d.value_start : d.value_end].rstrip("\r"),
            whole=all(d.whole) and not text,
        )


def _env_name(cmd: gt.Command) -> str | None:
    args = cmd.args
    if len(args) >= 2 and isinstance(args[0], gt.Identifier) and args[0].name == "env":
        return args[1].value if isinstance(args[1], gt.String) else None
    return None


def _single(pipe: gt.Pipeline) -> gt.Pipeline | None:
    """``(p)`` used as a whole command -> p."""
    if len(pipe.commands) == 1 and len(pipe.commands[0].args) == 1:
        inner = pipe.commands[0].args[0]
        if isinstance(inner, gt.Pipeline) and not inner.decl:
            return inner
    return None


def _is_quoted(pipe: gt.Pipeline) -> bool:
    """The pipeline's value goes through ``printf "%q"`` last."""
    inner = _single(pipe)
    if inner is not None:
        return _is_quoted(inner)
    return _is_quote_command(pipe.commands[-1])


def _is_quote_command(cmd: gt.Command) -> bool:
    """``printf "%q" ...``."""
    args = cmd.args
    return (
        len(args) >= 2
        and isinstance(args[0], gt.Identifier)
        and args[0].name == "printf"
        and isinstance(args[1], gt.String)
        and args[1].value == "%q"
    )


def _secret_arg(pipe: gt.Pipeline) -> gt.Operand | None:
    """The path operand of ``secret PATH`` / ``PATH | secret`` / ``(secret PATH)``."""
    inner = _single(pipe)
    if inner is not None:
        return _secret_arg(inner)
    first = pipe.commands[0].args
    if isinstance(first[0], gt.Identifier) and first[0].name == "secret":
        return first[1] if len(first) >= 2 else None
    if len(pipe.commands) >= 2 and len(first) == 1:
        second = pipe.commands[1].args
        if len(second) == 1 and isinstance(second[0], gt.Identifier) and second[0].name == "secret":
            return first[0]
    return None


def _path_format(arg: gt.Operand) -> str | None:
    if isinstance(arg, gt.String):
        return arg.value
    if isinstance(arg, gt.Pipeline):
        inner = _single(arg) or arg
        args = inner.commands[0].args
        if len(args) >= 2 and isinstance(args[0], gt.Identifier) and args[0].name == "printf":
            return args[1].value if isinstance(args[1], gt.String) else None
    return None


# =========================================================================== entry points


def parse_template(text: str, rel: str) -> TemplateFile:
    """Read a template's secret blocks and rendered vars; never raises."""
    try:
        return _Walker(text, rel).run(parse_tree(text, rel))
    except gt.TemplateSyntaxError as exc:
        return TemplateFile(path=rel, error=ReaderError(Location(rel, exc.line), exc.message))
    except Exception as exc:  # a reader bug must fail one item, not the whole collection
        # Only the type: the exception's text could quote a value.
        message = f"internal error in the template reader ({type(exc).__name__})"
        return TemplateFile(path=rel, error=ReaderError(Location(rel, 0), message))


def read_template(path: Path, rel: str) -> TemplateFile:
    """Read and parse ``path``; never raises."""
    return read_file(path, rel, parse_template, lambda error: TemplateFile(path=rel, error=error))
