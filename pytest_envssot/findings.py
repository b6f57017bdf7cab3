"""What a rule says about one variable: the unit every face reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from enum import Enum

from pytest_envssot.model import Location
from pytest_envssot.records import frozen


@frozen
class Edit:
    """What ``envssot fix`` needs to change one finding mechanically (never a Vault or .env value).

    ``kind`` names the edit (``pytest_envssot.fix`` maps each to one layer's editor), ``path``
    and ``line`` the place, ``data`` the kind's own arguments. An edit with ``blocked`` set is
    not applied: it says why the change needs a person's decision. ``option`` is a ``fix`` flag
    the edit needs (``--keep-orphans``).
    """

    kind: str
    path: str
    line: int = 0
    data: tuple[tuple[str, str], ...] = ()
    blocked: str = ""
    option: str = ""

    def get(self, key: str, default: str = "") -> str:
        return next((v for k, v in self.data if k == key), default)


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@frozen
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
    edit: Edit | None = None
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
        if not (self.lines or self.fix or self.edit):  # most passed items: nothing to say
            return ""
        return "\n".join((*self.lines, *(f"  {line}" for line in self.fix), *self._fix_hint()))

    def _fix_hint(self) -> tuple[str, ...]:
        """The last line of a failure: the ``envssot fix`` command that fixes it, or why none does."""
        if self.edit is None or self.outcome is not Outcome.FAILED:
            return ()
        if self.edit.blocked:
            return (f"envssot fix leaves this to you: {self.edit.blocked}",)
        command = f"Fix: envssot fix --rules {self.rule}"
        if not self.edit.option:
            return (command,)
        return (
            "Keeping it as a field is one of these choices, yours to make; envssot fix makes "
            f"it when you pass {self.edit.option}:",
            f"{command} {self.edit.option}",
        )

    def render(self) -> str:
        """The linter-style text: ``path:line: rule[VAR]`` then the explanation."""
        body = [f"  {line}" for line in self.message.splitlines()]
        return "\n".join((f"{self.location}: {self.name}", *body))
