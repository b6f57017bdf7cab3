"""What a rule says about one variable: the unit every face reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from pytest_envssot.model import Location


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule x one variable. ``location`` is the layer file the item hangs under.

    ``lines`` explain what each layer holds (with ``path:line``); ``fix`` holds the lines to
    add, shown indented under the last explanation line. Values in them are already redacted.
    """

    rule: str
    variable: str
    outcome: Outcome
    location: Location
    lines: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()
    # An expensive check (the hypothesis round trip) runs when its item runs, so pytest-xdist
    # workers share the work instead of each doing all of it at collection.
    pending: Callable[[], Finding] | None = field(default=None, compare=False, repr=False)
    # Adoption (README "Adopting it on an existing repository"): a failure of a rule listed
    # under ``warn`` reports without failing; one listed in the baseline file is accepted.
    level: str = "error"  # "error" | "warning"
    baselined: bool = False

    def resolve(self) -> Finding:
        """The finding with its outcome known (runs a pending check)."""
        return self.pending() if self.pending is not None else self

    @property
    def blocking(self) -> bool:
        """A failure that fails the run: not a warning, not accepted by the baseline."""
        return self.outcome is Outcome.FAILED and self.level == "error" and not self.baselined

    @property
    def name(self) -> str:
        """The pytest item name: ``rule[VAR]``, or just ``rule`` for file-level checks."""
        return f"{self.rule}[{self.variable}]" if self.variable else self.rule

    @property
    def message(self) -> str:
        return "\n".join((*self.lines, *(f"  {line}" for line in self.fix)))

    def render(self) -> str:
        """The linter-style text: ``path:line: rule[VAR]`` then the explanation."""
        body = [f"  {line}" for line in self.message.splitlines()]
        return "\n".join((f"{self.location}: {self.name}", *body))
