"""Execute a Vault Agent template as consul-template does, over given secrets and environment.

One evaluator over :func:`~pytest_envssot.readers.template.parse_tree`, used twice: by
``envssot render`` for whole files (:class:`Evaluation`) and by template-roundtrip for the
value part of one line (:func:`compile_value` / :func:`render`).

What it follows, from consul-template and Go's ``text/template``:

* ``Execute(w, nil)``: dot (and ``$``) start as nil; ``missingkey=zero``, so a missing key of
  a secret's data is a nil interface: ``with``/``if`` take the ``else`` branch, printing it
  writes ``<no value>``, and reading a field off it is an error.
* ``secret PATH`` is a ``*dependency.Secret``: ``.Data`` is the JSON ``data`` object Vault
  returned (for KV v2 ``{"data": {...}, "metadata": {...}}``), numbers are ``json.Number``.
* ``env NAME`` is the given environment's value, else ``""``.
* Go's builtins ``and or not eq ne len index print printf println``; variables, ``range``
  with ``break``/``continue``, ``define``/``template``/``block``.

Anything else (other consul-template functions, other printf verbs) raises
:class:`NotModelled` with the line: we refuse rather than guess. An error Go itself would
raise while executing raises :class:`ExecError`.

Every read of a secret's key is recorded (:class:`Lookup`) with what became of it
(:class:`Use`): printed, fallen back to ``else``, or printed as ``<no value>``; the values
themselves are never part of that record. Nor of any error: a value computed from a secret's
data (``secret (printf "%q" .Data.data.X)``) is tracked as such and named, never quoted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from functools import partial
from typing import NamedTuple, Protocol

from pytest_envssot.gotemplate import gofmt
from pytest_envssot.gotemplate import tree as gt
from pytest_envssot.gotemplate.gofmt import JsonNumber, Unsupported, truth
from pytest_envssot.gotemplate.parser import parse_tree
from pytest_envssot.gotemplate.tree import NotModelled
from pytest_envssot.records import frozen, mutable

MAX_DEPTH = 50  # nested template calls: Go allows 100000, Python's stack not; real ones nest a few


class ExecError(Exception):
    """Go's text/template would stop with an error here."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


# Stands for a secret path built from secret data, wherever a path is shown.
COMPUTED_PATH = "(a path computed from Vault data, not shown)"
# In the reads a value derives from: "computed from a secret's .Data", beside the key lookups.
_FROM_DATA = -1


class SecretMissing(Exception):
    """``secret PATH`` for a path the data does not hold: Vault Agent would wait for it."""

    def __init__(self, path: str, line: int) -> None:
        super().__init__(f"line {line}: no secret at {path}")
        self.path = path
        self.line = line


@frozen(slots=False)
class Secret:
    """What ``secret PATH`` returns: Vault's response for that path (the ``-format=json`` object)."""

    path: str
    response: Mapping[str, object]

    @property
    def data(self) -> object:
        data = self.response.get("data")
        return {} if data is None else data  # a nil map[string]interface{} prints map[]

    @property
    def kv(self) -> object:
        """The key/value map templates read: ``.Data.data`` on KV v2, ``.Data`` on KV v1."""
        data = self.data
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            return data["data"]
        return data


# *dependency.Secret's fields and the JSON keys Vault's response carries them under.
_SECRET_FIELDS = {
    "RequestID": ("request_id", ""),
    "LeaseID": ("lease_id", ""),
    "LeaseDuration": ("lease_duration", 0),
    "Renewable": ("renewable", False),
    "Warnings": ("warnings", ()),  # a nil []string prints []
}


class Sources(Protocol):
    """Where ``env`` and ``secret`` get their answers."""

    def env(self, name: str, line: int) -> str: ...

    def secret(self, path: str, line: int) -> Secret: ...


@frozen(slots=False)
class Lookup:
    """One read of a secret's key: where, which, and what the data held (never the value)."""

    path: str
    key: str
    line: int
    state: str  # "value", "empty", "null" or "missing"


class Use(NamedTuple):
    """What the output did with a read: ``rendered``, ``fallback`` or ``no value``."""

    kind: str
    line: int
    lookup: Lookup | None  # None: ``<no value>`` from no secret key (say a nil dot)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Var(NamedTuple):
    name: str
    value: object
    reads: tuple[int, ...]  # indexes into Evaluation.lookups the value derives from


_NO_FINAL = object()  # no value piped in from a previous command


class _NilElement:
    """A nil element of a ranged slice or map, as dot or a variable.

    Go keeps it as a nil ``interface{}`` (not the invalid value a pipeline result becomes),
    so reading a field off it is an error, while it prints and tests like nil.
    """


_NIL_ELEMENT = _NilElement()


@mutable
class Evaluation:
    """One execution of a template; ``lookups`` and ``uses`` say what it read and did."""

    sources: Sources
    lookups: list[Lookup] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    # id(kv map) -> secret path: lookups in those maps are the ones recorded
    _kv_paths: dict[int, str] = field(default_factory=dict, init=False, repr=False)
    _touched: list[int] = field(default_factory=list, init=False, repr=False)
    _defines: dict[str, tuple[gt.Node, ...]] = field(default_factory=dict, init=False, repr=False)
    _depth: int = field(default=0, init=False, repr=False)

    def run(
        self, nodes: Sequence[gt.Node], dot: object = None, dot_reads: tuple[int, ...] = ()
    ) -> str:
        """Render ``nodes`` with ``dot`` as both dot and ``$``."""
        self._collect_defines(nodes)
        out: list[str] = []
        try:
            self._walk(nodes, dot, dot_reads, [_Var("$", dot, dot_reads)], out)
        except RecursionError:  # blocks nested 100 deep inside 50 template calls
            raise NotModelled("blocks and template calls nested this deep") from None
        return "".join(out)

    def add_secret(self, secret: Secret) -> None:
        kv = secret.kv
        if isinstance(kv, dict):
            self._kv_paths[id(kv)] = secret.path

    # ------------------------------------------------------------------ nodes

    def _walk(
        self,
        nodes: Sequence[gt.Node],
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        out: list[str],
    ) -> None:
        for node in nodes:
            if isinstance(node, gt.Text):
                out.append(node.text)
            elif isinstance(node, (gt.Comment, gt.Define)):
                continue
            elif isinstance(node, gt.Action):
                self._action(node, dot, dot_reads, scope, out)
            elif isinstance(node, (gt.If, gt.With)):
                self._if_with(node, dot, dot_reads, scope, out)
            elif isinstance(node, gt.Range):
                self._range(node, dot, dot_reads, scope, out)
            elif isinstance(node, gt.Break):
                raise _Break
            elif isinstance(node, gt.Continue):
                raise _Continue
            elif isinstance(node, gt.TemplateCall):
                self._template(node.name, node.pipe, node.line, dot, dot_reads, scope, out)
            else:  # Block: a define plus a call to it
                self._template(node.name, node.pipe, node.line, dot, dot_reads, scope, out)

    def _action(
        self,
        node: gt.Action,
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        out: list[str],
    ) -> None:
        value, reads = self._pipeline(node.pipe, dot, dot_reads, scope)
        if node.pipe.decl:
            return  # {{ $x := ... }} prints nothing
        unset = tuple(i for i in reads if i >= 0 and self.lookups[i].state in ("missing", "null"))
        if value is None:
            out.append("<no value>")
            self._record("no value", node.line, unset or reads)
            return
        if isinstance(value, Secret):
            raise NotModelled("printing a whole secret", node.line)
        try:
            text = gofmt.format_value("v", value)
        except Unsupported as exc:
            raise NotModelled(str(exc), node.line) from None
        out.append(text)
        if unset and "<nil>" in text:  # printf "%q" of a missing key: %!q(<nil>)
            self._record("no value", node.line, unset)
        elif unset:  # {{ or .Data.data.K "default" }}: a fallback of another shape
            self._record("fallback", node.line, unset)
        else:
            self._record("rendered", node.line, reads)

    def _if_with(
        self,
        node: gt.If | gt.With,
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        out: list[str],
    ) -> None:
        mark = len(scope)
        value, reads = self._pipeline(node.pipe, dot, dot_reads, scope)
        if truth(value):
            if isinstance(node, gt.With):
                dot, dot_reads = value, reads
            self._walk(node.body, dot, dot_reads, scope, out)
        else:
            self._otherwise(node, reads, dot, dot_reads, scope, out)
        del scope[mark:]

    def _range(
        self,
        node: gt.Range,
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        out: list[str],
    ) -> None:
        mark = len(scope)
        value, reads = self._pipeline(node.pipe, dot, dot_reads, scope, declare=False)
        items: list[tuple[object, object]]
        if value is None:
            items = []
        elif isinstance(value, dict):
            items = sorted(value.items())
        elif isinstance(value, (list, tuple)):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            raise NotModelled("range over an integer (Go 1.22+ only)", node.line)
        else:
            raise ExecError(f"range can't iterate over a {_go_type(value)}", node.line)
        decl = node.pipe.decl
        for var in decl:
            scope.append(_Var(var.name, value, reads))
        for index, elem in items:
            if elem is None:
                elem = _NIL_ELEMENT
            if decl:  # one variable: the element; two: index (or key) and element
                scope[-1] = _Var(decl[-1].name, elem, reads)
            if len(decl) > 1:
                scope[-2] = _Var(decl[0].name, index, reads)
            inner = len(scope)
            try:
                self._walk(node.body, elem, reads, scope, out)
            except _Break:
                break
            except _Continue:
                pass
            finally:
                del scope[inner:]
        if not items:
            self._otherwise(node, reads, dot, dot_reads, scope, out)
        del scope[mark:]

    def _template(
        self,
        name: str,
        pipe: gt.Pipeline | None,
        line: int,
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        out: list[str],
    ) -> None:
        body = self._defines.get(name)
        if body is None:
            raise ExecError(f"no such template {name!r}", line)
        value, reads = (None, ()) if pipe is None else self._pipeline(pipe, dot, dot_reads, scope)
        if self._depth >= MAX_DEPTH:
            raise NotModelled(f"template calls nested deeper than {MAX_DEPTH}", line)
        self._depth += 1
        try:
            self._walk(body, value, reads, [_Var("$", value, reads)], out)
        finally:
            self._depth -= 1

    def _collect_defines(self, nodes: Sequence[gt.Node]) -> None:
        """Every define/block by name; an empty definition never replaces a full one (Go)."""
        for node in nodes:
            if isinstance(node, (gt.Define, gt.Block)):
                if node.body or not self._defines.get(node.name):
                    self._defines[node.name] = node.body
                self._collect_defines(node.body)
            elif isinstance(node, (gt.If, gt.With, gt.Range)):
                self._collect_defines(node.body)
                self._collect_defines(node.else_body or ())

    # ------------------------------------------------------------------ reports

    def _record(self, kind: str, line: int, reads: Sequence[int]) -> None:
        keys = [i for i in dict.fromkeys(reads) if i >= 0]
        if not keys and kind == "no value":
            self.uses.append(Use(kind, line, None))
        for i in keys:
            self.uses.append(Use(kind, line, self.lookups[i]))

    def _otherwise(
        self,
        node: gt.If | gt.With | gt.Range,
        reads: tuple[int, ...],
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        out: list[str],
    ) -> None:
        """The falsy branch of with/if/range: record the fallback, render ``{{ else }}``."""
        self._fell_back(node.line, reads)
        if node.else_body is not None:
            self._walk(node.else_body, dot, dot_reads, scope, out)

    def _fell_back(self, line: int, reads: tuple[int, ...]) -> None:
        """A falsy with/if/range: the keys it read that were unset or empty fell back."""
        falsy = [i for i in reads if i >= 0 and self.lookups[i].state != "value"]
        for i in dict.fromkeys(falsy):
            self.uses.append(Use("fallback", line, self.lookups[i]))

    # ------------------------------------------------------------------ pipelines

    def _pipeline(
        self,
        pipe: gt.Pipeline,
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        declare: bool = True,
    ) -> tuple[object, tuple[int, ...]]:
        """The pipeline's value and the secret reads it derives from."""
        mark = len(self._touched)
        value: object = _NO_FINAL
        for command in pipe.commands:
            value = self._command(command, dot, dot_reads, scope, value)
        reads = tuple(dict.fromkeys(self._touched[mark:])) if len(self._touched) > mark else ()
        if declare:
            for var in pipe.decl:
                if pipe.is_assign:
                    _assign(scope, var.name, _Var(var.name, value, reads))
                else:
                    scope.append(_Var(var.name, value, reads))
        return value, reads

    def _command(
        self,
        command: gt.Command,
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        final: object,
    ) -> object:
        head, *args = command.args
        if isinstance(head, gt.Identifier):
            return self._call(head, args, final, dot, dot_reads, scope)
        if args or final is not _NO_FINAL:
            raise ExecError("can't give argument to non-function", command.line)
        if isinstance(head, gt.Nil):
            raise ExecError("nil is not a command", command.line)
        return self._operand(head, dot, dot_reads, scope)

    def _operand(
        self, node: gt.Operand, dot: object, dot_reads: tuple[int, ...], scope: list[_Var]
    ) -> object:
        if isinstance(node, gt.Field):  # the common cases first: .Data.data.K, ., "literal"
            self._touched.extend(dot_reads)
            return self._fields(dot, node.names, node.line)
        if isinstance(node, gt.Dot):
            self._touched.extend(dot_reads)
            return None if dot is _NIL_ELEMENT else dot
        if isinstance(node, gt.String):
            return node.value
        if isinstance(node, gt.Bool):
            return node.value
        if isinstance(node, gt.Number):
            if isinstance(node.value, int) and not isinstance(node.value, bool):
                return node.value
            raise NotModelled(f"the number {node.source}", node.line)
        if isinstance(node, gt.Nil):
            return None
        if isinstance(node, gt.Variable):
            var = _lookup_var(scope, node.name, node.line)
            self._touched.extend(var.reads)
            return self._fields(var.value, node.fields, node.line)
        if isinstance(node, gt.Chain):
            base = self._operand(node.node, dot, dot_reads, scope)
            return self._fields(base, node.fields, node.fields_line)
        if isinstance(node, gt.Pipeline):
            value, _ = self._pipeline(node, dot, dot_reads, scope)
            return value  # its variables live on to the end of the block, as in Go
        # An identifier as an argument: a call without arguments.
        return self._call(node, [], _NO_FINAL, dot, dot_reads, scope)

    def _fields(self, receiver: object, names: Sequence[str], line: int) -> object:
        """Go's field chain: on an invalid start (nil dot, a nil pipeline) every step is nil;
        on a nil interface (a missing key's zero value, a nil element) a step is an error."""
        if receiver is None:
            return None
        for name in names:
            if receiver is None or receiver is _NIL_ELEMENT:
                raise ExecError(f"nil pointer evaluating interface {{}}.{name}", line)
            receiver = self._field(receiver, name, line)
        return None if receiver is _NIL_ELEMENT else receiver

    def _field(self, receiver: object, name: str, line: int) -> object:
        if isinstance(receiver, Secret):
            if name == "Data":
                self.add_secret(receiver)
                self._touched.append(_FROM_DATA)  # whatever comes of it is secret data
                return receiver.data
            if name in _SECRET_FIELDS:
                key, default = _SECRET_FIELDS[name]
                value = receiver.response.get(key)
                return default if value is None else value
            if name in ("Auth", "WrapInfo"):
                raise NotModelled(f"the secret's .{name}", line)
            raise ExecError(f"can't evaluate field {name} in type *dependency.Secret", line)
        if isinstance(receiver, dict):
            return self._key(receiver, name, line)
        raise ExecError(f"can't evaluate field {name} in type {_go_type(receiver)}", line)

    def _key(
        self, mapping: Mapping[str, object], key: str, line: int, label: str | None = None
    ) -> object:
        """``mapping[key]``, recorded (as ``label``, when given) if ``mapping`` is a secret's."""
        value = mapping.get(key)
        path = self._kv_paths.get(id(mapping))
        if path is not None:
            if key not in mapping:
                state = "missing"
            elif value is None:
                state = "null"
            else:
                state = "value" if truth(value) else "empty"
            self.lookups.append(Lookup(path, key if label is None else label, line, state))
            self._touched.append(len(self.lookups) - 1)
        return value

    # ------------------------------------------------------------------ functions

    def _call(
        self,
        ident: gt.Identifier,
        args: Sequence[gt.Operand],
        final: object,
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
    ) -> object:
        name, line = ident.name, ident.line
        mark = len(self._touched)

        def values() -> list[object]:
            got = [self._operand(a, dot, dot_reads, scope) for a in args]
            return got if final is _NO_FINAL else [*got, final]

        def from_data() -> bool:
            """Did the arguments read secret data? (Their text must then never be shown.)"""
            return len(self._touched) > mark

        if name in ("and", "or"):
            return self._and_or(name, args, final, dot, dot_reads, scope, line)
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            # "the printf verb '%…'" quotes the format: say so without it if it came from Vault
            first_from_data = not args  # a piped format: assume the worst
            got = []
            for arg in args:
                got.append(self._operand(arg, dot, dot_reads, scope))
                first_from_data = first_from_data or (len(got) == 1 and from_data())
            got += [] if final is _NO_FINAL else [final]
            try:
                return builtin(got, line)
            except Unsupported as exc:
                why = str(exc)
                if name == "printf" and first_from_data:
                    why = "printf with a format computed from Vault data"
                raise NotModelled(why, line) from None
        if name == "index":
            got = values()
            return self._index(got, line, shown=not from_data())
        if name == "env":
            (var,) = _arity(name, values(), 1, line)
            if from_data():  # the name would be reported as an env var read
                raise NotModelled("env with a name computed from Vault data", line)
            return self.sources.env(_string_arg(name, var, line), line)
        if name == "secret":
            got = values()
            if len(got) > 1:
                raise NotModelled("secret with data to write", line)
            (path,) = _arity(name, got, 1, line)
            text = _string_arg(name, path, line)
            if from_data():
                try:
                    secret = Secret(COMPUTED_PATH, self.sources.secret(text, line).response)
                except SecretMissing:
                    raise SecretMissing(COMPUTED_PATH, line) from None
            else:
                secret = self.sources.secret(text, line)
            self.add_secret(secret)
            return secret
        raise NotModelled(f"the function {name}", line)

    def _and_or(
        self,
        name: str,
        args: Sequence[gt.Operand],
        final: object,
        dot: object,
        dot_reads: tuple[int, ...],
        scope: list[_Var],
        line: int,
    ) -> object:
        """Go 1.18+: evaluate left to right, stop at the first falsy (and) or truthy (or)."""
        thunks: list[Callable[[], object]] = [
            partial(self._operand, a, dot, dot_reads, scope) for a in args
        ]
        if final is not _NO_FINAL:
            thunks.append(lambda: final)
        if not thunks:
            raise ExecError(f"wrong number of args for {name}: want at least 1 got 0", line)
        value: object = None
        for thunk in thunks:
            value = thunk()
            if truth(value) == (name == "or"):
                return value
        return value

    def _index(self, got: list[object], line: int, shown: bool = True) -> object:
        """Go's index; ``shown``: the key may be quoted (it was not computed from secret data)."""
        if not got:
            raise ExecError("wrong number of args for index: want at least 1 got 0", line)
        item, *keys = got
        for key in keys:
            if item is None:
                raise ExecError("error calling index: index of untyped nil", line)
            if isinstance(item, dict):
                if not isinstance(key, str) or isinstance(key, JsonNumber):
                    raise ExecError(
                        "error calling index: value has type incompatible with key", line
                    )
                item = self._key(item, key, line, key if shown else "(computed from Vault data)")
            elif isinstance(item, (list, tuple)):
                if not isinstance(key, int) or isinstance(key, bool):
                    raise ExecError(
                        "error calling index: cannot index slice/array with non-int", line
                    )
                if not 0 <= key < len(item):
                    where = f": {key}" if shown else " (a key computed from Vault data)"
                    raise ExecError(f"error calling index: index out of range{where}", line)
                item = item[key]
            else:
                raise NotModelled("index of a string or scalar", line)
        return item


def _go_type(value: object) -> str:
    """The Go type of a value, for error messages."""
    if isinstance(value, Secret):
        return "*dependency.Secret"
    try:
        return gofmt.type_name(value)
    except Unsupported:
        return type(value).__name__


def _assign(scope: list[_Var], name: str, var: _Var) -> None:
    for k in range(len(scope) - 1, -1, -1):
        if scope[k].name == name:
            scope[k] = var
            return


def _lookup_var(scope: Sequence[_Var], name: str, line: int) -> _Var:
    for var in reversed(scope):
        if var.name == name:
            return var
    raise ExecError(f"undefined variable: {name}", line)  # the parser rejects this first


def _arity(name: str, got: list[object], want: int, line: int) -> list[object]:
    if len(got) != want:
        raise ExecError(f"wrong number of args for {name}: want {want} got {len(got)}", line)
    return got


def _string_arg(name: str, value: object, line: int) -> str:
    if not isinstance(value, str) or isinstance(value, JsonNumber):
        got = "nil" if value is None else _go_type(value)
        raise ExecError(f"wrong type for value in {name}; expected string; got {got}", line)
    return value


def _printf(got: list[object], line: int) -> object:
    if not got:
        raise ExecError("wrong number of args for printf: want at least 1 got 0", line)
    return gofmt.sprintf(_string_arg("printf", got[0], line), got[1:])


def _not(got: list[object], line: int) -> object:
    (value,) = _arity("not", got, 1, line)
    return not truth(value)


def _len(got: list[object], line: int) -> object:
    (value,) = _arity("len", got, 1, line)
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))  # Go counts bytes
    if isinstance(value, (dict, list, tuple)):
        return len(value)
    if value is None:
        raise ExecError("error calling len: len of nil pointer", line)
    raise ExecError(f"error calling len: len of type {_go_type(value)}", line)


def _kind(value: object) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "other"


def _eq(got: list[object], line: int) -> object:
    if len(got) < 2:
        raise ExecError("missing argument for comparison", line)
    first, *rest = got
    for other in rest:
        if first is None and other is None:
            raise NotModelled("eq of nil with nil (differs between Go releases)", line)
        if first is None or other is None:
            continue
        if isinstance(first, Secret) or isinstance(other, Secret):
            raise NotModelled("eq of a secret (a pointer comparison)", line)
        k1, k2 = _kind(first), _kind(other)
        if "other" in (k1, k2):
            raise ExecError("error calling eq: invalid type for comparison", line)
        if k1 != k2:
            raise ExecError("error calling eq: incompatible types for comparison", line)
        if str(first) == str(other) if k1 == "string" else first == other:
            return True
    return False


def _ne(got: list[object], line: int) -> object:
    _arity("ne", got, 2, line)
    return not _eq(got, line)


def _replace_all(got: list[object], line: int) -> object:
    """consul-template's ``replaceAll OLD NEW S`` (``S | replaceAll OLD NEW``)."""
    old, new, text = (
        _string_arg("replaceAll", v, line) for v in _arity("replaceAll", got, 3, line)
    )
    return text.replace(old, new)


_BUILTINS: dict[str, Callable[[list[object], int], object]] = {
    "replaceAll": _replace_all,
    "printf": _printf,
    "print": lambda got, line: gofmt.sprint(got),
    "println": lambda got, line: gofmt.sprintln(got),
    "not": _not,
    "len": _len,
    "eq": _eq,
    "ne": _ne,
}


# --------------------------------------------------------------------------- one line's value


class _NoSources:
    """The round trip renders one value line: env and secret calls are outside its model."""

    def env(self, name: str, line: int) -> str:
        raise NotModelled("the function env", line)

    def secret(self, path: str, line: int) -> Secret:
        raise NotModelled("the function secret", line)


def compile_value(source: str) -> list[gt.Node]:
    try:
        return parse_tree(source)
    except gt.TemplateSyntaxError as exc:
        raise NotModelled(f"the value does not parse on its own ({exc.message})") from None


def render(nodes: Sequence[gt.Node], values: Mapping[str, str]) -> str:
    """The text ``nodes`` render with dot a secret whose ``.Data.data`` is ``values``."""
    secret = Secret("", {"data": {"data": dict(values)}})
    evaluation = Evaluation(_NoSources())
    try:
        return evaluation.run(nodes, secret)
    except ExecError as exc:
        raise NotModelled(f"Go would stop: {exc.message}", exc.line) from None
