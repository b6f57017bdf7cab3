"""Renderers for ``envssot check``: text, JSON, SARIF 2.1.0, GitHub annotations and the
``.env.example`` diff.

Every string leaves through the report's Redactor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring as _encode_str  # C-accelerated where available

from pytest_envssot import __version__
from pytest_envssot.adoption import PSEUDO_RULES
from pytest_envssot.engine import Report
from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.rules import ALL_RULES


def render_text(report: Report, verbose: bool = False) -> str:
    return "".join(iter_text(report, verbose))


def iter_text(report: Report, verbose: bool = False) -> Iterator[str]:
    """:func:`render_text` piece by piece (one line per finding): ``envssot check`` writes each
    as it is made, so 100,000 failures never sit in memory as one string."""
    scrub = report.redactor.scrub
    for finding in report.findings:
        if finding.blocking:
            yield scrub(finding.render()) + "\n"
        elif finding.outcome is Outcome.FAILED and not finding.baselined:
            yield "warning: " + scrub(finding.render()) + "\n"
        elif verbose:
            word = "baselined" if finding.baselined else finding.outcome.value
            yield f"{finding.location}: {finding.name} {word}\n"
    yield summary_line(report) + "\n"


def summary_line(report: Report) -> str:
    counts = report.summary()
    extra = "".join(f", {counts[key]} {key}" for key in ("warnings", "baselined") if counts[key])
    return (
        f"envssot: {counts['passed']} passed, {counts['failed']} failed{extra}, "
        f"{counts['skipped']} skipped ({counts['total']} checks)"
    )


def _result(report: Report, finding: Finding) -> dict[str, object]:
    return {
        "rule": finding.rule,
        "variable": finding.variable,
        "outcome": finding.outcome.value,
        "path": finding.location.path,
        "line": finding.location.line,
        # most items pass with no message: nothing to scrub (100k variables, 400k items)
        "message": report.redactor.scrub(finding.message) if finding.message else "",
        # only where they apply: a repository that adopts nothing sees the shape it always had
        **({"level": finding.level} if finding.level != "error" else {}),
        **({"baselined": True} if finding.baselined else {}),
    }


_ALWAYS = frozenset({"passed", "failed", "skipped", "total"})


def render_json(report: Report) -> str:
    return "".join(iter_json(report))


def iter_json(report: Report) -> Iterator[str]:
    """``json.dumps(payload, indent=2, ensure_ascii=False)``, byte for byte, written out here
    and given piece by piece (one result each), so ``envssot check`` writes each as it is made:
    100,000 variables make 160 MB of JSON, which as one string (and the list of its pieces,
    and its encoded copy) took a gigabyte. With ``indent`` json falls back to its pure-Python
    encoder, which spent most of a 5,000-var run's output time on 57,000 small dicts. Only a
    message can carry a value, so only a non-empty message goes through the redactor (passed
    results have none). A result with an adoption field (a warning level, baselined) takes the
    general path."""
    scrub = report.redactor.scrub
    # Rule names, outcomes and paths: a few values over half a million results, encoded once.
    encoded: dict[str, str] = {}

    def once(value: str) -> str:
        text = encoded.get(value)
        if text is None:
            text = encoded[value] = _json(value)
        return text

    def one(f: Finding) -> str:
        if f.level != "error" or f.baselined:
            text = json.dumps(_result(report, f), indent=2, ensure_ascii=False)
            return "    " + text.replace("\n", "\n    ")
        message = f.message
        return _RESULT.format(
            once(f.rule), _json(f.variable), once(f.outcome.value), once(f.location.path),
            _json(f.location.line), _json(scrub(message)) if message else '""',
        )  # fmt: skip

    yield '{\n  "version": 1,\n  "results": '
    separator = "[\n"
    for finding in report.findings:
        yield separator + one(finding)
        separator = ",\n"
    yield "[]" if separator == "[\n" else "\n  ]"
    counts = {k: v for k, v in report.summary().items() if v or k in _ALWAYS}
    summary = json.dumps(counts, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    yield f',\n  "summary": {summary}\n}}\n'


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
    descriptors = [(rule.name, rule.summary) for rule in ALL_RULES] + list(PSEUDO_RULES.items())
    rule_ids = [name for name, _ in descriptors]
    warn = set(report.config.warn)
    results = []
    for finding in report.problems:
        # A file-level check points at the file's first line: code scanning shows a result
        # only with a region.
        location = {
            "artifactLocation": {"uri": finding.location.path},
            "region": {"startLine": max(finding.location.line, 1)},
        }
        result: dict[str, object] = {
            "ruleId": finding.rule,
            "ruleIndex": rule_ids.index(finding.rule) if finding.rule in rule_ids else -1,
            "level": finding.level,
            "message": {"text": report.redactor.scrub(f"{finding.name}: {finding.message}")},
            "locations": [{"physicalLocation": location}],
            # The path too: the same rule and variable in two files are two results.
            "partialFingerprints": {
                "envssot/v2": f"{finding.location.path}:{finding.rule}:{finding.variable}"
            },
        }
        if finding.baselined:
            result["suppressions"] = [
                {"kind": "external", "justification": "accepted in the envssot baseline"}
            ]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "envssot",
                        "version": __version__,
                        "rules": [
                            {
                                "id": name,
                                "name": name,
                                "shortDescription": {"text": f"fails when {summary}"},
                                "defaultConfiguration": {
                                    "level": "warning" if name in warn else "error"
                                },
                            }
                            for name, summary in descriptors
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _escape(text: str, prop: bool = False) -> str:
    """GitHub's workflow-command escaping (data; property values also escape ``:`` and ``,``)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def github_annotation(finding: Finding, scrub: Callable[[str], str]) -> str:
    """``::error file=…,line=…,title=rule[VAR]::message`` (``::warning`` for ``warn`` rules)."""
    kind = "warning" if finding.level == "warning" else "error"
    props = [f"file={_escape(finding.location.path, True)}"]
    if finding.location.line:
        props.append(f"line={finding.location.line}")
    props.append(f"title={_escape(scrub(finding.name), True)}")
    return f"::{kind} {','.join(props)}::{_escape(scrub(finding.message))}"


def render_github(report: Report) -> str:
    """One annotation per failure and warning (baselined ones are accepted), then the count."""
    scrub = report.redactor.scrub
    out = [github_annotation(f, scrub) for f in report.problems if not f.baselined]
    return "\n".join([*out, summary_line(report)]) + "\n"


def render_diff(report: Report) -> tuple[str, list[str]]:
    """A unified diff adding the missing lines to ``.env.example`` (``git apply`` / ``patch -p1``),
    or nothing; and comment lines for stderr: Field(...) stubs for orphans, and why there is no
    patch. One call: the example file is read and the patch built once."""
    from pytest_envssot import example_patch
    from pytest_envssot.readers._io import read_text  # no FIFO, no symlink out of the repo

    scrub = report.redactor.scrub
    problems = report.problems
    orphans = [f for f in problems if f.rule in ("template-var-has-field", "example-var-has-field")]
    notes: list[str] = []
    if orphans:
        notes.append("# Variables no settings field reads; add a field to config.py for each:")
        notes.extend(scrub(f"#   {f.fix[0]}  # {f.location}") for f in orphans if f.fix)
    additions = [f for f in problems if f.rule == "field-documented" and f.fix]
    if not additions:
        return "", notes
    path = report.config.env_example
    if not (report.config.root / path).exists():  # a new file: nothing to show around it
        added = [scrub(line) for f in additions for line in f.fix]
        head = ["--- /dev/null", f"+++ b/{path}", f"@@ -0,0 +1,{len(added)} @@"]
        return "\n".join([*head, *(f"+{line}" for line in added)]) + "\n", notes
    text = read_text(report.config.root / path, path)
    if not isinstance(text, str):
        notes.append(f"# envssot: no patch for {path}: {scrub(text.message)}")
        return "", notes
    try:
        lines = example_patch.build(path, text, additions, report.index, scrub)
    except example_patch.NoPatch as exc:
        notes.append(f"# envssot: no patch for {path}: {exc}; add the lines `envssot check` shows")
        return "", notes
    return "\n".join(lines) + "\n", notes
