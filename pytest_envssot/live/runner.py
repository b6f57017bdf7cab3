"""The opt-in families that look outside the repository, added to an engine report.

``--envssot-vault ENV`` reads Vault (:mod:`pytest_envssot.vault.live`); ``--frontend-build
DIR`` reads a Next.js build (:mod:`pytest_envssot.live.frontend`). Both faces (plugin, CLI)
call :func:`with_live_findings`; it raises ConfigError (a usage error) when a check must not
or cannot run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from pytest_envssot.engine import Report
from pytest_envssot.findings import Finding


def with_live_findings(
    report: Report,
    *,
    keep_contract: bool = True,
    vault_env: str | None = None,
    vault_timeout: float | None = None,
    frontend_build: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Report:
    """``report`` plus the live findings asked for (without its own when not ``keep_contract``)."""
    env = os.environ if environ is None else environ
    extra: list[Finding] = []
    if vault_env is not None:
        from pytest_envssot.vault.live import DEFAULT_TIMEOUT, check_vault

        timeout = DEFAULT_TIMEOUT if vault_timeout is None else vault_timeout
        extra += check_vault(report.index, vault_env, env, timeout, report.redactor)
    if frontend_build is not None:
        from pytest_envssot.live.frontend import check_build

        extra += check_build(report.index, Path(frontend_build), env, report.redactor)
    base = report.findings if keep_contract else ()
    return replace(report, findings=(*base, *extra))
