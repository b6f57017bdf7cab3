"""The opt-in families in the catalogue: live checks (Vault, a frontend build) and smoke checks.

Their findings come from their runners (:mod:`pytest_envssot.live.runner`,
:mod:`pytest_envssot.smoke`), which need what a repository cannot hold: a Vault token, a
build, a reachable service. Registering them here gives them a place in report order, in
SARIF's rule list and in the generated rule docs; the contract engine never runs them.
"""

from __future__ import annotations

from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.model import Layer
from pytest_envssot.rules.base import Rule

_HANGS = {
    Layer.TEMPLATE: "template",
    Layer.EXAMPLE: "`.env.example`",
    Layer.SETTINGS: "`config.py`",
}
_WHY = {
    "vault-path-convention": "One path convention keyed by ENV keeps environments apart: a hard-coded environment reads production secrets in staging.",
    "vault-path-readable": "A token that cannot read a path the template renders leaves every key of that path at its fallback in that environment.",
    "vault-key-present": "A key the template reads but Vault lacks renders the fallback: the environment runs on a value nobody chose.",
    "vault-key-orphan": "A key no template reads is a secret nobody uses but everyone must still rotate and protect.",
    "next-public-in-build": "The build is what users get: a NEXT_PUBLIC_* value missing from it is a broken page, whatever the source says.",
    "smoke-postgres": "Settings that name an unreachable database fail at the first request; a smoke check fails before the deploy.",
    "smoke-redis": "A wrong Redis URL or password surfaces as timeouts under load; the smoke check names it up front.",
    "smoke-s3": "A wrong bucket, endpoint or key fails only when a user uploads; the smoke check fails first.",
    "smoke-ai": "An invalid AI API key fails the feature that uses it, in front of users; GET /models proves the key works.",
}


def _runner_only(index: Index) -> Iterator[Finding]:
    """Nothing from the repository alone: the family's runner supplies these findings."""
    del index
    return iter(())


def _live(name: str, layer: Layer, summary: str, family: str = "live") -> Rule:
    return Rule(
        name,
        layer,
        summary,
        _runner_only,
        hangs_under=_HANGS[layer],
        details=summary,
        why=_WHY[name],
        family=family,
    )


RULES = (
    _live(
        "vault-path-readable",
        Layer.TEMPLATE,
        "`--envssot-vault ENV`: the token cannot read a secret path a template renders",
    ),
    _live(
        "vault-key-present",
        Layer.TEMPLATE,
        "`--envssot-vault ENV`: Vault lacks (or holds empty) a key a template reads",
    ),
    _live(
        "vault-key-orphan",
        Layer.TEMPLATE,
        "`--envssot-vault ENV`: Vault holds a key no template reads",
    ),
    _live(
        "next-public-in-build",
        Layer.EXAMPLE,
        "`--frontend-build DIR`: a NEXT_PUBLIC_* value was not baked into the build as expected",
    ),
    *(
        _live(
            f"smoke-{kind}",
            Layer.SETTINGS,
            f"`--envssot-smoke`: the {what} the settings describe does not answer",
            family="smoke",
        )
        for kind, what in (
            ("postgres", "PostgreSQL database (SELECT 1)"),
            ("redis", "Redis server (PING)"),
            ("s3", "S3 bucket (head_bucket)"),
            ("ai", "AI API (GET /models with the key)"),
        )
    ),
)
