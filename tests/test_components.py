"""Several settings classes and templates: any class covers a var, unless components say whose it is."""

from __future__ import annotations

from pathlib import Path

from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome

APP = (
    "from pydantic import Field\nfrom pydantic_settings import BaseSettings\n\n"
    "class AppSettings(BaseSettings):\n"
    '    database_url: str = Field(default="", validation_alias="DATABASE_URL")\n'
)
WORKER = (
    "from pydantic import Field\nfrom pydantic_settings import BaseSettings\n\n"
    "class WorkerSettings(BaseSettings):\n"
    '    queue_url: str = Field(default="", validation_alias="QUEUE_URL")\n'
)


def _template(component: str, *names: str) -> str:
    lines = "".join(
        f'{n}={{{{ with .Data.data.{n} }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}""{{{{ end }}}}\n'
        for n in names
    )
    return f'{{{{ with secret (printf "secret/data/shop/%s/{component}" (env "ENV")) }}}}\n{lines}{{{{ end }}}}\n'


def _repo(root: Path, pyproject: str) -> None:
    files = {
        "pyproject.toml": pyproject,
        "app/config.py": APP,
        "worker/config.py": WORKER,
        "deploy/app/secrets.ctmpl": _template("app", "DATABASE_URL"),
        # The worker template renders DATABASE_URL too, but only the app reads it.
        "deploy/worker/secrets.ctmpl": _template("worker", "QUEUE_URL", "DATABASE_URL"),
        ".env.example": "# [VAULT] db\nDATABASE_URL=\n# [VAULT] queue\nQUEUE_URL=\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _outcome(root: Path, path: str, variable: str) -> Outcome:
    report = check(root, only=["template-var-has-field"])
    (finding,) = [f for f in report.findings if f.location.path == path and f.variable == variable]
    return finding.outcome


def test_without_components_any_class_covers_a_template_var(tmp_path: Path) -> None:
    _repo(tmp_path, '[project]\nname = "shop"\n')
    assert _outcome(tmp_path, "deploy/worker/secrets.ctmpl", "DATABASE_URL") is Outcome.PASSED
    assert _outcome(tmp_path, "deploy/worker/secrets.ctmpl", "QUEUE_URL") is Outcome.PASSED


def test_with_components_only_its_own_settings_cover_it(tmp_path: Path) -> None:
    _repo(
        tmp_path,
        '[project]\nname = "shop"\n'
        '[tool.envssot.components.app]\nsettings = ["app/config.py"]\ntemplates = ["deploy/app/*.ctmpl"]\n'
        '[tool.envssot.components.worker]\nsettings = ["worker/config.py"]\n'
        'templates = ["deploy/worker/*.ctmpl"]\n',
    )
    assert _outcome(tmp_path, "deploy/app/secrets.ctmpl", "DATABASE_URL") is Outcome.PASSED
    assert _outcome(tmp_path, "deploy/worker/secrets.ctmpl", "QUEUE_URL") is Outcome.PASSED
    assert _outcome(tmp_path, "deploy/worker/secrets.ctmpl", "DATABASE_URL") is Outcome.FAILED
