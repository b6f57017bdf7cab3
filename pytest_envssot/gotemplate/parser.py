"""Go ``text/template`` parser: a port of Go's ``text/template/parse`` (same acceptance,
checked differentially against Go in ``tests/test_template_vs_go.py``). Open blocks and
parentheses live on explicit stacks, so parsing is linear in the input.
"""

from __future__ import annotations

from dataclasses import field

from pytest_envssot.gc_threshold import fewer_collections
from pytest_envssot.gotemplate import tree as gt
from pytest_envssot.gotemplate.lexer import (
    _TERM_KINDS,
    Shape,
    _lex,
    _Lines,
    _new_tok,
    _number_value,
    _Tok,
    _unquote,
)
from pytest_envssot.gotemplate.simple import Simple, build_pipe, simple_action
from pytest_envssot.records import mutable


class _Stream:
    """Tokens with Go's peek/backup. A lexical error stands after the last token lexed: it
    is raised when the parser reads past that token, where a lazy lexer would have raised."""

    def __init__(self, lexed: tuple[list[_Tok], gt.TemplateSyntaxError | None]) -> None:
        self._tokens, self._error = lexed
        self._at = 0
        self._back: list[_Tok] = []  # pushed-back tokens, next one last

    def next(self) -> _Tok:
        if self._back:
            return self._back.pop()
        at = self._at
        if at < len(self._tokens):
            tok = self._tokens[at]
            if tok.kind != "eof":  # eof repeats
                self._at = at + 1
            return tok
        assert self._error is not None  # the list ends in eof unless lexing failed
        raise self._error

    def backup(self, tok: _Tok) -> None:
        self._back.append(tok)

    def insert(self, tokens: list[_Tok]) -> None:
        """Read ``tokens`` next, before the rest."""
        self._back += reversed(tokens)

    def peek(self) -> _Tok:
        if self._back:
            return self._back[-1]
        if self._at < len(self._tokens):
            return self._tokens[self._at]
        assert self._error is not None
        raise self._error

    def next_non_space(self) -> _Tok:
        # next() inlined: the parser asks for the next non-space token ~5 times an action.
        back = self._back
        while back:
            tok = back.pop()
            if tok.kind != "space":
                return tok
        tokens, at = self._tokens, self._at
        while at < len(tokens):
            tok = tokens[at]
            if tok.kind != "eof":
                at += 1
            if tok.kind != "space":
                self._at = at
                return tok
        self._at = at
        assert self._error is not None
        raise self._error

    def peek_non_space(self) -> _Tok:
        tok = self.next_non_space()
        self.backup(tok)
        return tok


@mutable
class _Open:
    """A block whose ``{{ end }}`` has not been seen yet."""

    kind: str  # root | if | with | range | define | block
    pos: int  # of its {{
    pipe: gt.Pipeline | None = None
    name: str = ""
    body: list[gt.Node] = field(default_factory=list)
    else_body: list[gt.Node] | None = None
    implicit: bool = False  # opened by {{ else if }}: closed by its parent's {{ end }}
    vars_mark: int = 0
    saved: tuple[list[str], dict[str, int], int] | None = None  # define/block: outer scope

    @property
    def items(self) -> list[gt.Node]:
        return self.body if self.else_body is None else self.else_body


@mutable
class _PipeBuild:
    """A pipeline being parsed; one per open parenthesis."""

    context: str
    start: _Tok  # first token, or the "(" of a parenthesized pipeline
    decl: list[gt.Variable] = field(default_factory=list)
    is_assign: bool = False
    commands: list[gt.Command] = field(default_factory=list)
    args: list[gt.Operand] = field(default_factory=list)  # the command being parsed


_DESCRIBE = {"rdelim": "}}", "eof": "end of file", "(": "(", ")": ")"}


class _Parser:
    def __init__(self, src: str, simple: bool = True) -> None:
        self._src = src
        self._lines = _Lines(src)
        self._shapes: dict[str, Shape | None] = {}
        self._ts = _Stream(_lex(src, self._lines, self._shapes))
        # action text -> its Simple form (None: the parser's), built on first sight
        self._simple: dict[str, Simple | None] = {} if simple else dict.fromkeys(self._shapes)
        self._vars: list[str] = ["$"]  # declared variables in scope, in order (Go's t.vars)
        self._var_count: dict[str, int] = {"$": 1}  # the same as a multiset, for O(1) lookup
        self._range_depth = 0  # open range bodies: {{ break }} and {{ continue }} need one
        self._stack = [_Open("root", 0)]
        self._defined: dict[str, bool] = {}  # define/block name -> has a non-empty body

    # ------------------------------------------------------------------ helpers

    def _err(self, pos: int, message: str) -> gt.TemplateSyntaxError:
        return gt.TemplateSyntaxError(self._lines.of(pos), message)

    def _unexpected(self, tok: _Tok, context: str) -> gt.TemplateSyntaxError:
        shown = _DESCRIBE.get(tok.kind, tok.val)
        return self._err(tok.pos, f"unexpected {shown!r} in {context}")

    def _expect_rdelim(self, context: str) -> _Tok:
        tok = self._ts.next_non_space()
        if tok.kind != "rdelim":
            raise self._unexpected(tok, context)
        return tok

    def _declare(self, name: str) -> None:
        self._vars.append(name)
        self._var_count[name] = self._var_count.get(name, 0) + 1

    def _pop_vars(self, mark: int) -> None:
        while len(self._vars) > mark:
            name = self._vars.pop()
            self._var_count[name] -= 1

    def _nesting_check(self, pos: int, parens: int = 0) -> None:
        if len(self._stack) + parens > gt.MAX_NESTING:
            raise self._err(pos, f"nesting deeper than {gt.MAX_NESTING}")

    # ------------------------------------------------------------------ top level

    def parse(self) -> list[gt.Node]:
        while True:
            tok = self._ts.next()
            if tok.kind == "eof":
                return self._finish()
            if tok.kind == "text":
                self._append(gt.Text(tok.pos, self._lines.of(tok.pos), tok.end, tok.val))
            elif tok.kind == "action":
                self._shaped_action(tok)
            elif tok.kind == "comment":
                self._append(gt.Comment(tok.pos, self._lines.of(tok.pos), tok.end, tok.val))
            else:  # ldelim: the lexer emits nothing else outside actions
                self._action(tok)

    def _finish(self) -> list[gt.Node]:
        if len(self._stack) > 1:
            open_ = next(o for o in reversed(self._stack) if not o.implicit)
            raise self._err(open_.pos, f"{{{{ {open_.kind} }}}} has no matching {{{{ end }}}}")
        return self._stack[0].body

    def _append(self, node: gt.Node) -> None:
        self._stack[-1].items.append(node)

    def _shaped_action(self, tok: _Tok) -> None:
        """An action the lexer read whole: built from its :class:`Simple` form when it has
        one, else its tokens go through :meth:`_action`."""
        text = tok.val
        inner = tok.end - len(text)  # after the {{ and any trim marker
        if text in self._simple:
            simple = self._simple[text]
        else:
            shape = self._shapes[text]
            simple = self._simple[text] = None if shape is None else simple_action(shape[0])
        if simple is not None and "\n" not in self._src[tok.pos : inner]:
            self._simple_action(tok.pos, tok.end, inner, simple)
            return
        shape = self._shapes[text]
        assert shape is not None  # the lexer makes action tokens of shapes only
        self._ts.insert([_new_tok(_Tok, (k, a + inner, b + inner, v)) for k, a, b, v in shape[0]])
        self._action(_Tok("ldelim", tok.pos, inner, "{{"))

    def _simple_action(self, pos: int, end: int, inner: int, simple: Simple) -> None:
        keyword = simple.keyword
        if keyword == "end":
            self._close(pos, end)
        elif keyword == "else":
            self._start_else(pos)
        elif keyword:
            self._nesting_check(pos)
            pipe = build_pipe(simple.commands, inner, self._lines.of(pos))
            self._push_control(pos, keyword, pipe, len(self._vars))
        else:
            line = self._lines.of(pos)
            self._append(gt.Action(pos, line, end, build_pipe(simple.commands, inner, line)))

    def _action(self, ldelim: _Tok) -> None:
        tok = self._ts.next_non_space()
        kind = tok.kind
        if kind == "define" and len(self._stack) == 1:
            self._open_named(ldelim, "define", "define clause")
        elif kind in ("if", "with", "range"):
            self._open_control(ldelim, kind)
        elif kind == "else":
            self._else(ldelim)
        elif kind == "end":
            self._close(ldelim.pos, self._expect_rdelim("end").end)
        elif kind in ("break", "continue"):
            self._loop_control(ldelim, kind)
        elif kind == "template":
            self._template(ldelim)
        elif kind == "block":
            self._open_named(ldelim, "block", "block clause")
        else:
            self._ts.backup(tok)
            pipe, rdelim = self._pipeline("command")
            self._append(gt.Action(ldelim.pos, self._lines.of(ldelim.pos), rdelim.end, pipe))

    def _loop_control(self, ldelim: _Tok, kind: str) -> None:
        rdelim = self._expect_rdelim(f"{{{{ {kind} }}}}")
        if not self._range_depth:
            raise self._err(ldelim.pos, f"{{{{ {kind} }}}} outside {{{{ range }}}}")
        node_type = gt.Break if kind == "break" else gt.Continue
        self._append(node_type(ldelim.pos, self._lines.of(ldelim.pos), rdelim.end))

    def _template_name(self, context: str) -> str:
        tok = self._ts.next_non_space()
        if tok.kind != "string":
            raise self._unexpected(tok, context)
        return self._string(tok).value

    def _template(self, ldelim: _Tok) -> None:
        name = self._template_name("template clause")
        pipe: gt.Pipeline | None = None
        rdelim = self._ts.next_non_space()
        if rdelim.kind != "rdelim":
            self._ts.backup(rdelim)
            pipe, rdelim = self._pipeline("template clause")
        line = self._lines.of(ldelim.pos)
        self._append(gt.TemplateCall(ldelim.pos, line, rdelim.end, name, pipe))

    # ------------------------------------------------------------------ blocks

    def _open_control(self, ldelim: _Tok, kind: str, implicit: bool = False) -> None:
        self._nesting_check(ldelim.pos)
        mark = len(self._vars)  # the pipeline's own variables end with the block
        pipe, _ = self._pipeline(kind)
        self._push_control(ldelim.pos, kind, pipe, mark, implicit)

    def _push_control(
        self, pos: int, kind: str, pipe: gt.Pipeline, mark: int, implicit: bool = False
    ) -> None:
        if kind == "range":
            self._range_depth += 1
        self._stack.append(_Open(kind, pos, pipe, implicit=implicit, vars_mark=mark))

    def _open_named(self, ldelim: _Tok, kind: str, context: str) -> None:
        """define/block: a separate Go tree, so variables and range depth start afresh."""
        self._nesting_check(ldelim.pos)
        name = self._template_name(context)
        pipe = None
        if kind == "block":
            pipe, _ = self._pipeline(context)
        else:
            self._expect_rdelim(context)
        saved = (self._vars, self._var_count, self._range_depth)
        self._vars, self._var_count, self._range_depth = ["$"], {"$": 1}, 0
        self._stack.append(_Open(kind, ldelim.pos, pipe, name=name, saved=saved))

    def _else(self, ldelim: _Tok) -> None:
        open_ = self._stack[-1]
        chained = self._ts.peek_non_space()
        # {{ else if }} (Go) and {{ else with }} (Go 1.23+) continue the same chain
        chain = chained.kind in ("if", "with") and chained.kind == open_.kind
        if chain:
            self._ts.next_non_space()
        else:
            self._expect_rdelim("else")
        self._start_else(ldelim.pos)
        if chain:
            self._open_control(ldelim, chained.kind, implicit=True)

    def _start_else(self, pos: int) -> None:
        open_ = self._stack[-1]
        if open_.kind not in ("if", "with", "range") or open_.else_body is not None:
            raise self._err(pos, "unexpected {{ else }}")
        open_.else_body = []
        if open_.kind == "range":
            self._range_depth -= 1

    def _close(self, pos: int, end: int) -> None:
        if len(self._stack) == 1:
            raise self._err(pos, "unexpected {{ end }}: no block is open")
        while True:
            open_ = self._stack.pop()
            self._append(self._build(open_, end))
            if not open_.implicit:
                return

    def _build(self, open_: _Open, end: int) -> gt.Node:
        pos, line = open_.pos, self._lines.of(open_.pos)
        body = tuple(open_.body)
        if open_.saved is not None:  # define / block
            self._vars, self._var_count, self._range_depth = open_.saved
            self._register(open_, body)
            if open_.kind == "define":
                return gt.Define(pos, line, end, open_.name, body)
            assert open_.pipe is not None
            return gt.Block(pos, line, end, open_.name, open_.pipe, body)
        if open_.kind == "range" and open_.else_body is None:
            self._range_depth -= 1
        self._pop_vars(open_.vars_mark)
        else_body = None if open_.else_body is None else tuple(open_.else_body)
        assert open_.pipe is not None
        if open_.kind == "if":
            return gt.If(pos, line, end, open_.pipe, body, else_body)
        if open_.kind == "with":
            return gt.With(pos, line, end, open_.pipe, body, else_body)
        return gt.Range(pos, line, end, open_.pipe, body, else_body)

    def _register(self, open_: _Open, body: tuple[gt.Node, ...]) -> None:
        """Go's Tree.add: a name may be defined twice only if one definition is empty."""
        empty = all(
            isinstance(n, gt.Comment) or (isinstance(n, gt.Text) and not n.text.strip())
            for n in body
        )
        if not empty and self._defined.get(open_.name):
            raise self._err(open_.pos, f"template {open_.name!r} is defined twice")
        self._defined[open_.name] = self._defined.get(open_.name, False) or not empty

    # ------------------------------------------------------------------ pipelines

    def _pipeline(self, context: str) -> tuple[gt.Pipeline, _Tok]:
        """Parse up to and including ``}}``; parentheses use an explicit stack, not recursion."""
        stack = [self._start_pipe(context, self._ts.peek_non_space())]
        while True:
            top = stack[-1]
            tok = self._ts.next_non_space()
            if tok.kind == "(":
                self._nesting_check(tok.pos, len(stack))
                stack.append(self._start_pipe("parenthesized pipeline", tok))
            elif tok.kind in _TERM_KINDS:
                self._operand(top, self._term(tok))
            elif tok.kind == ("rdelim" if len(stack) == 1 else ")"):
                pipe = self._end_pipe(stack.pop(), tok)
                if not stack:
                    return pipe, tok
                self._operand(stack[-1], pipe)
            elif tok.kind == "pipe" and top.args:
                self._end_command(top)
            else:
                raise self._unexpected(tok, top.context)

    def _start_pipe(self, context: str, start: _Tok) -> _PipeBuild:
        build = _PipeBuild(context, start)
        self._declarations(build)
        return build

    def _declarations(self, build: _PipeBuild) -> None:
        """``$x :=``, ``$x =`` or, in range, ``$i, $v :=`` (Go needs 3-token look-ahead here)."""
        ts = self._ts
        while ts.peek_non_space().kind == "var":
            var = ts.next_non_space()
            after = ts.peek()
            nxt = ts.peek_non_space()
            if nxt.kind in ("assign", "declare"):
                ts.next_non_space()
                build.is_assign = nxt.kind == "assign"
                self._add_decl(build, var)
                return
            if nxt.kind == "char" and nxt.val == ",":
                ts.next_non_space()
                self._add_decl(build, var)
                if build.context == "range" and len(build.decl) < 2:
                    if ts.peek_non_space().kind in ("var", "rdelim", ")"):
                        continue
                    raise self._err(nxt.pos, "range can only initialize variables")
                raise self._err(nxt.pos, f"too many declarations in {build.context}")
            if after.kind == "space":
                ts.backup(after)
            ts.backup(var)
            return

    def _add_decl(self, build: _PipeBuild, var: _Tok) -> None:
        build.decl.append(gt.Variable(var.pos, self._lines.of(var.pos), var.end, var.val, ()))
        self._declare(var.val)

    def _operand(self, build: _PipeBuild, term: gt.Operand) -> None:
        """Attach ``.field`` chains, then require a separator (Go's command loop)."""
        build.args.append(self._chain(term))
        tok = self._ts.next()
        if tok.kind in ("rdelim", ")"):
            self._ts.backup(tok)
        elif tok.kind == "pipe":
            self._end_command(build)
        elif tok.kind != "space":
            raise self._unexpected(tok, "operand")

    def _chain(self, term: gt.Operand) -> gt.Operand:
        if self._ts.peek().kind != "field":
            return term
        fields: list[_Tok] = []
        while self._ts.peek().kind == "field":
            fields.append(self._ts.next())
        names = tuple(f.val[1:] for f in fields)
        end = fields[-1].end
        if isinstance(term, gt.Field):
            return gt.Field(term.pos, term.line, end, term.names + names)
        if isinstance(term, gt.Variable):
            return gt.Variable(term.pos, term.line, end, term.name, term.fields + names)
        if isinstance(term, (gt.Bool, gt.String, gt.Number, gt.Nil, gt.Dot)):
            raise self._err(
                fields[0].pos, f"unexpected . after term {self._src[term.pos : term.end]!r}"
            )
        return gt.Chain(term.pos, term.line, end, term, names, self._lines.of(fields[0].pos))

    def _end_command(self, build: _PipeBuild) -> None:
        args = tuple(build.args)
        line = self._lines.of(args[0].pos)
        build.commands.append(gt.Command(args[0].pos, line, args[-1].end, args))
        build.args = []

    def _end_pipe(self, build: _PipeBuild, end_tok: _Tok) -> gt.Pipeline:
        if build.args:
            self._end_command(build)
        if not build.commands:
            raise self._err(end_tok.pos, f"missing value for {build.context}")
        for stage, cmd in enumerate(build.commands[1:], start=2):
            if isinstance(cmd.args[0], (gt.Bool, gt.Dot, gt.Nil, gt.Number, gt.String)):
                raise self._err(cmd.pos, f"non executable command in pipeline stage {stage}")
        paren = build.context == "parenthesized pipeline"
        pos = build.start.pos if paren else build.commands[0].pos
        if build.decl and not paren:
            pos = build.decl[0].pos
        end = end_tok.end if paren else build.commands[-1].end
        line = self._lines.of(pos)
        decl = tuple(build.decl)
        return gt.Pipeline(pos, line, end, decl, build.is_assign, tuple(build.commands), paren)

    def _term(self, tok: _Tok) -> gt.Operand:
        pos, line, end = tok.pos, self._lines.of(tok.pos), tok.end
        kind = tok.kind
        if kind == "ident":
            return gt.Identifier(pos, line, end, tok.val)
        if kind == "dot":
            return gt.Dot(pos, line, end)
        if kind == "nil":
            return gt.Nil(pos, line, end)
        if kind == "bool":
            return gt.Bool(pos, line, end, tok.val == "true")
        if kind == "field":
            return gt.Field(pos, line, end, (tok.val[1:],))
        if kind == "var":
            if not self._var_count.get(tok.val):
                raise self._err(pos, f"undefined variable {tok.val!r}")
            return gt.Variable(pos, line, end, tok.val, ())
        if kind == "string":
            return self._string(tok)
        try:
            return gt.Number(pos, line, end, tok.val, _number_value(tok.val, kind))
        except (ValueError, OverflowError) as exc:
            raise self._err(pos, str(exc) or f"illegal number syntax: {tok.val!r}") from None

    def _string(self, tok: _Tok) -> gt.String:
        try:
            value = _unquote(tok.val)
        except ValueError as exc:
            raise self._err(tok.pos, f"invalid string {tok.val!r}: {exc}") from None
        return gt.String(tok.pos, self._lines.of(tok.pos), tok.end, tok.val, value)


def parse_tree(text: str, rel: str = "") -> list[gt.Node]:
    """Parse a Go template into nodes; raises :class:`TemplateSyntaxError`.

    ``Define`` nodes stay where they were written (Go files them away; render nothing for
    them). ``rel`` is accepted for symmetry with the readers and for future messages.
    """
    del rel  # errors carry only the line; the reader adds the path
    with fewer_collections():  # every token and node lives until the end
        return _Parser(text).parse()
