"""``vault-marker``: ``[VAULT]`` in .env.example if and only if a template renders the var."""

from __future__ import annotations

from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.model import Layer
from pytest_envssot.rules import _edits
from pytest_envssot.rules._text import template_line, unreadable_skip
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo, tmpl_line

VAULT_MARKER = Reporter("vault-marker")


def vault_marker(index: Index) -> Iterator[Finding]:
    if not index.contract.templates:
        return  # without templates there is no Vault layer to agree with
    entries = index.example_entries()
    if not any(e.vault for e in entries):
        yield from _never_adopted(index)
        return
    seen: set[str] = set()
    for entry in entries:
        if entry.key in seen:
            continue
        seen.add(entry.key)
        rendered = index.rendered(entry.key)
        at = entry.location
        if bool(rendered) == entry.vault:
            yield VAULT_MARKER.passed(entry.key, at)
        elif entry.vault and (broken := index.unreadable(Layer.TEMPLATE)):
            yield unreadable_skip(VAULT_MARKER, entry.key, at, broken)
        elif entry.vault:
            templates = ", ".join(t.path for t in index.contract.templates)
            yield VAULT_MARKER.failed(
                entry.key,
                at,
                lines=(
                    f"{at} marks {entry.key} [VAULT]",
                    f"but no template renders it ({templates}): production will not get it from Vault.",
                    "Render it in a template, or drop [VAULT] from its comment.",
                ),
                edit=_edits.example_marker(entry, "drop"),
            )
        else:
            yield VAULT_MARKER.failed(
                entry.key,
                at,
                lines=(
                    template_line(rendered[0]),
                    f"but {at} does not mark it [VAULT]: readers cannot tell it is production-managed.",
                    "Add the marker to its comment:",
                ),
                fix=(
                    f"# [VAULT] {entry.comment.splitlines()[-1] if entry.comment else entry.key}",
                ),
                edit=_edits.example_marker(entry, "add"),
            )


def _never_adopted(index: Index) -> Iterator[Finding]:
    """No line carries [VAULT]: the repository never adopted the marker, so a missing one is
    no drift. One skipped item per rendered var says how to adopt it."""
    seen: set[str] = set()
    for entry in index.example_entries():
        if entry.key in seen or not index.rendered(entry.key):
            continue
        seen.add(entry.key)
        yield VAULT_MARKER.skipped(
            entry.key,
            entry.location,
            lines=(
                f"{entry.location.path} marks no var [VAULT]: this repository never adopted the "
                "marker. To adopt it, add '# [VAULT]' to the comment above each var a "
                "template renders; this rule then keeps the markers true.",
            ),
        )


_FIELD = 'class Settings(BaseSettings):\n    redis_url: str = Field(default="", validation_alias="REDIS_URL")\n'

RULES = (
    Rule(
        VAULT_MARKER,
        Layer.EXAMPLE,
        "[VAULT] marker present <=> var rendered by a template does not hold",
        vault_marker,
        hangs_under="`.env.example`",
        details="`[VAULT]` present ⇔ a template renders the var does not hold (skipped, saying how to adopt it, when the example file marks no var at all)",
        why="[VAULT] tells readers a value is production-managed; a wrong marker sends people to edit the wrong place.",
        valid=(
            RuleExample(
                mini_repo(_FIELD, "# [VAULT] cache\nREDIS_URL=\n", tmpl_line("REDIS_URL")),
                "REDIS_URL",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(
                    _FIELD + '    db_url: str = Field(default="", validation_alias="DB_URL")\n',
                    "# cache\nREDIS_URL=\n# [VAULT] database\nDB_URL=\n",
                    tmpl_line("REDIS_URL") + tmpl_line("DB_URL"),
                ),
                "REDIS_URL",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders REDIS_URL from Vault key REDIS_URL of secret/data/demo/%s/app",
                    "but .env.example:2 does not mark it [VAULT]: readers cannot tell it is production-managed.",
                    "Add the marker to its comment:",
                ),
                fix=("# [VAULT] cache",),
            ),
            RuleExample(
                mini_repo(
                    _FIELD + "    debug: bool = False\n",
                    "# [VAULT] cache\nREDIS_URL=\n# [VAULT] debug\nDEBUG=false\n",
                    tmpl_line("REDIS_URL"),
                ),
                "DEBUG",
                message=(
                    ".env.example:4 marks DEBUG [VAULT]",
                    "but no template renders it (deploy/app/secrets.ctmpl): production will not get it from Vault.",
                    "Render it in a template, or drop [VAULT] from its comment.",
                ),
            ),
        ),
    ),
)
