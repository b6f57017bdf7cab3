"""``envssot vars``: every variable and where each layer holds it. Names and places, no values.

A field's type can still carry one (``Literal["sk-live-…"]``): every string goes through the
report's scrubber, in each format, before it is encoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_envssot.index import Index

LAYERS = ("template", "settings", "example", "dockerfile")


@dataclass
class VariableRow:
    name: str
    secret: bool = False
    places: dict[str, list[dict[str, object]]] = field(
        default_factory=lambda: {k: [] for k in LAYERS}
    )


def inventory(index: Index) -> list[VariableRow]:
    rows: dict[str, VariableRow] = {}

    def row(name: str) -> VariableRow:
        return rows.setdefault(name, VariableRow(name))

    for var in index.template_vars():
        row(var.name).places["template"].append(
            {"path": var.location.path, "line": var.location.line, "vault_keys": list(var.vault_keys),
             "quoted": var.quoted, "fallback": var.fallback is not None}
        )  # fmt: skip
    for ref in index.fields:
        here = {"path": ref.field.location.path, "line": ref.field.location.line,
                "field": f"{ref.owner.cls.name}.{ref.field.name}", "type": ref.field.annotation,
                "required": ref.field.required, "names": [n.name for n in ref.names]}  # fmt: skip
        target = _existing(rows, ref.reads) or ref.primary
        if here not in row(target).places["settings"]:
            row(target).places["settings"].append(here)
    for entry in index.example_entries():
        row(entry.key).places["example"].append(
            {"path": entry.location.path, "line": entry.location.line, "vault": entry.vault,
             "commented_out": entry.commented_out}
        )  # fmt: skip
    for docker in index.dockerfiles():
        for ins in docker.instructions:
            if ins.kind in ("ARG", "ENV"):
                for name in ins.names:
                    row(name).places["dockerfile"].append(
                        {"path": ins.location.path, "line": ins.location.line, "kind": ins.kind}
                    )
    for r in rows.values():
        r.secret = index.is_secret(r.name)
    return sorted(rows.values(), key=lambda r: r.name)


def _existing(rows: dict[str, VariableRow], reads: object) -> str | None:
    """The name a template already used for this field (so case variants share one row)."""
    for name in rows:
        if callable(reads) and reads(name):
            return name
    return None


Scrub = Callable[[str], str]


def _scrubbed(value: object, scrub: Scrub) -> object:
    """Every string in ``value`` scrubbed (before JSON escapes could hide it from the scrubber)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, scrub) for v in value]
    return value


def render_json(rows: list[VariableRow], scrub: Scrub = str) -> str:
    payload = {
        "version": 1,
        "variables": [{"name": r.name, "secret": r.secret, "layers": r.places} for r in rows],
    }
    return json.dumps(_scrubbed(payload, scrub), indent=2) + "\n"


def render_text(rows: list[VariableRow], scrub: Scrub = str) -> str:
    width = max((len(r.name) for r in rows), default=8)
    out = [f"{'VARIABLE':<{width}}  T S E D  where"]
    for r in rows:
        marks = " ".join("x" if r.places[layer] else "." for layer in LAYERS)
        where = ", ".join(f"{p['path']}:{p['line']}" for layer in LAYERS for p in r.places[layer])
        out.append(f"{r.name:<{width}}  {marks}  {where}")
    out.append(f"{len(rows)} variables (T template, S settings, E .env.example, D Dockerfile)")
    return scrub("\n".join(out) + "\n")
