"""``envssot render``: what Vault Agent would write, without Vault.

Evaluates a template (:mod:`pytest_envssot.gotemplate.execute`) against ``--secrets`` JSON
(:mod:`pytest_envssot.vault.vault_json`) with ``ENV`` from ``--env``. The rendered file goes only
to ``--out`` (created 0600, never through a symlink, never inside the template's repository
unless ``--out-in-repo``) or to stdout with ``--out -``. Everything else printed is a
redacted report: per Vault key whether it rendered, fell back to ``{{ else }}`` or printed
``<no value>``, never a value.

Exit codes as ``envssot check``: 0 rendered, 1 a problem in the data (``<no value>``, a
secret path the data lacks), 2 usage or input errors (``path:line``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pytest_envssot.gc_threshold import fewer_collections
from pytest_envssot.gotemplate.execute import (
    Evaluation,
    ExecError,
    Lookup,
    Secret,
    SecretMissing,
    Use,
)
from pytest_envssot.gotemplate.parser import parse_tree
from pytest_envssot.gotemplate.tree import NotModelled, TemplateSyntaxError
from pytest_envssot.model import Location
from pytest_envssot.readers._io import read_text
from pytest_envssot.redact import Redactor
from pytest_envssot.vault.vault_json import SecretsError, SecretStore, load_secrets


class UsageError(Exception):
    """Exit 2: the message says what to fix, with ``path:line`` when there is one."""


@dataclass
class RenderSources:
    """``env`` and ``secret`` for one render; remembers which env names were read."""

    store: SecretStore
    env_values: Mapping[str, str]  # --env and --set
    read_env: dict[str, str] = field(default_factory=dict)  # name -> where its value came from

    def env(self, name: str, line: int) -> str:
        del line
        if name in self.env_values:
            self.read_env.setdefault(name, "given")
            return self.env_values[name]
        value = os.environ.get(name)
        self.read_env.setdefault(name, "process environment" if value is not None else "unset")
        return value or ""

    def secret(self, path: str, line: int) -> Secret:
        response = self.store.get(path)
        if response is None:
            raise SecretMissing(path, line)
        return Secret(path, response)


@dataclass(frozen=True)
class Options:
    template: str
    secrets: Sequence[str]
    env: str
    sets: Sequence[str] = ()
    out: str | None = None
    out_in_repo: bool = False
    validate: bool = False  # build the settings class from the render (import mode's child)
    settings: str | None = None  # FILE:CLASS for --validate; default: the class reading the vars
    import_timeout: float = 30.0


def run(options: Options, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    redactor = Redactor()
    try:
        store = load_secrets(options.secrets)
        redactor = Redactor(store.values())
        with fewer_collections():
            return _render(options, store, redactor, out, err)
    except SecretsError as exc:
        print(redactor.scrub(f"envssot render: {exc.where}: {exc.message}"), file=err)
        return 2
    except UsageError as exc:
        print(redactor.scrub(f"envssot render: {exc}"), file=err)
        return 2


@dataclass(frozen=True)
class Rendered:
    """A finished render: the text (secret: write it only where asked) and what it read."""

    text: str
    evaluation: Evaluation
    sources: RenderSources


class DataProblem(Exception):
    """Exit 1 before anything is written: the data cannot be rendered (a missing path)."""


def render_template(options: Options, store: SecretStore) -> Rendered:
    """Evaluate ``options.template``; raises UsageError (exit 2) or DataProblem (exit 1).

    Output and reporting are the caller's: a check of the rendered values (such as loading
    them through the settings class) fits between this and :func:`_output`.
    """
    rel = options.template
    text = read_text(Path(rel), rel)
    if not isinstance(text, str):
        raise UsageError(f"{text.location}: {text.message}")
    try:
        nodes = parse_tree(text, rel)
    except TemplateSyntaxError as exc:
        raise UsageError(f"{rel}:{exc.line}: template syntax error: {exc.message}") from None
    sources = RenderSources(store, {**_sets(options.sets), "ENV": options.env})
    evaluation = Evaluation(sources)
    try:
        return Rendered(evaluation.run(nodes), evaluation, sources)
    except NotModelled as exc:
        where = Location(rel, exc.line)  # line 0: the template as a whole
        raise UsageError(f"{where}: envssot render does not evaluate {exc.message}") from None
    except ExecError as exc:
        raise UsageError(
            f"{rel}:{exc.line}: Go's text/template stops here: {exc.message}"
        ) from None
    except SecretMissing as exc:
        have = ", ".join(store.paths()) or "none"
        hint = ""
        if store.bare is not None and store.bare_path is not None:
            hint = (
                f"; {store.bare[0]} was given without a path and answered {store.bare_path}: "
                "name each file's path with --secrets VAULT_PATH=FILE"
            )
        raise DataProblem(
            f"{rel}:{exc.line}: secret {exc.path}: not in the --secrets data (has: {have}); "
            f"Vault Agent would wait for it and write nothing{hint}"
        ) from None


def _render(
    options: Options, store: SecretStore, redactor: Redactor, out: TextIO, err: TextIO
) -> int:
    target = _check_target(options)  # refuse a bad --out before evaluating anything
    try:
        rendered = render_template(options, store)
    except DataProblem as exc:
        print(redactor.scrub(str(exc)), file=err)
        return 1
    if options.validate:
        code = _validate(options, rendered, redactor, err)
        if code:
            return code
    return _output(options, rendered, target, redactor, out, err)


def _validate(options: Options, rendered: Rendered, redactor: Redactor, err: TextIO) -> int:
    """Between render and output: a file the settings class rejects is not written (exit 1)."""
    from pytest_envssot.vault.validate import ValidateUsageError, validate

    template = Path(options.template)
    repo = _repository_of(template)
    if repo is None:
        raise UsageError(f"--validate: {options.template} is in no repository (no pyproject.toml)")
    try:
        verdict = validate(repo, template, rendered.text, options.settings, options.import_timeout)
    except ValidateUsageError as exc:
        raise UsageError(str(exc)) from None
    for line in verdict.lines:
        print(redactor.scrub(line), file=err)
    return 0 if verdict.ok else 1


def _output(
    options: Options,
    rendered: Rendered,
    target: str | None,
    redactor: Redactor,
    out: TextIO,
    err: TextIO,
) -> int:
    rel, evaluation = options.template, rendered.evaluation
    summary = _summary(rel, options, rendered.sources, evaluation)
    # One scrub per report, not per line: 15,000 summary lines of a 50,000-var render each
    # paid the redactor's fixed cost (every value and token shape tried on every line).
    _print_lines(_uses_report(rel, evaluation.uses), redactor, err)
    if target == "-":
        _write_stream(out, rendered.text)
    elif target is not None:
        _write_private(Path(target), rendered.text)
        summary.append(f"  written to {target} (mode 0600)")
    else:
        summary.append("  not written: pass --out PATH (or --out - for stdout)")
    info = err if target == "-" else out
    _print_lines(summary, redactor, info)
    return 1 if any(u.kind == "no value" for u in evaluation.uses) else 0


def _print_lines(lines: Sequence[str], redactor: Redactor, stream: TextIO) -> None:
    if lines:
        print(redactor.scrub("\n".join(lines)), file=stream)


def _sets(sets: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in sets:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise UsageError(f"--set {name or item}: expected NAME=VALUE")
        values[name] = value
    return values


# --------------------------------------------------------------------------- reporting

_STATE_WORDS = {
    "missing": "is missing from",
    "null": "is null in",
    "empty": "is empty in",
    "value": "is set in",
}


def _uses_report(rel: str, uses: Sequence[Use]) -> list[str]:
    """One stderr line per fallback or ``<no value>``, in template order, without repeats."""
    lines: list[str] = []
    seen: set[tuple[str, int, Lookup | None]] = set()
    for use in sorted(uses, key=lambda u: u.line):
        if use.kind == "rendered" or (use.kind, use.line, use.lookup) in seen:
            continue
        seen.add((use.kind, use.line, use.lookup))
        lookup = use.lookup
        what = (
            "the value printed here is nil"
            if lookup is None
            else f"{lookup.key} {_STATE_WORDS[lookup.state]} {lookup.path}"
        )
        if use.kind == "fallback":
            lines.append(f"{rel}:{use.line}: fallback: {what}; the template's fallback renders")
        else:
            lines.append(
                f"{rel}:{use.line}: <no value>: {what}; Vault Agent writes that into the file"
            )
    return lines


_RANK = {"read": 0, "rendered": 1, "fallback": 2, "no value": 3}
_SHOWN = {"read": "read", "rendered": "rendered", "fallback": "fallback", "no value": "<no value>"}


def _summary(rel: str, options: Options, sources: RenderSources, ev: Evaluation) -> list[str]:
    """Per secret path, per key: its worst outcome and first line; then totals. No values."""
    status: dict[tuple[str, str], tuple[str, int]] = {}
    for lookup in ev.lookups:
        status.setdefault((lookup.path, lookup.key), ("read", lookup.line))
    for use in ev.uses:
        if use.lookup is None:
            continue
        key = (use.lookup.path, use.lookup.key)
        kind, line = status[key]
        if _RANK[use.kind] > _RANK[kind]:
            status[key] = (use.kind, line)
    lines = [f"envssot render: {rel} with ENV={options.env}"]
    for env_name, origin in sorted(sources.read_env.items()):
        if env_name != "ENV":
            lines.append(f"  env {env_name}: {origin}")
    by_path: dict[str, list[tuple[str, tuple[str, int]]]] = {}  # in first-read order
    for (path, name), outcome in status.items():
        by_path.setdefault(path, []).append((name, outcome))
    for path, keys in by_path.items():
        source = sources.store.sources.get(path, "")
        bound = " as the first path read" if path == sources.store.bare_path else ""
        lines.append(f"  {path} (from {source}{bound})")
        width = max(len(k) for k, _ in keys)
        for name, (kind, line) in sorted(keys, key=lambda kv: kv[1][1]):
            lines.append(f"    {name.ljust(width)}  {_SHOWN[kind]:<10}  line {line}")
    counts = {kind: sum(1 for k, _ in status.values() if k == kind) for kind in _RANK}
    no_value = sum(1 for u in ev.uses if u.kind == "no value" and u.lookup is None)
    lines.append(
        f"  {len(status)} keys: {counts['rendered']} rendered, {counts['fallback']} fallback, "
        f"{counts['no value'] + no_value} <no value>"
        + (f", {counts['read']} read only" if counts["read"] else "")
    )
    return lines


# --------------------------------------------------------------------------- output


def _check_target(options: Options) -> str | None:
    """Where the rendered text may go; refusals happen before anything is evaluated."""
    out = options.out
    if out is None or out == "-":
        return out
    path = Path(out)
    if path.is_symlink():
        raise UsageError(f"--out {out}: is a symlink; refusing to write through it")
    if path.exists() and not path.is_file():
        raise UsageError(f"--out {out}: exists and is not a regular file")
    parent = path.parent.resolve()
    if not parent.is_dir():
        raise UsageError(f"--out {out}: directory {path.parent} does not exist")
    repo = _repository_of(Path(options.template))
    if repo is not None and not options.out_in_repo and parent.is_relative_to(repo):
        raise UsageError(
            f"--out {out}: inside the repository {repo}; rendered secrets do not belong in a "
            "work tree (pass --out-in-repo if you mean it)"
        )
    return out


def _repository_of(template: Path) -> Path | None:
    """The git work tree holding the template, else the nearest folder with a pyproject.toml."""
    start = template.resolve().parent
    for marker in (".git", "pyproject.toml"):
        for folder in (start, *start.parents):
            if (folder / marker).exists():
                return folder
    return None


def _write_stream(stream: TextIO, text: str) -> None:
    data = text.encode("utf-8", "surrogateescape")  # the bytes Go would write
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8", "replace"))


def _write_private(path: Path, text: str) -> None:
    """Create a 0600 file beside ``path`` and rename it over: a symlink there is replaced,
    never followed, and no reader ever sees a partial file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
