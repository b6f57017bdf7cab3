"""template-roundtrip: hypothesis draws what Vault may hold and demands it back intact.

Per template var: draw a value the field's type (and a declared domain) allows, render the
line exactly as Vault Agent would (:mod:`pytest_envssot.gotemplate.execute`, Go's ``%q``), read it back
with the template's consumer (:mod:`pytest_envssot.quoting`), validate it with
pydantic-settings, and compare with the original validated the same way.

Hypothesis runs programmatically (``hypothesis.find``): quiet, no blob printing, so the
falsifying example never reaches output except through :func:`~pytest_envssot.redact.show`.
Breaking values are stored in hypothesis' database under a key per template, variable,
consumer, type and domain. ``seed`` fixes the draws; under ``CI=true`` hypothesis runs
derandomized (it then uses no database, by its own rule).

Known hazards are tried first; one that breaks settles the verdict without a search. A line
no drawable value can break (``printf "%q"`` read by pydantic-settings, over an alphabet of
characters that come back as written) is settled as a pass by construction
(:mod:`pytest_envssot.rules._settled`): no search, no hypothesis import. A
verdict for a shape made of library types (pass, skip, or which hazards break it; never a
drawn value) is kept in the per-user cache (:mod:`pytest_envssot.cache`), so an unchanged
repository re-runs no search.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_envssot.cache import VerdictStore, cache_dir, entry_key, make_private
from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.gotemplate.tree import Node, NotModelled
from pytest_envssot.index import FieldRef, Index, literal_text
from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import Layer, Location, TemplateVar
from pytest_envssot.pysettings.annotations import Checked, Unresolved
from pytest_envssot.pysettings.domains import domain_accepts, domain_may_contain
from pytest_envssot.quoting import go_tables, read_back, shell_hazards
from pytest_envssot.records import frozen
from pytest_envssot.redact import show
from pytest_envssot.rules import _imported
from pytest_envssot.rules._compose import (
    compose_fix,
    name_chars,
    render_var,
    reserved_chars,
    reserved_in,
    slot_words,
    template_keys,
    template_nodes,
    url_slot,
)
from pytest_envssot.rules._text import template_line
from pytest_envssot.rules._typed import (
    Typed,
    nested_reason,
    type_words,
    typed,
    unresolved_words,
    validation_key,
    var_domain,
)
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo, seed_repo, tmpl_line

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from pytest_envssot.config import Config

RULE = Reporter("template-roundtrip")
_DOTENV_VARIABLE = lazy_compile(r"\$\{[^}:]*(?::-[^}]*)?\}")
_GO_ESCAPE = lazy_compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def template_roundtrip(index: Index) -> Iterator[Finding]:
    oracle: list[tuple[TemplateVar, FieldRef, str]] = []
    findings = list(_template_roundtrip(index, oracle))
    # Import mode: types only the real class knows are checked now, all in one batch.
    done = {(var.location, var.name): f for var, f in _roundtrip_by_import(index, oracle)}
    for finding in findings:
        yield done.get((finding.location, finding.variable), finding)
    yield from _consumer_findings(index)


def _domain(index: Index, var: TemplateVar, ref: FieldRef | None, consumer: str) -> str:
    """What the var realistically holds: declared, else shaped by what the repository
    documents for it (example value, default, the template's fallback)."""
    documented: list[str] = []
    if ref is not None and ref.field.default is not None:
        documented.append(literal_text(ref.field.default) or "")
    if var.fallback is not None and "{{" not in var.fallback:
        with suppress(NotModelled):
            documented.append(read_back(consumer, f"{var.name}={var.fallback}\n", var.name) or "")
    return var_domain(index, var.name, tuple(documented))


# The one finding per template whose consumer alters some value whatever the quoting.
CONSUMER_ITEM = "consumer:{consumer}"


def _consumer_findings(index: Index) -> Iterator[Finding]:
    """python-dotenv expands ``${...}`` in every value, quoted or not, and has no escape: no
    template line can carry it. That is one hazard of the consumer, reported once per template
    with the fix that removes it, never once per variable."""
    for template in index.templates():
        consumer = index.config.consumer_for(template.path)
        vars_ = [v for v in template.vars if v.vault_keys]
        if consumer != "pydantic-settings" or not vars_:
            continue
        exposed: list[str] = []
        scope = index.settings_paths_for_template(template.path)
        for var in dict((v.name, v) for v in vars_).values():
            refs = index.fields_reading(var.name, scope)
            if not refs:
                continue  # no field reads it: what python-dotenv makes of it reaches nobody
            if var.composed:
                domains = [var_domain(index, k) for k in var.vault_keys]
            else:
                domains = [_domain(index, var, refs[0], consumer)]
            held = [d for d in domains if domain_may_contain(d, "$") and domain_may_contain(d, "{")]
            if held:
                exposed.append(f"{var.name} ({held[0]})")
        name = CONSUMER_ITEM.format(consumer=consumer)
        at = Location(template.path, min(v.location.line for v in vars_))
        if not exposed:
            yield RULE.passed(name, at,
                          lines=("no var's value domain holds ${…}, which python-dotenv would expand",))  # fmt: skip
            continue
        shown = ", ".join(exposed[:6]) + (
            f" and {len(exposed) - 6} more" if len(exposed) > 6 else ""
        )
        yield RULE.failed(
            name, at,
            lines=(
                f"{template.path} is read back by pydantic-settings, whose python-dotenv expands "
                "${NAME} in every value, inside double and single quotes alike, and has no escape "
                "for it: a Vault value holding ${…} reaches the app changed, however the line is "
                "quoted.",
                f"values that may hold it (value domain): {shown}",
                "Fix it for the consumer, not per line: hand the values to the process environment "
                "instead of a file (Vault Agent's env_template stanzas with exec mode run the app "
                "with them; pydantic-settings never parses a file), or source the file in a shell "
                "(`set -a; . /vault/secrets/.env; set +a`) with single-quoted lines and "
                '[tool.envssot] consumer = "posix-shell"; or, if Vault can never hold ${, declare '
                "those values' domains ([tool.envssot.domains], default_secret_domain).",
            ),
        )  # fmt: skip


def _template_roundtrip(
    index: Index, oracle: list[tuple[TemplateVar, FieldRef, str]]
) -> Iterator[Finding]:
    for template in index.templates():
        scope = index.settings_paths_for_template(template.path)
        consumer = index.config.consumer_for(template.path)
        seen: set[str] = set()
        for var in template.vars:
            if var.name in seen or not var.vault_keys:
                continue
            seen.add(var.name)
            refs = index.fields_reading(var.name, scope)
            if refs and _by_import(index, var, refs[0]):
                oracle.append((var, refs[0], consumer))
                yield RULE.skipped(var.name, var.location)  # placeholder
            elif refs:
                yield RULE.finding(
                    var.name,
                    Outcome.SKIPPED,
                    var.location,
                    pending=partial(_roundtrip, index, var, refs[0], consumer),
                )


def _by_import(index: Index, var: TemplateVar, ref: FieldRef) -> bool:
    """Import mode answers for this var: a single-key value whose type is not known statically."""
    return (
        index.config.import_settings
        and not var.composed
        and nested_reason(ref, var.name) is None
        and isinstance(typed(index, ref), Unresolved)
    )


def _roundtrip_by_import(
    index: Index, todo: list[tuple[TemplateVar, FieldRef, str]]
) -> Iterator[tuple[TemplateVar, Finding]]:
    """The known hazards through the real class: hypothesis needs a static type to draw from,
    so only the hazard values (within a declared domain) are tried, originals and read-backs
    validated in one request."""
    plans: list[
        tuple[TemplateVar, FieldRef, str, str | None, list[tuple[str, str, str | None]]]
    ] = []
    questions: list[_imported.Question] = []
    for var, ref, consumer in todo:
        from pytest_envssot.gotemplate.execute import compile_value, render

        try:
            nodes = compile_value(var.value_source)
        except NotModelled as exc:
            yield var, _skip(var, f"the line's value is not modelled: {exc}")
            continue
        domain: str | None = _domain(index, var, ref, consumer)
        key = var.vault_keys[0]
        prefix = ("export " if var.exported else "") + f"{var.name}="
        trials: list[tuple[str, str, str | None]] = []
        for value in _hazard_values():
            if not domain_accepts(domain, value) or _consumer_wide(consumer, value):
                continue
            line = prefix + render(nodes, {key: value}) + "\n"
            try:
                back = read_back(consumer, line, var.name)
            except NotModelled:
                continue
            trials.append((value, line, back))
            questions += [(ref, "env", value), (ref, "env", back)]
        plans.append((var, ref, consumer, domain, trials))
    _imported.ask(index, questions)
    for var, ref, consumer, domain, trials in plans:
        yield var, _judge_by_import(index, var, ref, consumer, domain, trials)


def _judge_by_import(
    index: Index,
    var: TemplateVar,
    ref: FieldRef,
    consumer: str,
    domain: str | None,
    trials: list[tuple[str, str, str | None]],
) -> Finding:
    from pytest_envssot.pysettings.importmode import ImportFailure

    broken: list[tuple[str, str, str]] = []
    for value, line, back_text in trials:
        original = _imported.answer(index, ref, "env", value)
        if isinstance(original, ImportFailure):
            return _skip(var, f"{type_words(ref)}: {_imported.failure_reason(original)}")
        if not original.ok or original.unset:
            continue  # not a value the real field allows
        back = _imported.answer(index, ref, "env", back_text)
        if isinstance(back, ImportFailure):
            return _skip(var, f"{type_words(ref)}: {_imported.failure_reason(back)}")
        if back_text is None or back.unset:
            broken.append((value, line, "leaves the variable unset"))
        elif not back.ok:
            broken.append((value, line, f"gives text the field rejects ({back.error})"))
        elif back.digest != original.digest:
            broken.append((value, line, "gives a different value"))
    if not broken:
        return RULE.passed(var.name, var.location)
    value, line, result = broken[0]
    secret = index.is_strong_secret(var.name)
    shown = show(value, True) if secret else show(repr(value), False)
    cause, fix = _diagnose(var, consumer, value, line, domain)
    drawn = f"domain {domain}" if domain else "the known hazards"
    failure = RULE.failed(
        var.name, var.location,
        lines=(
            template_line(var),
            f"{type_words(ref)}; import mode: the real class validated values from {drawn} "
            "(hypothesis needs a statically known type to draw from)",
            f"smallest breaking value (known hazard): {shown}",
            f"rendered by Vault Agent and read back by {consumer}, it {result}",
            f"why: {cause}",
            *fix,
        ),
    )  # fmt: skip
    rest = [v for v, _, _ in broken[1:]]
    return _with_other_causes(
        index,
        var,
        consumer,
        domain,
        failure,
        value,
        rest,
        lambda v: next((ln for val, ln, _ in broken if val == v), ""),
    )


def _skip(var: TemplateVar, reason: str) -> Finding:
    return RULE.skipped(var.name, var.location, lines=(reason,))


@frozen(slots=False)
class _Verdict:
    """What fuzzing one shape found, shared by every variable of that shape."""

    breaking: tuple[str, ...] = ()  # known hazards that break it, shortest first
    shrunk: str | None = None  # hypothesis' smallest breaking value
    skip: str | None = None  # why it was not fuzzed (no strategy, nothing drawable)

    @property
    def passed(self) -> bool:
        return not self.breaking and self.shrunk is None and self.skip is None

    def holds_for(self, broken: Callable[[str], bool]) -> bool:
        """Re-check the breaking values on another variable's own line (a few calls)."""
        values = [*self.breaking[:1], *([self.shrunk] if self.shrunk is not None else [])]
        return all(broken(v) for v in values)


class Verdicts:
    """The round trip's per-run memo: one verdict per shape (see _line_shape)."""

    def __init__(self, index: Index) -> None:
        del index
        self.by_shape: dict[tuple[object, ...], _Verdict] = {}
        self.template_trees: dict[str, list[Node]] = {}  # whole templates, for compositions
        self.store: VerdictStore | None = None  # verdicts of earlier runs (per-user cache)


def _consumer_wide(consumer: str, value: str) -> bool:
    """A value only the consumer-level finding is about (see :func:`_consumer_findings`)."""
    return consumer == "pydantic-settings" and _DOTENV_VARIABLE.search(value) is not None


def _store_for(index: Index) -> VerdictStore:
    memo = index.service(Verdicts)
    if memo.store is None:
        memo.store = VerdictStore(cache_dir(index.config.root, index.config.cache))
    return memo.store


def _stored_key(index: Index, shape: tuple[object, ...]) -> str:
    """The shape plus what else decides the search: budget, seed, derandomization (the code
    and library versions are in the store's file name)."""
    config = index.config
    return entry_key(shape, config.examples, config.seed, _derandomized(config))


def _stored(index: Index, shape: tuple[object, ...]) -> _Verdict | None:
    """An earlier run's verdict for ``shape``, if the cache holds one."""
    store = _store_for(index)
    if not store.enabled:
        return None
    entry = store.get(_stored_key(index, shape))
    if not isinstance(entry, dict):
        return None
    hazards = _hazard_values()
    if entry.get("passed") is True:
        return _Verdict()
    if isinstance(entry.get("skip"), str):
        return _Verdict(skip=entry["skip"])
    breaking = entry.get("breaking")
    if (
        isinstance(breaking, list)
        and breaking
        and all(isinstance(i, int) and 0 <= i < len(hazards) for i in breaking)
    ):
        return _Verdict(breaking=tuple(hazards[i] for i in breaking))
    return None


def _store(index: Index, shape: tuple[object, ...], verdict: _Verdict) -> None:
    """Keep ``verdict`` for the next run, unless it holds a drawn value (hypothesis' shrunk
    example is never stored: that search runs again). Hazards are kept as positions in our
    own constant list, so nothing that came from the repository or a draw is written."""
    if verdict.shrunk is not None:
        return
    store = _store_for(index)
    if not store.enabled:
        return
    hazards = _hazard_values()
    entry: dict[str, object]
    if verdict.skip is not None:
        entry = {"skip": verdict.skip}
    elif verdict.breaking:
        entry = {"breaking": [hazards.index(h) for h in verdict.breaking]}
    else:
        entry = {"passed": True}
    store.put(_stored_key(index, shape), entry)


def _roundtrip(index: Index, var: TemplateVar, ref: FieldRef, consumer: str) -> Finding:
    reason = nested_reason(ref, var.name)
    if reason:
        return _skip(var, reason)
    found = typed(index, ref)
    if isinstance(found, Unresolved):
        return _skip(var, unresolved_words(index, ref, found))
    if var.composed:
        return _composed_roundtrip(index, var, ref, consumer, found)
    domain = _domain(index, var, ref, consumer)
    # One search per shape: variables whose lines differ only in the names validate, render
    # and parse every value alike (see _line_shape), so they share one verdict.
    secret = index.is_strong_secret(var.name)
    shape_key = validation_key(index, ref, found)
    shape = (
        RULE,
        shape_key,
        consumer,
        domain or "",
        _line_shape(var),
        secret,
    )
    verdicts = index.service(Verdicts).by_shape
    verdict = verdicts.get(shape)
    if verdict is None and shape_key[0] == "type":
        # A shape made of library types only: a verdict from an earlier run still holds.
        verdict = _stored(index, shape)
        if verdict is not None:
            verdicts[shape] = verdict
    if isinstance(verdict, _Verdict) and verdict.passed:
        return RULE.passed(var.name, var.location)
    if isinstance(verdict, _Verdict) and verdict.skip is not None:
        return _skip(var, verdict.skip.replace("{type}", type_words(ref)))
    # The evaluator is loaded only here: a repeated run's verdicts are stored, none renders.
    from pytest_envssot.gotemplate.execute import compile_value, render

    try:
        nodes = compile_value(var.value_source)
    except NotModelled as exc:
        verdict = _Verdict(skip=f"the line's value is not modelled: {exc}")
        verdicts.setdefault(shape, verdict)
        return _skip(var, verdict.skip or "")
    key = var.vault_keys[0]
    prefix = ("export " if var.exported else "") + f"{var.name}="

    def line_for(value: str) -> str:
        return prefix + render(nodes, {key: value}) + "\n"

    def broken(value: str) -> bool:
        if value == "" or _consumer_wide(consumer, value):
            return False  # `with` renders the fallback: template-fallback-type's business
        original = found.probe.check(value)
        if not original.ok or original.unset:
            return False  # not a value the type allows
        try:
            back = found.probe.check(read_back(consumer, line_for(value), var.name))
        except NotModelled:
            return False
        return not _same(original, back)

    def settled() -> bool:
        # Imported here: a repeated run answers from stored verdicts and never needs it.
        from pytest_envssot.rules._settled import settled_pass

        return settled_pass(
            var,
            consumer,
            found.resolved.annotation,
            domain,
            lambda value: read_back(consumer, line_for(value), var.name),
            partial(_consumer_wide, consumer),
        )

    if not isinstance(verdict, _Verdict) or not verdict.holds_for(broken):
        verdict = _fuzz(index, found, domain, broken, repr(shape), secret, settled)
        # Only the shape's own verdict is kept: one re-fuzzed for a later variable (its
        # breaking values did not hold there) would give the first variable another text.
        if verdicts.setdefault(shape, verdict) is verdict and shape_key[0] == "type":
            _store(index, shape, verdict)
    if verdict.skip is not None:
        return _skip(var, verdict.skip.replace("{type}", type_words(ref)))
    if verdict.breaking:
        # A known hazard settled it: no search ran (the report names hazards only).
        hazards = list(verdict.breaking)
        first = hazards[0]
        rest = hazards[1:] + ([verdict.shrunk] if verdict.shrunk is not None else [])
        failure = _failure(
            index, var, ref, consumer, domain, found, first, line_for(first), "known hazard"
        )
        return _with_other_causes(index, var, consumer, domain, failure, first, rest, line_for)
    if verdict.shrunk is None:
        return RULE.passed(var.name, var.location)
    return _failure(
        index, var, ref, consumer, domain, found, verdict.shrunk, line_for(verdict.shrunk)
    )


def _composed_roundtrip(
    index: Index, var: TemplateVar, ref: FieldRef, consumer: str, found: Typed
) -> Finding:
    """A composition (a DSN built around a password) rendered with the whole template: each
    Vault value it holds is varied over its domain's hazards, the others kept at safe markers.
    It must come back as the composition of what Vault holds (quoting), and a value inside a
    URL must not hold what the URL syntax reserves there (``@ / ? #`` in a password)."""
    template = next((t for t in index.templates() if t.path == var.location.path), None)
    if template is None:
        return _skip(var, "the template is not readable")
    trees = index.service(Verdicts).template_trees
    try:
        nodes = trees.get(template.path)
        if nodes is None:
            nodes = trees[template.path] = template_nodes(template)
        markers = {k: f"mk{i}q" for i, k in enumerate(template_keys(nodes))}
        safe = render_var(nodes, consumer, var.name, markers)
    except NotModelled as exc:
        return _skip(var, f"the template is not modelled: {exc.message}")
    if safe is None or not any(markers.get(k, "\0") in safe for k in var.vault_keys):
        return _skip(
            var, "the composition does not render its Vault values where they can be followed"
        )
    lines: list[str] = []
    fix: tuple[str, ...] = ()
    if not found.probe.check(safe).ok:
        lines.append(
            f"even with safe Vault values the composition is rejected by {type_words(ref)}"
        )
    for vault_key in dict.fromkeys(var.vault_keys):
        marker = markers.get(vault_key, "\0")
        if marker not in safe:
            continue
        domain = var_domain(index, vault_key)
        slot = url_slot(safe, marker)
        quoting = url = None
        for value in _composition_values():
            if not domain_accepts(domain, value) or _consumer_wide(consumer, value):
                continue
            try:
                got = render_var(nodes, consumer, var.name, {**markers, vault_key: value})
            except NotModelled:
                continue
            if quoting is None and got != safe.replace(marker, value):
                quoting = value
            if url is None and slot is not None and reserved_in(slot, value):
                url = value
        if quoting is not None:
            lines.append(
                f"a {vault_key} value holding {_chars(quoting)} (domain {domain}), rendered by "
                f"Vault Agent and read back by {consumer}, gives a different {var.name}: the "
                "composition is not quoted for its consumer"
            )
            fixed = compose_fix(var, consumer)
            fix = (fixed,) if fixed is not None else ()
        if url is not None and slot is not None:
            held = "".join(c for c in reserved_chars(slot) if domain_may_contain(domain, c))
            lines.append(
                f"{vault_key} lands in the URL's {slot_words(slot)} as it is, and its domain "
                f"({domain}) lets it hold {name_chars(held or url)}: each ends that part of the "
                "URL or is percent-decoded, so the app connects elsewhere or as someone else. "
                f"Keep {vault_key} URL-safe (secrets.token_urlsafe, then [tool.envssot.domains] "
                f'{vault_key} = "token_urlsafe"), or store it percent-encoded in Vault'
            )
    if not lines:
        return RULE.passed(var.name, var.location,
                       lines=(f"composed from {', '.join(var.vault_keys)}: every value of their domains comes back intact",))  # fmt: skip
    return RULE.failed(
        var.name, var.location,
        lines=(template_line(var), *lines, *(("Quote the composition as a whole:",) if fix else ())),
        fix=fix,
    )  # fmt: skip


def _chars(value: str) -> str:
    """The hazard characters of a drawn value, named (they come from our lists, not Vault)."""
    from pytest_envssot.pysettings.hazards import COMPOSITION_HAZARDS, HAZARDS

    for hazard in sorted({*HAZARDS, *COMPOSITION_HAZARDS}, key=len, reverse=True):
        if hazard in value:
            return repr(hazard)
    return "such characters"


@lru_cache(maxsize=1)
def _composition_values() -> tuple[str, ...]:
    from pytest_envssot.pysettings.hazards import COMPOSITION_HAZARDS, HAZARDS

    values = {*HAZARDS, *COMPOSITION_HAZARDS}
    return tuple(sorted(values | {f"a{h}b" for h in values}, key=lambda v: (len(v), v)))


def _line_shape(var: TemplateVar) -> tuple[object, ...]:
    """The line with its names taken out.

    The rendered line is ``NAME=`` + what the value part renders; the value part reads the
    Vault key only through ``.Data.data.KEY``. Every consumer here parses the value the same
    whatever NAME is: python-dotenv resolves ``${X}`` against earlier lines only (none: the
    line is read alone), docker and the shell model never look at NAME after the ``=``. The
    one way NAME could matter is a value that itself starts a new ``NAME=`` line, which already
    breaks the line for any name; :meth:`_Verdict.holds_for` re-checks each var's own line.
    """
    field = ".Data.data." + var.vault_keys[0]
    parts = var.value_source.split(field)
    # Only whole references: `.Data.data.KEY` not followed by more of an identifier.
    value = parts[0] + "".join(
        (".Data.data.\0" if not (p[:1].isalnum() or p[:1] == "_") else field) + p for p in parts[1:]
    )
    return (value, var.exported)


@lru_cache(maxsize=1)
def _hazard_values() -> tuple[str, ...]:
    """The shapes known to break a consumer, alone and inside text, shortest first."""
    from pytest_envssot.pysettings.hazards import HAZARDS

    values = {h for h in HAZARDS} | {f"a{h}b" for h in HAZARDS}
    return tuple(sorted(values, key=lambda v: (len(v), v)))


def _fuzz(
    index: Index,
    found: Typed,
    domain: str | None,
    broken: Callable[[str], bool],
    ident: str,
    secret: bool,
    settled: Callable[[], bool],
) -> _Verdict:
    from pytest_envssot.pysettings.alphabets import drawn_alphabet
    from pytest_envssot.rules._settled import altered

    strategy: SearchStrategy[str] | None = None
    if drawn_alphabet(found.resolved.annotation, domain) is None:
        # A type without a strategy is skipped before any hazard is tried.
        from pytest_envssot.pysettings.strategies import Unsupported, text_strategy

        try:
            strategy = text_strategy(found.resolved, domain)
        except Unsupported as exc:
            return _Verdict(skip=f"{{type}}: {exc}; declare a domain in [tool.envssot.domains]")
    # Known hazards first: deterministic, whatever hypothesis version or seed draws. One that
    # breaks settles the verdict (the report names hazards only, then), so no search runs.
    # On a line settled by construction (rules/_settled) only a hazard holding a character
    # the line alters can break: the others come back as written and are not tried.
    intact = strategy is None and settled()
    hazards = tuple(
        h
        for h in _hazard_values()
        if (altered(h) or not intact) and domain_accepts(domain, h) and broken(h)
    )
    if hazards:
        return _Verdict(breaking=hazards)
    if intact:  # ... and no drawable value can break it: no search
        return _Verdict()
    if strategy is None:
        from pytest_envssot.pysettings.strategies import text_strategy

        strategy = text_strategy(found.resolved, domain)
    outcome = _search(index, ident, secret, strategy, broken)
    if isinstance(outcome, _Verdict):
        return outcome
    return _Verdict(shrunk=outcome)


def _with_other_causes(
    index: Index,
    var: TemplateVar,
    consumer: str,
    domain: str | None,
    failure: Finding,
    first: str,
    others: list[str],
    line_for: Callable[[str], str],
) -> Finding:
    """Name every distinct reason the var breaks, not just the one the smallest value shows."""
    seen = {_diagnose(var, consumer, first, line_for(first), domain)[0]}
    extra: list[str] = []
    secret = index.is_strong_secret(var.name)
    for value in others:
        cause = _diagnose(var, consumer, value, line_for(value), domain)[0]
        if cause not in seen:
            seen.add(cause)
            shown = show(value, True) if secret else show(repr(value), False)
            extra.append(f"also breaks: {shown}: {cause}")
    return replace(failure, lines=(*failure.lines, *extra))


def _same(original: Checked, back: Checked) -> bool:
    return back.ok and not back.unset and back.value == original.value


@contextmanager
def _private_storage(private: bool) -> Iterator[None]:
    """With no database in use (the default), hypothesis' storage goes to a temporary
    folder for this search: it would still write its cache of source constants into
    ``./.hypothesis``, the user's tree, and nothing there would be worth keeping."""
    if not private:
        yield
        return
    import tempfile

    with (
        tempfile.TemporaryDirectory(prefix="envssot-hypothesis-") as folder,
        _hypothesis_home(Path(folder)),
    ):
        yield


@contextmanager
def _hypothesis_home(folder: Path) -> Iterator[None]:
    from hypothesis import configuration

    home: Any = configuration.storage_directory()
    previous = Path(getattr(home, "home_directory", home))  # a Path itself in older versions
    configuration.set_hypothesis_home_dir(folder)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


def _load_unicode_tables(index: Index, strategy: SearchStrategy[str]) -> None:
    """Build the strategy with hypothesis' storage in the per-user cache: the Unicode tables
    its character strategies need (a charmap, a codec's intervals: ~1.5 s to compute, no user
    data) are read from there, or computed once and kept. Hypothesis holds them in memory for
    the rest of the process, so the search itself runs with its storage wherever it was."""
    folder = cache_dir(index.config.root, index.config.cache)
    if folder is None or not make_private(folder / "hypothesis"):
        return
    try:
        with _hypothesis_home(folder / "hypothesis"):
            strategy.validate()
    except Exception:  # an invalid strategy: find() reports it the way it always did
        return


def _mine_no_local_constants() -> None:
    """Hypothesis draws string constants it mines from every loaded module outside
    site-packages: the user's conftest and tests in a pytest run. A literal there can be a real
    token, which would then be drawn and shown as a breaking value; and parsing them cost ~0.4 s
    a process with its cache in a temporary folder. Marking every loaded module as already seen
    keeps our searches to the field's own strategy. Hypothesis' internal state, hence guarded."""
    from hypothesis.internal.conjecture import providers

    seen = getattr(providers, "_seen_modules", None)
    if isinstance(seen, set) and hasattr(providers, "_sys_modules_len"):
        seen.update(id(module) for module in list(sys.modules.values()))
        providers._sys_modules_len = len(sys.modules)


def _chosen_database() -> bool:
    """A hypothesis database the user chose: HYPOTHESIS_STORAGE_DIRECTORY, or a profile's own
    database (the default one is ./.hypothesis/examples, in the user's repository)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return True
    from hypothesis import settings

    try:
        current = settings.default
        return current is not None and current.database != settings.get_profile("default").database
    except Exception:  # hypothesis' internals moved: keep the repository clean
        return False


def _derandomized(config: Config) -> bool:
    return config.seed is None and os.environ.get("CI", "").lower() == "true"


def _search(
    index: Index,
    ident: str,
    secret: bool,
    strategy: SearchStrategy[str],
    broken: Callable[[str], bool],
) -> str | _Verdict | None:
    """The smallest breaking value hypothesis finds, None if none, or a skip verdict."""
    from random import Random

    from hypothesis import HealthCheck, Verbosity, find, settings
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    config = index.config
    derandomize = _derandomized(config)
    options: dict[str, object] = {
        "max_examples": config.examples,
        "deadline": None,
        "derandomize": derandomize,
        "print_blob": False,
        "verbosity": Verbosity.quiet,
        "suppress_health_check": list(HealthCheck),
        "report_multiple_bugs": False,
    }
    if derandomize or secret or not _chosen_database():
        # A secret's breaking draws are kept nowhere: hypothesis' database stores them in clear.
        # Nor does any draw go to ./.hypothesis, the user's tree: a check writes nothing into
        # the repository. A database the user chose keeps the draws, for replay.
        options["database"] = None
    key = hashlib.sha256("\0".join((ident, go_tables())).encode("utf-8", "surrogatepass")).digest()
    _mine_no_local_constants()
    _load_unicode_tables(index, strategy)
    try:
        with _private_storage(options.get("database", "default") is None):
            return find(
                strategy,
                broken,
                settings=settings(**options),  # type: ignore[arg-type]
                random=Random(config.seed) if config.seed is not None else None,
                database_key=key,
            )
    except NoSuchExample:
        return None
    except Unsatisfiable:
        return _Verdict(skip="hypothesis could not draw values the type and domain allow; "
                             "check the domain in [tool.envssot.domains]")  # fmt: skip


def _failure(
    index: Index,
    var: TemplateVar,
    ref: FieldRef,
    consumer: str,
    domain: str | None,
    found: Typed,
    value: str,
    line: str,
    how: str = "hypothesis, shrunk",
) -> Finding:
    secret = index.is_strong_secret(var.name)
    shown = show(value, True) if secret else show(repr(value), False)
    back_text = read_back(consumer, line, var.name)
    back = found.probe.check(back_text)
    if back_text is None:
        result = "leaves the variable unset"
    elif not back.ok:
        result = f"gives text the field rejects ({back.error})"
    else:
        result = "gives a different value"
    cause, fix = _diagnose(var, consumer, value, line, domain)
    drawn = f"domain {domain}" if domain else f"every value {ref.field.annotation} allows"
    return RULE.failed(
        var.name, var.location,
        lines=(
            template_line(var),
            f"{type_words(ref)}; values drawn from {drawn}",
            f"smallest breaking value ({how}): {shown}",
            f"rendered by Vault Agent and read back by {consumer}, it {result}",
            f"why: {cause}",
            *fix,
        ),
    )  # fmt: skip


def _diagnose(
    var: TemplateVar, consumer: str, value: str, line: str, domain: str | None
) -> tuple[str, tuple[str, ...]]:
    name = var.name
    declare = (
        f"declare the value domain Vault really holds ([tool.envssot.domains] {name} = "
        '"token_urlsafe" or "regex:..."), or constrain the field (Field(pattern=...))'
    )
    if consumer == "pydantic-settings":
        if _DOTENV_VARIABLE.search(value):
            return (
                "python-dotenv expands ${...} inside double and single quotes (pydantic-settings "
                "reads env files with interpolation on) and has no escape for it",
                (f"No template quoting carries it: {declare}, or read the file with a consumer "
                 "that does not interpolate ([tool.envssot] consumer).",),
            )  # fmt: skip
        if _GO_ESCAPE.search(line) and var.quoted:
            return (
                'printf "%q" writes control and non-printable characters as Go escapes '
                "(\\xNN, \\uNNNN) that python-dotenv leaves as literal text "
                f"(Go strconv.IsPrint tables: {go_tables().split(' (')[0].split()[-1]})",
                (f"Fix: {declare}.",),
            )
        return (
            "python-dotenv parses the rendered line differently from what was written",
            (f'Fix: {declare}, or render it quoted with printf "%q".',),
        )
    if consumer == "docker-env-file":
        if var.quoted:
            return (
                "docker --env-file takes the text after '=' verbatim: the quotes and escapes "
                'printf "%q" adds become part of the value',
                (f"Render it raw for docker: {name}={{{{ with .Data.data.{var.vault_keys[0]} }}}}{{{{ . }}}}{{{{ end }}}} "
                 f"(a newline still cannot be carried: {declare}).",),
            )  # fmt: skip
        return (
            "a line break or leading blank in the value changes what docker --env-file reads",
            (f"Fix: {declare}.",),
        )
    hazards = shell_hazards(line.rstrip("\n"), name)
    if not hazards and _GO_ESCAPE.search(line):
        hazards = ("keeps Go's \\xNN / \\uNNNN escapes as literal text (sh decodes none of them)",)
    return (
        "a POSIX shell sourcing the file " + "; ".join(dict.fromkeys(hazards or ("reads the word differently",))),
        (f"Quote for sh with single quotes: '{{{{ .Data.data.{var.vault_keys[0]} | replaceAll \"'\" \"'\\\\''\" }}}}', "
         f"or {declare}.",),
    )  # fmt: skip


# --------------------------------------------------------------------------- the catalogue

_SEED_DSN_QUOTED = (
    '{{ printf "postgresql://app:%s@demo-postgres%s:5432/demo" $pw $suffix | printf "%q" }}'
)
_STR_FIELD = 'class Settings(BaseSettings):\n    {name}: {ann} = Field(default={default}, validation_alias="{env}")\n'
_PYPROJECT = '[project]\nname = "demo"\n[tool.envssot]\n{extra}'


def _example(
    ann: str, default: str, env: str, extra: str = "", fallback: str = '""'
) -> dict[str, str]:
    files = mini_repo(
        "from pydantic import SecretStr\n\n"
        + _STR_FIELD.format(name=env.lower(), ann=ann, default=default, env=env),
        f"# [VAULT]\n{env}=\n",
        tmpl_line(env, fallback),
    )
    files["pyproject.toml"] = _PYPROJECT.format(extra=extra)
    return files


RULES = (
    Rule(
        RULE,
        Layer.TEMPLATE,
        "hypothesis finds a value that Vault -> %q render -> consumer parse -> pydantic does not return intact",
        template_roundtrip,
        hangs_under="template",
        details='hypothesis finds a value the var realistically holds (see "Value domains") that Vault → render → consumer parse → pydantic does not return intact. A composed value (a DSN built around a password) is rendered with the whole template and must come back as the composition of what Vault holds; a value inside a URL must not hold what the URL reserves there (`@ / ? # %` in a password). One more item per template, `template-roundtrip[consumer:pydantic-settings]`, fails once when some value may hold `${…}`, which python-dotenv expands however the line is quoted',
        why="A value that changes between Vault and the app (quotes, $, #, newlines) is a production-only bug no unit test sees.",
        valid=(
            RuleExample(_example("int", "2", "WORKERS", fallback='"2"'), "WORKERS"),
            RuleExample(_example("bool", "False", "FEATURE_ON", fallback='"false"'), "FEATURE_ON"),
            RuleExample(
                _example(
                    "SecretStr",
                    'SecretStr("")',
                    "API_KEY",
                    'default_secret_domain = "token_urlsafe"\n',
                ),
                "API_KEY",
            ),
            RuleExample(
                _example(
                    "str",
                    '""',
                    "NAME",
                    '[tool.envssot.domains]\nNAME = "regex:[a-z][a-z0-9-]{0,30}"\n',
                ),
                "NAME",
            ),
            # issue 13 class 4: the seed's line for a plain str passes by default ...
            RuleExample(_example("str", '""', "NAME"), "NAME"),
            # ... values shaped like the documented ones ("production" vs "development")
            RuleExample(seed_repo(), "ENVIRONMENT"),
            RuleExample(
                seed_repo(envssot='default_secret_domain = "token_urlsafe"\n'),
                CONSUMER_ITEM.format(consumer="pydantic-settings"),
            ),
            # issue 13 class 2: a composition of URL-safe values, quoted as a whole
            RuleExample(
                seed_repo(_SEED_DSN_QUOTED, 'default_secret_domain = "token_urlsafe"\n'),
                "DATABASE_URL",
            ),
        ),
        invalid=(
            # control characters only when declared
            RuleExample(
                _example("str", '""', "NAME", '[tool.envssot.domains]\nNAME = "any"\n'),
                "NAME",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders NAME from Vault key NAME of secret/data/demo/%s/app",
                    "app/config.py:8 Settings.name: str; values drawn from domain any",
                    "smallest breaking value (known hazard): '\\x00'",
                    "rendered by Vault Agent and read back by pydantic-settings, it gives a different value",
                    'why: printf "%q" writes control and non-printable characters as Go escapes (\\xNN, \\uNNNN) that python-dotenv leaves as literal text (Go strconv.IsPrint tables: go1.19.8)',
                    'Fix: declare the value domain Vault really holds ([tool.envssot.domains] NAME = "token_urlsafe" or "regex:..."), or constrain the field (Field(pattern=...)).',
                ),
            ),
            # issue 13 class 2: a free-form password inside the URL's userinfo ('@', '/', '#')
            RuleExample(
                seed_repo(_SEED_DSN_QUOTED),
                "DATABASE_URL",
                message=(
                    "deploy/app/secrets.ctmpl:5 renders DATABASE_URL from Vault key POSTGRES_PASSWORD of secret/data/demo/%s/postgres",
                    "POSTGRES_PASSWORD lands in the URL's user or password as it is, and its domain (printable) lets it hold '@', '/', '?', '#', '%', '[', ']', a blank: each ends that part of the URL or is percent-decoded, so the app connects elsewhere or as someone else. Keep POSTGRES_PASSWORD URL-safe (secrets.token_urlsafe, then [tool.envssot.domains] POSTGRES_PASSWORD = \"token_urlsafe\"), or store it percent-encoded in Vault",
                ),
            ),
            # ... and inside literal quotes ('"' ends the value)
            RuleExample(
                seed_repo(
                    envssot='[tool.envssot.domains]\nPOSTGRES_PASSWORD = "ascii_printable"\n'
                ),
                "DATABASE_URL",
                message=(
                    "deploy/app/secrets.ctmpl:5 renders DATABASE_URL from Vault key POSTGRES_PASSWORD of secret/data/demo/%s/postgres",
                    "a POSTGRES_PASSWORD value holding '\"' (domain ascii_printable), rendered by Vault Agent and read back by pydantic-settings, gives a different DATABASE_URL: the composition is not quoted for its consumer",
                    "POSTGRES_PASSWORD lands in the URL's user or password as it is, and its domain (ascii_printable) lets it hold '@', '/', '?', '#', '%', '[', ']', a blank: each ends that part of the URL or is percent-decoded, so the app connects elsewhere or as someone else. Keep POSTGRES_PASSWORD URL-safe (secrets.token_urlsafe, then [tool.envssot.domains] POSTGRES_PASSWORD = \"token_urlsafe\"), or store it percent-encoded in Vault",
                    "Quote the composition as a whole:",
                ),
                fix=(
                    'DATABASE_URL={{ printf "postgresql://app:%s@demo-postgres%s:5432/demo" $pw $suffix | printf "%q" }}',
                ),
            ),
            # issue 13 class 4: python-dotenv's ${...} expansion, once for the template
            RuleExample(
                _example("SecretStr", 'SecretStr("")', "API_KEY"),
                CONSUMER_ITEM.format(consumer="pydantic-settings"),
                message=(
                    "deploy/app/secrets.ctmpl is read back by pydantic-settings, whose python-dotenv expands ${NAME} in every value, inside double and single quotes alike, and has no escape for it: a Vault value holding ${…} reaches the app changed, however the line is quoted.",
                    "values that may hold it (value domain): API_KEY (printable)",
                    "Fix it for the consumer, not per line: hand the values to the process environment instead of a file (Vault Agent's env_template stanzas with exec mode run the app with them; pydantic-settings never parses a file), or source the file in a shell (`set -a; . /vault/secrets/.env; set +a`) with single-quoted lines and [tool.envssot] consumer = \"posix-shell\"; or, if Vault can never hold ${, declare those values' domains ([tool.envssot.domains], default_secret_domain).",
                ),
            ),
            RuleExample(
                _example(
                    "str",
                    '""',
                    "NAME",
                    'consumer = "docker-env-file"\n[tool.envssot.domains]\nNAME = "alnum"\n',
                ),
                "NAME",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders NAME from Vault key NAME of secret/data/demo/%s/app",
                    "app/config.py:8 Settings.name: str; values drawn from domain alnum",
                    "smallest breaking value (hypothesis, shrunk): '0'",
                    "rendered by Vault Agent and read back by docker-env-file, it gives a different value",
                    "why: docker --env-file takes the text after '=' verbatim: the quotes and escapes printf \"%q\" adds become part of the value",
                    'Render it raw for docker: NAME={{ with .Data.data.NAME }}{{ . }}{{ end }} (a newline still cannot be carried: declare the value domain Vault really holds ([tool.envssot.domains] NAME = "token_urlsafe" or "regex:..."), or constrain the field (Field(pattern=...))).',
                ),
            ),
            RuleExample(
                _example("str", '""', "NAME", 'consumer = "posix-shell"\n'),
                "NAME",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders NAME from Vault key NAME of secret/data/demo/%s/app",
                    "app/config.py:8 Settings.name: str; values drawn from domain printable",
                    "smallest breaking value (known hazard): '$A'",
                    "rendered by Vault Agent and read back by posix-shell, it gives a different value",
                    "why: a POSIX shell sourcing the file expands $A (parameter expansion)",
                    'Quote for sh with single quotes: \'{{ .Data.data.NAME | replaceAll "\'" "\'\\\\\'\'" }}\', or declare the value domain Vault really holds ([tool.envssot.domains] NAME = "token_urlsafe" or "regex:..."), or constrain the field (Field(pattern=...)).',
                    "also breaks: '${}': a POSIX shell sourcing the file expands ${...} (parameter expansion)",
                    "also breaks: '`id`': a POSIX shell sourcing the file executes `...` (command substitution)",
                    "also breaks: 'a$Ab': a POSIX shell sourcing the file expands $Ab (parameter expansion)",
                    "also breaks: '$(id)': a POSIX shell sourcing the file executes $(...) (command substitution)",
                ),
            ),
        ),
    ),
)
