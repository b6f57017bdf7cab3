"""Renderers for ``envssot check``: text, JSON, SARIF 2.1.0 and the ``.env.example`` diff.

Every string leaves through the report's Redactor.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from json.encoder import encode_basestring as _encode_str  # C-accelerated where available

from pytest_envssot import __version__
from pytest_envssot.engine import Report
from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.rules import ALL_RULES

INFO_URI = "https://pypi.org/project/pytest-envssot/"


def render_text(report: Report, verbose: bool = False) -> str:
    scrub = report.redactor.scrub
    out: list[str] = []
    for finding in report.findings:
        if finding.outcome is Outcome.FAILED:
            out.append(scrub(finding.render()))
        elif verbose:
            out.append(f"{finding.location}: {finding.name} {finding.outcome.value}")
    counts = report.summary()
    out.append(
        f"envssot: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped ({counts['total']} checks)"
    )
    return "\n".join(out) + "\n"


def render_json(report: Report) -> str:
    """``json.dumps(payload, indent=2, ensure_ascii=False)``, byte for byte, written out here:
    with ``indent`` json falls back to its pure-Python encoder, which spent most of a 5,000-var
    run's output time on 57,000 small dicts. Only a message can carry a value, so only a
    non-empty message goes through the redactor (passed results have none)."""
    scrub = report.redactor.scrub
    results = ",\n".join(
        _RESULT.format(
            _json(f.rule), _json(f.variable), _json(f.outcome.value), _json(f.location.path),
            _json(f.location.line), _json(scrub(f.message) if f.message else ""),
        )
        for f in report.findings
    )  # fmt: skip
    summary = json.dumps(report.summary(), indent=2, ensure_ascii=False).replace("\n", "\n  ")
    listed = f"[\n{results}\n  ]" if results else "[]"
    return f'{{\n  "version": 1,\n  "results": {listed},\n  "summary": {summary}\n}}\n'


_RESULT = (
    '    {{\n      "rule": {},\n      "variable": {},\n      "outcome": {},\n'
    '      "path": {},\n      "line": {},\n      "message": {}\n    }}'
)


def _json(value: object) -> str:
    if type(value) is str:
        return _encode_str(value)
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def render_sarif(report: Report) -> str:
    rule_ids = [rule.name for rule in ALL_RULES]
    results = []
    for finding in report.failed:
        location: dict[str, object] = {"artifactLocation": {"uri": finding.location.path}}
        if finding.location.line:
            location["region"] = {"startLine": finding.location.line}
        results.append(
            {
                "ruleId": finding.rule,
                "ruleIndex": rule_ids.index(finding.rule),
                "level": "error",
                "message": {"text": report.redactor.scrub(f"{finding.name}: {finding.message}")},
                "locations": [{"physicalLocation": location}],
                "partialFingerprints": {"envssot/v1": f"{finding.rule}:{finding.variable}"},
            }
        )
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "envssot",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": [
                            {
                                "id": rule.name,
                                "name": rule.name,
                                "shortDescription": {"text": f"fails when {rule.summary}"},
                                "defaultConfiguration": {"level": "error"},
                            }
                            for rule in ALL_RULES
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def render_diff(report: Report) -> str:
    """Field(...) stubs for orphans (as comments), then a unified diff for ``.env.example``.

    The diff applies with ``git apply`` / ``patch -p1``: leading comment lines are ignored.
    """
    scrub = report.redactor.scrub
    orphans = [
        f for f in report.failed if f.rule in ("template-var-has-field", "example-var-has-field")
    ]
    out: list[str] = []
    if orphans:
        out.append("# Variables no settings field reads; add a field to config.py for each:")
        out.extend(f"#   {f.fix[0]}  # {f.location}" for f in orphans if f.fix)
    additions = [f for f in report.failed if f.rule == "field-documented"]
    if additions:
        out.extend(_example_patch(report, additions))
    return scrub("\n".join(out) + "\n") if out else ""


def _example_patch(report: Report, additions: Iterable[Finding]) -> list[str]:
    from pytest_envssot.readers._io import read_text  # no FIFO, no symlink out of the repo

    path = report.config.env_example
    text = read_text(report.config.root / path, path)
    old = text.removeprefix("\ufeff").splitlines(keepends=True) if isinstance(text, str) else []
    if old and not old[-1].endswith("\n"):
        old[-1] += "\n"
    inserts: dict[int, list[str]] = {}
    for finding in additions:
        at = finding.location.line - 1 if finding.location.line else len(old)
        inserts.setdefault(min(at, len(old)), []).extend(line + "\n" for line in finding.fix)
    new: list[str] = []
    for number, line in enumerate([*old, None]):
        new.extend(inserts.get(number, []))
        if line is not None:
            new.append(line)
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(old, new, fromfile=f"a/{path}", tofile=f"b/{path}")
    ]
