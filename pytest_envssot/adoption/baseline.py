"""``.envssot-baseline.json``: today's failures, accepted so that only new ones fail.

One entry per failure: its rule, variable and path, and a hash of its (redacted) explanation
with line numbers and masks taken out, so a reviewer of the file sees when an accepted failure
changed. Never a value. Entries are sorted and the file holds nothing that changes from one run
to the next (no time, no version), so writing it twice gives the same bytes.

A failure is baselined when an entry has its rule, variable and path: editing lines above it,
or a different explanation, does not make it new.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from pytest_envssot.config import ConfigError
from pytest_envssot.findings import Finding
from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.records import frozen

BASELINE_FILE = ".envssot-baseline.json"
_UNSTABLE = lazy_compile(r"\*\*\*[0-9a-f]*|(?<=:)\d+|\blines? [\d, ]+")


@frozen(slots=False)
class Entry:
    """One known failure the baseline accepts."""

    path: str
    rule: str
    variable: str
    evidence: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.path, self.rule, self.variable


def sort_key(e: Entry) -> tuple[str, str, str, str]:
    """The file's order (a plain tuple: the dataclass's generated comparisons are slow)."""
    return e.path, e.rule, e.variable, e.evidence


def evidence(finding: Finding) -> str:
    """A hash of what the failure says, stable across line moves and mask keys."""
    text = _UNSTABLE.sub("", finding.message)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def entry(finding: Finding) -> Entry:
    return Entry(finding.location.path, finding.rule, finding.variable, evidence(finding))


def dump(entries: Iterable[Entry]) -> str:
    rows = [
        {"rule": e.rule, "variable": e.variable, "path": e.path, "evidence": e.evidence}
        for e in sorted(set(entries), key=sort_key)
    ]
    return json.dumps({"version": 1, "entries": rows}, indent=2, ensure_ascii=False) + "\n"


def load(path: Path, shown: str) -> tuple[Entry, ...]:
    """The entries of a baseline file; a one-line ConfigError (``shown``) when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{shown}: baseline file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{shown}: cannot read the baseline ({type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{shown}:{exc.lineno}: not JSON: {exc.msg}") from None
    rows = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(rows, list) or data.get("version") != 1:
        raise ConfigError(
            f'{shown}: not an envssot baseline (want {{"version": 1, "entries": [...]}})'
        )
    out: list[Entry] = []
    for number, row in enumerate(rows, 1):
        row = row if isinstance(row, dict) else {}
        where, rule, variable, proof = (
            row.get(k) for k in ("path", "rule", "variable", "evidence")
        )
        if not (isinstance(where, str) and isinstance(rule, str) and isinstance(variable, str)):
            raise ConfigError(f"{shown}: entry {number} needs string rule, variable and path")
        out.append(Entry(where, rule, variable, proof if isinstance(proof, str) else ""))
    return tuple(out)
