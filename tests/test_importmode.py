"""Import mode end to end: the real settings classes, asked in one child process.

pytester and the engine on real copies of the sample; every child is a real Python process
importing real files. No test times anything: the small timeouts only keep hangs short.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import failed_ids
from hypothesis import HealthCheck, given, settings
from test_envnames import Spec, specs

from pytest_envssot.cli import main as cli_main
from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome
from pytest_envssot.pysettings.envnames import all_env_names
from pytest_envssot.pysettings.importmode import ImportSession, import_location, load_with_env
from pytest_envssot.pysettings.inheritance import models, resolve
from pytest_envssot.readers.settings import parse_settings

ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
IMPORT = ("-o", "envssot_import=true")
TYPE_RULES = "--envssot-rules=example-value-type,default-value-type"
Edit = Callable[[Path, str, str, str], None]

TYPES_PY = '''\
"""Project types: envssot cannot evaluate these statically."""

from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr


def _unprivileged(port: int) -> int:
    if port < 1024:
        raise ValueError(f"port {port} is privileged")
    return port


def _long_enough(token: SecretStr) -> SecretStr:
    if len(token.get_secret_value()) < 32:
        raise ValueError(f"token {token.get_secret_value()} is too short")
    return token


Port = Annotated[int, Field(ge=1, le=65535), AfterValidator(_unprivileged)]
Token = Annotated[SecretStr, AfterValidator(_long_enough)]
'''


def _add_port(root: Path, edit: Edit, example: str = "8000", default: str = "8000") -> None:
    """A field typed with an imported project type (custom validator inside)."""
    (root / "apps/backend/src/types.py").write_text(TYPES_PY, encoding="utf-8")
    edit(
        root,
        CONFIG,
        "from pydantic_settings import",
        "from .types import Port\nfrom pydantic_settings import",
    )
    edit(
        root, CONFIG, "    # Application\n",
        f'    api_port: Port = Field(default={default}, validation_alias="API_PORT", description="HTTP port")\n\n'
        "    # Application\n",
    )  # fmt: skip
    with (root / ENV).open("a", encoding="utf-8") as fh:
        fh.write(f"\n# HTTP port of the API\nAPI_PORT={example}\n")


def _live_children(root: Path) -> list[int]:
    """Processes (not zombies) other than this one with the repository as working directory."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state not in ("Z", "X") and os.path.realpath(proc / "cwd") == os.path.realpath(root):
                found.append(int(proc.name))
        except (OSError, IndexError):
            continue
    return found


# --------------------------------------------------------------------------- the type oracle


def test_imported_type_is_skipped_statically_with_the_import_hint(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    _add_port(sample_pytester.path, edit)
    result = sample_pytester.runpytest("--envssot", TYPE_RULES, "-rs")
    assert failed_ids(result) == []
    out = result.stdout.str()
    assert "example-value-type[API_PORT]" not in out or "SKIPPED" in out
    assert "Port is imported from .types" in out
    assert "envssot_import = true" in out


def test_imported_type_good_value_passes_with_import_mode(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    _add_port(sample_pytester.path, edit)
    result = sample_pytester.runpytest("--envssot", TYPE_RULES, *IMPORT, "-rs")
    assert failed_ids(result) == []
    assert "Port is imported" not in result.stdout.str()
    result.assert_outcomes(
        passed=len(
            check(
                sample_pytester.path,
                only=TYPE_RULES.split("=")[1].split(","),
                overrides={"import": True},
            ).findings
        )
    )


def test_imported_type_bad_example_value_fails_with_the_validators_message(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    _add_port(sample_pytester.path, edit, example="80")
    result = sample_pytester.runpytest("--envssot", TYPE_RULES, *IMPORT, "-rf")
    assert failed_ids(result) == [f"{ENV}::example-value-type[API_PORT]"]
    out = result.stdout.str()
    assert "Settings.api_port: Port rejects it (import mode, the real class)" in out
    assert "is privileged" in out


def test_imported_type_bad_default_fails_default_value_type(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    _add_port(sample_pytester.path, edit, default="70000")
    result = sample_pytester.runpytest("--envssot", TYPE_RULES, *IMPORT, "-rf")
    assert failed_ids(result) == [f"{CONFIG}::default-value-type[API_PORT]"]
    assert "less than or equal to 65535" in result.stdout.str()


def test_cli_import_flag_and_timeout_option(
    sample_repo: Path, edit: Edit, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_port(sample_repo, edit, example="80")
    args = [
        "check",
        str(sample_repo),
        "--rules",
        "example-value-type,settings-imports",
        "--format",
        "json",
    ]
    assert cli_main(args) == 0  # statically: skipped, nothing fails
    static = json.loads(capsys.readouterr().out)
    assert not [r for r in static["results"] if r["rule"] == "settings-imports"]
    assert cli_main([*args, "--import", "--import-timeout", "20"]) == 1
    results = json.loads(capsys.readouterr().out)["results"]
    outcome = {(r["rule"], r["variable"]): r["outcome"] for r in results}
    assert outcome[("settings-imports", "")] == "passed"
    assert outcome[("example-value-type", "API_PORT")] == "failed"


def test_template_fallback_and_roundtrip_use_the_real_class(sample_repo: Path, edit: Edit) -> None:
    _add_port(sample_repo, edit)
    edit(sample_repo, CONFIG, "from .types import Port", "from .types import Port, Token")
    edit(
        sample_repo, CONFIG, "    # Application\n",
        '    service_name: "Name" = Field(default="api", validation_alias="SERVICE_NAME")\n\n    # Application\n',
    )  # fmt: skip
    (sample_repo / "apps/backend/src/types.py").write_text(
        TYPES_PY + "\nName = Annotated[str, AfterValidator(lambda v: v)]\n", encoding="utf-8"
    )
    edit(
        sample_repo,
        CONFIG,
        "from .types import Port, Token",
        "from .types import Name, Port, Token",
    )
    with (sample_repo / APP_TMPL).open("r+", encoding="utf-8") as fh:
        text = fh.read().replace(
            "\n{{ end }}\n",
            '\nAPI_PORT={{ with .Data.data.API_PORT }}{{ printf "%q" . }}{{ else }}"80"{{ end }}\n'
            'SERVICE_NAME={{ with .Data.data.SERVICE_NAME }}{{ printf "%q" . }}{{ else }}"api"{{ end }}\n'
            "{{ end }}\n",
        )
        fh.seek(0)
        fh.write(text)
        fh.truncate()
    rules = ["template-fallback-type", "template-roundtrip"]
    static = {(f.rule, f.variable): f for f in check(sample_repo, only=rules).findings}
    assert static[("template-fallback-type", "API_PORT")].outcome is Outcome.SKIPPED
    assert static[("template-roundtrip", "SERVICE_NAME")].outcome is Outcome.SKIPPED
    real = {
        (f.rule, f.variable): f.resolve()
        for f in check(sample_repo, {"import": True}, only=rules).findings
    }
    fallback = real[("template-fallback-type", "API_PORT")]
    assert fallback.outcome is Outcome.FAILED and "is privileged" in fallback.message
    # statically skipped, now searched through the real class: its realistic values come back
    # intact (python-dotenv's ${...} expansion is the template's own consumer-level item)
    roundtrip = real[("template-roundtrip", "SERVICE_NAME")]
    assert roundtrip.outcome is Outcome.PASSED, roundtrip.render()
    assert real[("template-roundtrip", "API_PORT")].outcome is Outcome.PASSED


# --------------------------------------------------------------------------- env names

WORKER_PY = """\
from pydantic_settings import BaseSettings, SettingsConfigDict

from .naming import WORKER_PREFIX


def _service_alias(name: str) -> str:
    return "SVC_" + name.upper()


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=WORKER_PREFIX, extra="ignore")

    concurrency: int = 4


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(alias_generator=_service_alias, extra="ignore")

    region: str = "eu"
"""


def test_env_names_the_static_reader_cannot_see_are_reported(
    sample_pytester: pytest.Pytester,
) -> None:
    root = sample_pytester.path
    (root / "apps/backend/src/naming.py").write_text('WORKER_PREFIX = "WORKER_"\n')
    (root / "apps/backend/src/worker.py").write_text(WORKER_PY)
    rules = "--envssot-rules=settings-imports,env-names-match-import"
    result = sample_pytester.runpytest("--envssot", rules, *IMPORT, "-rf")
    worker = "apps/backend/src/worker.py"
    assert failed_ids(result) == [
        f"{worker}::env-names-match-import[CONCURRENCY]",
        f"{worker}::env-names-match-import[REGION]",
    ]
    out = result.stdout.str()
    assert "envssot predicted CONCURRENCY" in out
    assert "read but not predicted: WORKER_CONCURRENCY" in out
    assert "read but not predicted: SVC_REGION" in out
    assert "predicted but not read: REGION" in out
    # The sample's own fields agree with the real class, item by item.
    assert "passed" in out and "env-names-match-import[DATABASE_URL]" not in out
    static = sample_pytester.runpytest("--envssot", rules, "-q")
    assert static.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # import mode off: no items


def test_sample_passes_every_rule_in_import_mode(sample_pytester: pytest.Pytester) -> None:
    every_rule = len(check(sample_pytester.path, {"import": True}).findings)
    result = sample_pytester.runpytest("--envssot", "--envssot-import", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=every_rule - 1, skipped=1)  # env-file-ignored: no git here


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("import not_installed_pkg_xyz\n", "ModuleNotFoundError: No module named 'not_installed_pkg_xyz'", id="import-error"),
        pytest.param("import sys\nsys.exit(3)\n", "sys.exit(3)", id="sys-exit"),
        pytest.param("raise RuntimeError('boom')\n", "RuntimeError raised while importing", id="exception"),
    ],
)  # fmt: skip
def test_import_failure_is_one_failing_item_with_its_line(
    sample_pytester: pytest.Pytester, edit: Edit, code: str, expected: str
) -> None:
    root = sample_pytester.path
    edit(
        root,
        CONFIG,
        "\n\nclass Settings(BaseSettings):",
        f"\n\n{code}\n\nclass Settings(BaseSettings):",
    )
    line = (root / CONFIG).read_text().splitlines().index(code.splitlines()[-1]) + 1
    rules = (
        "--envssot-rules=layer-parses,settings-imports,env-names-match-import,example-value-type"
    )
    result = sample_pytester.runpytest("--envssot", rules, *IMPORT, "-rfs", "--tb=long", "-vv")
    out = result.stdout.str()
    assert "INTERNALERROR" not in out and "Traceback" not in out
    assert failed_ids(result) == [f"{CONFIG}::settings-imports"]
    assert f"{CONFIG}:{line}: settings-imports" in out
    assert expected in out
    assert "boom" not in out  # an exception's text may quote a value: never shown


def test_syntax_error_in_an_imported_module_names_that_file(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    root = sample_pytester.path
    (root / "apps/backend/src/helpers.py").write_text("X = 1\nY = (\n")
    edit(
        root,
        CONFIG,
        "from pydantic_settings import",
        "from .helpers import X\nfrom pydantic_settings import",
    )
    result = sample_pytester.runpytest(
        "--envssot", "--envssot-rules=settings-imports", *IMPORT, "-rf"
    )
    assert failed_ids(result) == [f"{CONFIG}::settings-imports"]
    assert "raised at apps/backend/src/helpers.py:2" in result.stdout.str()
    assert "SyntaxError" in result.stdout.str()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("while True:\n    pass\n", id="busy-loop"),
        pytest.param("import time\ntime.sleep(3600)\n", id="sleep"),
        pytest.param(
            "import os, time\nif os.fork() == 0:\n    time.sleep(3600)\ntime.sleep(3600)\n",
            id="fork",
        ),
    ],
)
def test_a_hanging_import_is_killed_after_the_timeout(
    sample_pytester: pytest.Pytester, edit: Edit, code: str
) -> None:
    root = sample_pytester.path
    edit(
        root,
        CONFIG,
        "\n\nclass Settings(BaseSettings):",
        f"\n\n{code}\n\nclass Settings(BaseSettings):",
    )
    source = (root / CONFIG).read_text().splitlines()
    first = source.index(code.splitlines()[0]) + 1
    block = range(first, first + len(code.splitlines()))
    result = sample_pytester.runpytest(
        "--envssot", "--envssot-rules=settings-imports,env-names-match-import,example-value-type",
        *IMPORT, "-o", "envssot_import_timeout=1", "-rf",
    )  # fmt: skip
    assert failed_ids(result) == [f"{CONFIG}::settings-imports"]
    out = result.stdout.str()
    assert "did not finish within 1 s" in out
    assert any(f"{CONFIG}:{n}: settings-imports" in out for n in block)  # where it was stuck
    assert _live_children(root) == []  # the whole process group is gone, forks included


def test_a_fork_that_returns_does_not_answer_twice(sample_repo: Path, edit: Edit) -> None:
    edit(
        sample_repo,
        CONFIG,
        "\n\nclass Settings(BaseSettings):",
        "\n\nimport os\nos.fork()\n\n\nclass Settings(BaseSettings):",
    )
    report = check(
        sample_repo,
        {"import": True, "import_timeout": 20},
        only=["settings-imports", "env-names-match-import"],
    )
    assert {f.outcome for f in report.findings} == {Outcome.PASSED}
    assert _live_children(sample_repo) == []


def test_prints_at_import_never_reach_the_output(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    root = sample_pytester.path
    noise = (
        'import sys\nprint("IMPORT-NOISE")\nprint(\'{"ok": false, "error": {"message": "FAKE"}}\')\n'
        'sys.stderr.write("STDERR-NOISE\\n" * 10000)\n'
    )
    edit(
        root,
        CONFIG,
        "\n\nclass Settings(BaseSettings):",
        f"\n\n{noise}\n\nclass Settings(BaseSettings):",
    )
    result = sample_pytester.runpytest(
        "--envssot", "--envssot-rules=settings-imports,env-names-match-import", *IMPORT, "-s"
    )
    assert failed_ids(result) == []
    out = result.stdout.str() + result.stderr.str()
    assert "IMPORT-NOISE" not in out and "FAKE" not in out and "STDERR-NOISE" not in out


def test_import_mode_writes_nothing_into_the_repository(sample_repo: Path, edit: Edit) -> None:
    _add_port(sample_repo, edit)

    def tree() -> dict[str, str]:
        return {
            p.relative_to(sample_repo).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(sample_repo.rglob("*"))
            if p.is_file()
        }

    before = tree()
    check(sample_repo, {"import": True})
    assert tree() == before  # no __pycache__, nothing else


# --------------------------------------------------------------------------- no secret, ever

CANARY = "canary-Zq8xL1-never-print"


def test_no_canary_in_any_output_of_import_mode(
    sample_pytester: pytest.Pytester, edit: Edit
) -> None:
    root = sample_pytester.path
    _add_port(root, edit)
    edit(root, CONFIG, "from .types import Port", "from .types import Port, Token")
    edit(
        root, CONFIG, "    # Application\n",
        '    api_token: Token = Field(validation_alias="API_TOKEN", description="API token")\n\n    # Application\n',
    )  # fmt: skip
    with (root / ENV).open("a", encoding="utf-8") as fh:
        fh.write(f"\n# API token\nAPI_TOKEN={CANARY}\n")
    # the module also tries to print and raise what it can find
    edit(
        root, CONFIG, "@lru_cache",
        "print(open('.env.example').read())\n\n\n@lru_cache",
    )  # fmt: skip
    junit = root / "junit.xml"
    result = sample_pytester.runpytest(
        "--envssot", "--envssot-rules=example-value-type,settings-imports", *IMPORT,
        "-vv", "-l", "--tb=long", "-rA", f"--junitxml={junit}",
    )  # fmt: skip
    assert failed_ids(result) == [f"{ENV}::example-value-type[API_TOKEN]"]
    out = result.stdout.str() + result.stderr.str() + junit.read_text()
    assert "is too short" in out  # the validator's message, with the value cut out
    assert CANARY not in out
    assert "Zq8xL1" not in out


# --------------------------------------------------------------------------- load_with_env

REQUIRED = {
    "SECRET_KEY": "x" * 40,
    "S3_ACCESS_KEY": "access",
    "S3_SECRET_KEY": "secret",
}


def test_load_with_env_accepts_a_complete_environment(sample_repo: Path) -> None:
    result = load_with_env(sample_repo, CONFIG, "Settings", REQUIRED, timeout=20)
    assert result.ok and not result.errors and result.failure is None


def test_load_with_env_reports_field_env_name_and_type_without_the_value(
    sample_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neither the parent's environment nor a .env file may fill what the mapping leaves out.
    monkeypatch.setenv("S3_SECRET_KEY", "from-the-parent")
    (sample_repo / ".env").write_text("S3_SECRET_KEY=from-the-env-file\n")
    env = {**REQUIRED, "ACCESS_TOKEN_EXPIRE_MINUTES": CANARY, "FALLBACK_MODELS": "a,b"}
    del env["S3_SECRET_KEY"]
    result = load_with_env(sample_repo, CONFIG, "Settings", env, timeout=20)
    assert not result.ok and result.failure is None
    got = {(e.field, e.env, e.type) for e in result.errors}
    assert got == {
        ("s3_secret_key", "S3_SECRET_KEY", "missing"),
        ("access_token_expire_minutes", "ACCESS_TOKEN_EXPIRE_MINUTES", "int_parsing"),
    }
    assert CANARY not in repr(result)


def test_load_with_env_reports_an_import_failure_with_its_line(
    sample_repo: Path, edit: Edit
) -> None:
    missing = load_with_env(sample_repo, CONFIG, "Nope", REQUIRED, timeout=20)
    assert missing.failure is not None and "no BaseSettings class Nope" in str(missing.failure)
    edit(
        sample_repo,
        CONFIG,
        "\n\nclass Settings(BaseSettings):",
        "\n\nimport not_installed_pkg_xyz\n\n\nclass Settings(BaseSettings):",
    )
    result = load_with_env(sample_repo, CONFIG, "Settings", REQUIRED, timeout=20)
    assert not result.ok and result.failure is not None
    assert result.failure.path == CONFIG and result.failure.line > 0
    assert "No module named" in result.failure.message


def test_import_location_follows_packages_and_src_layouts(tmp_path: Path) -> None:
    for folder in ("apps/backend/src", "src/pkg/sub"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "apps/backend/src/__init__.py").write_text("")
    (tmp_path / "src/pkg/__init__.py").write_text("")
    (tmp_path / "src/pkg/sub/__init__.py").write_text("")
    assert import_location(tmp_path, "apps/backend/src/config.py") == (
        "src.config",
        ("apps/backend", "", "src"),
    )
    assert import_location(tmp_path, "src/pkg/sub/settings.py") == ("pkg.sub.settings", ("src", ""))
    assert import_location(tmp_path, "config.py") == ("config", ("", "src"))


@pytest.mark.parametrize(
    ("annotation", "validator", "value", "outcome", "words"),
    [
        ("list[Port]", False, "8000,8001", Outcome.FAILED, "pydantic-settings cannot decode it"),
        ("list[Port]", False, "[8000, 8001]", Outcome.PASSED, ""),
        ("list[Port]", False, "[8000, 80]", Outcome.FAILED, "1: Value error, port"),
        ("Annotated[list[Port], NoDecode]", True, "8000,8001", Outcome.PASSED, ""),
        ("list[Port]", True, "8000,8001", Outcome.FAILED, "JSON-decodes"),
    ],
)  # fmt: skip
def test_complex_imported_types_follow_pydantic_settings_decoding(
    sample_repo: Path,
    edit: Edit,
    annotation: str,
    validator: bool,
    value: str,
    outcome: Outcome,
    words: str,
) -> None:
    """JSON decoding of complex fields, NoDecode and before-validators, by the real class."""
    _add_port(sample_repo, edit)
    edit(
        sample_repo, CONFIG, "    # Application\n",
        f'    ports: {annotation} = Field(default=[8000], validation_alias="PORTS")\n\n    # Application\n',
    )  # fmt: skip
    if validator:
        edit(
            sample_repo, CONFIG, "    @computed_field",
            '    @field_validator("ports", mode="before")\n    @classmethod\n'
            "    def _split_ports(cls, value: object) -> object:\n"
            '        return value.split(",") if isinstance(value, str) else value\n\n'
            "    @computed_field",
        )  # fmt: skip
    with (sample_repo / ENV).open("a", encoding="utf-8") as fh:
        fh.write(f"\n# Extra ports\nPORTS={value}\n")
    (found,) = [
        f
        for f in check(sample_repo, {"import": True}, only=["example-value-type"]).findings
        if f.variable == "PORTS"
    ]
    assert found.outcome is outcome, found.render()
    assert words in found.message


# --------------------------------------------------------------------------- differential

_COUNTER = iter(range(1_000_000))


@pytest.fixture(scope="module")
def shared_child(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ImportSession]]:
    root = tmp_path_factory.mktemp("differential")
    session = ImportSession(root, 30)
    yield root, session
    session.close()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=specs())
def test_real_names_agree_with_the_static_prediction(
    shared_child: tuple[Path, ImportSession], spec: Spec
) -> None:
    """The names the child reads off the real class equal envnames' prediction (itself checked
    against pydantic-settings by tests/test_envnames.py): the two derivations agree."""
    root, session = shared_child
    rel = f"gen_{next(_COUNTER)}.py"
    (root / rel).write_text(spec.source, encoding="utf-8")
    file = parse_settings(spec.source, rel)
    index = models([file])
    (resolved,) = [r for r in resolve([file], index) if r.cls.name == "S"]
    loaded = session.load(rel, ["S"])
    assert isinstance(loaded, dict), loaded
    real = loaded["S"].fields
    for field, names in all_env_names(resolved, index):
        predicted = {n.key for n in names if not n.nested}
        assert predicted == set(real[field.name].names), spec.source


def test_import_keys_are_validated(tmp_path: Path) -> None:
    from pytest_envssot.config import ConfigError, load_config

    (tmp_path / "pyproject.toml").write_text(
        "[tool.envssot]\nimport = true\nimport_timeout = 2.5\n"
    )
    config = load_config(tmp_path)
    assert config.import_settings is True and config.import_timeout == 2.5
    assert load_config(tmp_path, {"import_timeout": "7"}).import_timeout == 7.0
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigError, match="import_timeout must be a positive number"):
            load_config(tmp_path, {"import_timeout": bad})
    with pytest.raises(ConfigError, match="import must be true or false"):
        load_config(tmp_path, {"import": 3})


def test_a_fields_own_before_validator_runs_only_in_import_mode(
    sample_repo: Path, edit: Edit
) -> None:
    """Statically a before-validator is user code: decoding is checked, the rest trusted.
    The real class runs it."""
    edit(
        sample_repo, CONFIG,
        "            return [part.strip() for part in value.split(\",\") if part.strip()]",
        "            parts = [part.strip() for part in value.split(\",\") if part.strip()]\n"
        "            if not all(\":\" in part for part in parts):\n"
        "                raise ValueError(\"each model needs a :tier suffix\")\n"
        "            return parts",
    )  # fmt: skip
    text = (sample_repo / ENV).read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("FALLBACK_MODELS="))
    edit(sample_repo, ENV, line, "FALLBACK_MODELS=qwen/qwen-2.5-72b-instruct,nvidia/llama:free")

    def outcome(mode: bool) -> tuple[Outcome, str]:
        report = check(sample_repo, {"import": mode}, only=["example-value-type"])
        (found,) = [f for f in report.findings if f.variable == "FALLBACK_MODELS"]
        return found.outcome, found.message

    assert outcome(False)[0] is Outcome.PASSED
    real, message = outcome(True)
    assert real is Outcome.FAILED
    assert "each model needs a :tier suffix" in message


# --------------------------------------------------------------------------- render --validate

APP_TEMPLATE = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
RENDER_CANARY = "canary-Rv7pQ2-value"


def _vault_json(tmp_path: Path, data: dict[str, str]) -> Path:
    path = tmp_path / "vault.json"
    body = {"data": {"data": data, "metadata": {"version": 1}}, "lease_id": "", "warnings": None}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


GOOD_DATA = {
    "DATABASE_URL": f"postgresql://app:{RENDER_CANARY}@db:5432/finance_report",
    "SECRET_KEY": f"{RENDER_CANARY}-jwt",
    "S3_ACCESS_KEY": f"{RENDER_CANARY}-access",
    "S3_SECRET_KEY": RENDER_CANARY,
    "CORS_ORIGINS": '["https://app.example"]',
}


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({}, 0, ["--validate: Settings (apps/backend/src/config.py) accepts the rendered file"]),
        ({"S3_ACCESS_KEY": ""}, 1, ["S3_ACCESS_KEY (s3_access_key): missing: Field required"]),
        ({"DATABASE_URL": f"{RENDER_CANARY}-not-a-dsn"}, 1, ["DATABASE_URL (database_url): url_parsing"]),
        ({"CORS_ORIGINS": f"{RENDER_CANARY},b"}, 1, ["CORS_ORIGINS", "JSONDecodeError"]),
    ],
)  # fmt: skip
def test_render_validate_builds_the_settings_class_from_the_render(
    sample_repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, str],
    code: int,
    words: list[str],
) -> None:
    monkeypatch.setenv("S3_ACCESS_KEY", "from-the-parent")  # must not fill a missing value
    secrets = _vault_json(tmp_path, {**GOOD_DATA, **change})
    target = tmp_path / "app.env"
    args = [
        "render",
        str(sample_repo / APP_TEMPLATE),
        "--secrets",
        str(secrets),
        "--env",
        "production",
    ]
    assert cli_main([*args, "--validate", "--out", str(target)]) == code
    out, err = capsys.readouterr()
    for word in words:
        assert word in err
    assert target.exists() is (code == 0)  # a render the class refuses is not written
    assert RENDER_CANARY not in out + err


def test_render_validate_with_an_explicit_class_and_its_failures(
    sample_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = _vault_json(tmp_path, GOOD_DATA)
    args = [
        "render",
        str(sample_repo / APP_TEMPLATE),
        "--secrets",
        str(secrets),
        "--env",
        "production",
    ]
    assert cli_main([*args, "--validate", "--settings", f"{CONFIG}:Settings"]) == 0
    assert cli_main([*args, "--validate", "--settings", f"{CONFIG}:Nope"]) == 1
    assert "no BaseSettings class Nope" in capsys.readouterr().err
    assert cli_main([*args, "--validate", "--settings", "Settings"]) == 2
    assert "expected FILE:CLASS" in capsys.readouterr().err
