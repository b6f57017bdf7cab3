"""``next-public-in-build``: does a built Next.js output carry every ``NEXT_PUBLIC_*`` value?

What ``next build`` does (its define-env plugin): for every ``NEXT_PUBLIC_*`` variable set in
the build's environment (even to ``""``) it replaces each ``process.env.NEXT_PUBLIC_X`` in
client code by the value as a string literal; a variable that is not set is left alone,
and in the browser ``process.env`` is an empty object, so the expression is ``undefined``.

Hence one exact check that needs no expected value: **a built chunk that still reads
``env.NEXT_PUBLIC_X`` was built without it** (fails). With the value the build should carry
(in the environment of this run), the check gets stronger: that value must not be empty or
a placeholder, and it must be in the chunks as a string literal. Without it, what the
repository itself calls a placeholder (an ``ARG`` default, ``.env.example``, compose) must
not be in the chunks. An empty string that was inlined and then folded away by the minifier
leaves no trace: only the expected value can tell that case apart, and the item says so.

Which variables: every ``NEXT_PUBLIC_*`` named by ``.env.example``, a Dockerfile, a
settings field or compose (as ``next-public-baked``), plus any the chunks read that no
layer names (those were, by construction, not baked).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_envssot.config import ConfigError
from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.model import Location
from pytest_envssot.placeholders import placeholder_kind
from pytest_envssot.redact import Redactor, show
from pytest_envssot.rules.base import Reporter
from pytest_envssot.rules.frontend import PREFIX, public_vars

RULE = Reporter("next-public-in-build")
# Values shorter than this are looked for only as a whole literal ("1", 'on'): as a substring
# they would match anywhere, and a minifier may fold them away (x==="true" -> !0).
MIN_SUBSTRING = 8
_READS = re.compile(
    r"\benv\s*(?:\?\.|\.)\s*(NEXT_PUBLIC_[A-Za-z0-9_]*)(?![\w$])"
    r"|\benv\s*\[\s*([\"'`])(NEXT_PUBLIC_[A-Za-z0-9_]*)\2\s*\]"
)


def static_dir(path: Path) -> Path:
    """The ``.next/static`` folder under ``path`` (an app, its ``.next``, or the folder itself)."""
    for candidate in (path / ".next" / "static", path / "static", path):
        if candidate.name == "static" and candidate.is_dir():
            return candidate
    raise ConfigError(
        f"--frontend-build {path}: no .next/static there (run `next build` first; give the "
        "app folder, its .next, or .next/static)"
    )


@dataclass(frozen=True)
class Bundle:
    """The JavaScript a browser gets: every ``*.js`` / ``*.mjs`` under ``.next/static``."""

    root: Path
    chunks: tuple[tuple[str, str], ...]  # (path relative to root, text)

    @classmethod
    def read(cls, static: Path) -> Bundle:
        files = sorted(p for p in static.rglob("*") if p.suffix in (".js", ".mjs") and p.is_file())
        chunks = tuple(
            (p.relative_to(static).as_posix(), p.read_text("utf-8", errors="replace"))
            for p in files
        )
        return cls(static, chunks)

    def readers(self) -> dict[str, list[str]]:
        """``NEXT_PUBLIC_*`` name -> chunks that still read it from ``env`` (not inlined)."""
        found: dict[str, list[str]] = {}
        for rel, text in self.chunks:
            for m in _READS.finditer(text):
                chunks = found.setdefault(m.group(1) or m.group(3), [])
                if rel not in chunks:
                    chunks.append(rel)
        return found

    def carrying(self, value: str) -> list[str]:
        """Chunks holding ``value`` as (part of) a JS string literal, however it was escaped."""
        forms = _literal_forms(value)
        return [rel for rel, text in self.chunks if any(f in text for f in forms)]


def _literal_forms(value: str) -> set[str]:
    """How a minifier may write ``value`` inside a string literal (quotes included when short)."""
    bodies = {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    bodies |= {b.replace("/", "\\/") for b in bodies}
    single = {b.replace('\\"', '"').replace("'", "\\'") for b in bodies}
    if len(value) >= MIN_SUBSTRING:
        return bodies | single
    return {f'"{b}"' for b in bodies} | {f"'{b}'" for b in single} | {f"`{b}`" for b in bodies}


def _repo_values(index: Index, name: str) -> list[tuple[str, Location]]:
    """Values the repository gives ``name``: .env.example, ARG defaults, compose."""
    found = [(e.value, e.location) for e in index.example_entries_named(name) if e.value]
    for docker in index.dockerfiles():
        for ins in docker.instructions:
            if ins.kind == "ARG" and name in ins.names:
                try:
                    words = shlex.split(ins.text)
                except ValueError:
                    continue
                for word in words:
                    if word.startswith(f"{name}="):
                        found.append((word.partition("=")[2], ins.location))
    for compose in index.contract.compose:
        for service in compose.services:
            found.extend(
                (v.value, v.location) for v in service.environment if v.name == name and v.value
            )
    return found


def _known(index: Index) -> dict[str, Location]:
    names = dict(public_vars(index))
    for compose in index.contract.compose:
        for service in compose.services:
            for var in service.environment:
                if var.name.startswith(PREFIX):
                    names.setdefault(var.name, var.location)
    return names


def _unknown_location(index: Index) -> Location:
    """Where an item for a var no layer names hangs: .env.example, where it should be."""
    example = index.example
    return Location(example.path if example is not None else index.config.env_example)


def check_build(
    index: Index,
    build: Path,
    environ: Mapping[str, str],
    redactor: Redactor | None = None,
) -> tuple[Finding, ...]:
    """One ``next-public-in-build`` finding per NEXT_PUBLIC_* variable."""
    static = static_dir(build)
    bundle = Bundle.read(static)
    if not bundle.chunks:
        raise ConfigError(f"--frontend-build {build}: {static} holds no .js chunks")
    readers = bundle.readers()
    known = _known(index)
    names = {**{n: _unknown_location(index) for n in readers if n not in known}, **known}
    scrub = redactor or Redactor()
    findings = (
        _finding(index, bundle, readers, name, at, environ, static, name in known)
        for name, at in sorted(names.items())
    )
    return tuple(replace(f, lines=tuple(scrub(line) for line in f.lines)) for f in findings)


def _finding(
    index: Index,
    bundle: Bundle,
    readers: Mapping[str, list[str]],
    name: str,
    at: Location,
    environ: Mapping[str, str],
    static: Path,
    declared: bool,
) -> Finding:
    secret = index.is_secret(name)
    n = len(bundle.chunks)
    if name in readers:
        chunks = readers[name]
        undeclared = "" if declared else " No repository layer declares it either."
        return RULE.failed(
            name,
            at,
            lines=(
                f"{static}/{chunks[0]} still reads process.env.{name}"
                + (f" (and {len(chunks) - 1} more chunks)" if len(chunks) > 1 else "")
                + ": it was not set when `next build` ran, so the browser gets undefined."
                + undeclared,
                "Next.js inlines NEXT_PUBLIC_* at build time only. Pass it to the build "
                f"(docker build --build-arg {name}=...) with ARG + ENV before the build step:",
            ),
            fix=(f'ARG {name}=""', f"ENV {name}=${{{name}}}"),
        )
    expected = environ.get(name)
    if expected is not None:
        return _against_expected(bundle, name, at, expected, secret, n, static)
    for value, where in _repo_values(index, name):
        if placeholder_kind(value) and value.strip() and bundle.carrying(value):
            return RULE.failed(
                name,
                at,
                lines=(
                    f"{static} carries {show(value, secret)}, the placeholder {where} gives "
                    f"{name}: the build ran with it instead of a real value.",
                    f"Build with the real value: docker build --build-arg {name}=...",
                ),
            )
    return RULE.passed(
        name,
        at,
        lines=(
            f"no chunk of {n} reads process.env.{name}: inlined at build time (or unused). "
            f"Set {name} when running this check to also verify the value it carries.",
        ),
    )


def _against_expected(
    bundle: Bundle, name: str, at: Location, expected: str, secret: bool, n: int, static: Path
) -> Finding:
    kind = placeholder_kind(expected)
    if kind is not None:
        return RULE.failed(
            name,
            at,
            lines=(
                f"{name} in this environment is {kind} ({show(expected, secret)}): a build made "
                "with it ships that to every browser.",
            ),
        )
    if bundle.carrying(expected):
        return RULE.passed(name, at)
    if len(expected) < MIN_SUBSTRING:
        return RULE.skipped(
            name,
            at,
            lines=(
                f"{show(expected, secret)} ({name}) is too short to find in minified code: "
                'the minifier may have folded it away (x==="true" becomes !0).',
            ),
        )
    return RULE.failed(
        name,
        at,
        lines=(
            f"none of the {n} chunks under {static} carries {show(expected, secret)}, the value "
            f"{name} has here: the build was made with another value (or an empty one), "
            "or no client code reads it.",
            f"Rebuild with docker build --build-arg {name}=... (or drop {name} if the frontend "
            "does not use it).",
        ),
    )
