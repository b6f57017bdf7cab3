"""``envssot fix``: each mechanical fix on a broken copy of examples/sample_repo.

Every case breaks the sample the way the rule's INVALID example does, runs ``envssot fix``
and checks what a user would: the item passes, a second run changes nothing, and the only
lines that differ from before are the ones the fix is about (every other byte, comments and
formatting of config.py included, is as it was).
"""

from __future__ import annotations

import difflib
import io
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values

from pytest_envssot import fix
from pytest_envssot.cli import main
from pytest_envssot.engine import check
from pytest_envssot.findings import Outcome
from pytest_envssot.fix.template import read_value, render_value
from pytest_envssot.gotemplate.execute import Evaluation, Secret
from pytest_envssot.gotemplate.parser import parse_tree

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TEMPLATE = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
TOKEN = "ghp_" + "R8mXk2Lq9VwT4zYb7NcJ5pHs3FdG6aE1uQ0o"  # token-shaped, made for this test
REDIS_LINE = 'REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}\n'
SECRET_KEY_LINE = (
    'SECRET_KEY={{ with .Data.data.SECRET_KEY }}{{ printf "%q" . }}{{ else }}""{{ end }}\n'
)


def _copy(tmp_path: Path, name: str = "sample_repo") -> Path:
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root)
    return root


def _replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_bytes().decode()
    assert old in text, f"{old!r} not in {rel}"
    path.write_bytes(text.replace(old, new, 1).encode())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _fix(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["fix", str(root), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def _outcome(root: Path, rule: str, variable: str) -> Outcome:
    found = [f for f in check(root, only=(rule,)).findings if f.variable == variable]
    assert found, f"no {rule}[{variable}] item"
    failed = [f for f in found if f.outcome is Outcome.FAILED]  # unique-env-name has two kinds
    return Outcome.FAILED if failed else Outcome.PASSED


def _changes(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    """(lines removed, lines added), each with its ending: everything else is unchanged."""
    old = before.decode().splitlines(keepends=True)
    new = after.decode().splitlines(keepends=True)
    removed: list[str] = []
    added: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += old[i1:i2]
            added += new[j1:j2]
    return removed, added


# --------------------------------------------------------------------------- one case per rule

Break = Callable[[Path], None]


def _example(old: str, new: str) -> Break:
    return lambda root: _replace(root, EXAMPLE, old, new)


def _config(old: str, new: str) -> Break:
    return lambda root: _replace(root, CONFIG, old, new)


def _template(old: str, new: str) -> Break:
    return lambda root: _replace(root, APP_TEMPLATE, old, new)


def _append_example(text: str) -> Break:
    def go(root: Path) -> None:
        with open(root / EXAMPLE, "a") as handle:
            handle.write(text)

    return go


CASES: list[Any] = [
    pytest.param(
        "field-documented",
        "ACCESS_TOKEN_EXPIRE_MINUTES",
        _example("# Token lifetime in minutes (24 hours)\nACCESS_TOKEN_EXPIRE_MINUTES=1440\n", ""),
        (),
        {EXAMPLE: ([], ["# Token lifetime in minutes\n", "ACCESS_TOKEN_EXPIRE_MINUTES=1440\n"])},
        id="field-documented",
    ),
    pytest.param(
        "vault-marker",
        "S3_BUCKET",
        _example("# [VAULT] Bucket name\n", "# Bucket name\n"),
        (),
        {EXAMPLE: (["# Bucket name\n"], ["# [VAULT] Bucket name\n"])},
        id="vault-marker-add",
    ),
    pytest.param(
        "vault-marker",
        "PRIMARY_MODEL",
        _example("# Primary OpenRouter model\n", "# [VAULT] Primary OpenRouter model\n"),
        (),
        {EXAMPLE: (["# [VAULT] Primary OpenRouter model\n"], ["# Primary OpenRouter model\n"])},
        id="vault-marker-drop",
    ),
    pytest.param(
        "unique-env-name",
        "DEBUG",
        _append_example("# Never true in prod\nDEBUG=true\n"),
        (),
        {EXAMPLE: (["# Never true in prod\n", "DEBUG=false\n"], [])},
        id="unique-env-name-example-key",
    ),
    pytest.param(
        "no-secret-in-example",
        "OPENROUTER_API_KEY",
        _example("OPENROUTER_API_KEY=\n", f"OPENROUTER_API_KEY={TOKEN}\n"),
        (),
        {EXAMPLE: ([f"OPENROUTER_API_KEY={TOKEN}\n"], ["OPENROUTER_API_KEY=\n"])},
        id="no-secret-in-example",
    ),
    pytest.param(
        "no-secret-default",
        "SECRET_KEY",
        _config(
            'Field(validation_alias="SECRET_KEY", description="JWT signing key")',
            'Field(default="hunter2-but-longer", validation_alias="SECRET_KEY", description="JWT signing key")',
        ),
        (),
        {
            CONFIG: (
                [
                    '    secret_key: SecretStr = Field(default="hunter2-but-longer", validation_alias="SECRET_KEY", description="JWT signing key")\n'
                ],
                [
                    '    secret_key: SecretStr = Field(validation_alias="SECRET_KEY", description="JWT signing key")\n'
                ],
            )
        },
        id="no-secret-default-field-call",
    ),
    pytest.param(
        "no-secret-default",
        "SECRET_KEY",
        _config(
            'Field(validation_alias="SECRET_KEY", description="JWT signing key")',
            f'SecretStr("{TOKEN}")',
        ),
        (),
        {
            CONFIG: (
                [f'    secret_key: SecretStr = SecretStr("{TOKEN}")\n'],
                ['    secret_key: SecretStr = Field(validation_alias="SECRET_KEY")\n'],
            )
        },
        id="no-secret-default-literal",
    ),
    pytest.param(
        "template-quoting",
        "REDIS_URL",
        _template(REDIS_LINE, "REDIS_URL={{ .Data.data.REDIS_URL }}\n"),
        (),
        {APP_TEMPLATE: (["REDIS_URL={{ .Data.data.REDIS_URL }}\n"], [REDIS_LINE])},
        id="template-quoting-raw",
    ),
    pytest.param(
        "template-quoting",
        "REDIS_URL",
        _template(
            REDIS_LINE, 'REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ end }}\n'
        ),
        (),
        {
            APP_TEMPLATE: (
                ['REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ end }}\n'],
                [REDIS_LINE],
            )
        },
        id="template-quoting-no-else",
    ),
    pytest.param(
        "template-quoting",
        "REDIS_URL",
        _template(
            REDIS_LINE, 'REDIS_URL={{- with .Data.data.REDIS_URL }}{{ . }}{{ else }}""{{ end }}\n'
        ),
        (),
        {
            APP_TEMPLATE: (
                ['REDIS_URL={{- with .Data.data.REDIS_URL }}{{ . }}{{ else }}""{{ end }}\n'],
                [REDIS_LINE.replace("{{ with", "{{- with")],
            )
        },
        id="template-quoting-keeps-trim-marker",
    ),
    pytest.param(
        "required-field-in-template",
        "SECRET_KEY",
        _template(SECRET_KEY_LINE, ""),
        (),
        {APP_TEMPLATE: ([], [SECRET_KEY_LINE])},
        id="required-field-in-template",
    ),
    pytest.param(
        "debug-off",
        "DEBUG",
        _config("Field(default=False, description", "Field(default=True, description"),
        (),
        {
            CONFIG: (
                ['    debug: bool = Field(default=True, description="Never true in prod")\n'],
                ['    debug: bool = Field(default=False, description="Never true in prod")\n'],
            )
        },
        id="debug-off",
    ),
    pytest.param(
        "example-var-has-field",
        "LEGACY_FLAG",
        _append_example("# Old switch\nLEGACY_FLAG=1\n"),
        ("--keep-orphans",),
        {
            CONFIG: (
                [],
                [
                    '    legacy_flag: str = Field(default="", validation_alias="LEGACY_FLAG", description="Old switch")\n'
                ],
            )
        },
        id="example-var-has-field-keep-orphans",
    ),
    pytest.param(
        "template-var-has-field",
        "OLD_URL",
        _template(
            REDIS_LINE,
            REDIS_LINE
            + 'OLD_URL={{ with .Data.data.OLD_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}\n',
        ),
        ("--keep-orphans",),
        {CONFIG: ([], ['    old_url: str = Field(default="", validation_alias="OLD_URL")\n'])},
        id="template-var-has-field-keep-orphans",
    ),
]


@pytest.mark.parametrize(("rule", "variable", "breaks", "flags", "expected"), CASES)
def test_fix_makes_the_item_pass_and_touches_only_its_lines(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rule: str,
    variable: str,
    breaks: Break,
    flags: tuple[str, ...],
    expected: dict[str, tuple[list[str], list[str]]],
) -> None:
    root = _copy(tmp_path)
    breaks(root)
    assert _outcome(root, rule, variable) is Outcome.FAILED
    before = _snapshot(root)

    code, out = _fix(root, capsys, "--rules", rule, *flags)

    assert f"{rule}[{variable}]: fixed" in out, out
    assert code == 0, out
    assert TOKEN not in out
    assert _outcome(root, rule, variable) is Outcome.PASSED
    after = _snapshot(root)
    changed = {rel for rel in before if before[rel] != after[rel]}
    assert changed == set(expected)
    for rel, lines in expected.items():
        assert _changes(before[rel], after[rel]) == lines
    assert set(after) == set(before)  # no temp file, no cache, nothing new

    code, out = _fix(root, capsys, "--rules", rule, *flags)
    assert (code, _snapshot(root)) == (0, after), out
    assert "0 fixed, 0 left, 0 file(s) changed" in out


def test_orphan_without_keep_orphans_is_left_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    _append_example("LEGACY_FLAG=1\n")(root)
    before = _snapshot(root)
    code, out = _fix(root, capsys, "--rules", "example-var-has-field")
    assert code == 1 and _snapshot(root) == before
    assert "example-var-has-field[LEGACY_FLAG]: not fixed: removing it, listing it under" in out
    # The check says the same, and ends with the command that keeps it.
    main(["check", str(root), "--rules", "example-var-has-field"])
    text = capsys.readouterr().out.rstrip().splitlines()
    assert text[-2] == "  Fix: envssot fix --rules example-var-has-field --keep-orphans"


def test_a_composed_value_keeps_its_composition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A DSN built around the password stays a DSN: never replaced by the bare password."""
    root = _copy(tmp_path)
    # printable passwords (the sample declares URL-safe ones, which an unquoted DSN holds safely)
    pyproject = root / "pyproject.toml"
    kept = [
        ln
        for ln in pyproject.read_text().splitlines()
        if not ln.startswith("default_secret_domain")
    ]
    pyproject.write_text("\n".join(kept) + "\n")
    composed = (
        'DATABASE_URL={{ printf "postgresql://app:%s@db:5432/app" .Data.data.DB_PASSWORD }}\n'
    )
    _template(
        'DATABASE_URL={{ with .Data.data.DATABASE_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}\n',
        composed,
    )(root)
    code, out = _fix(root, capsys, "--rules", "template-quoting")
    assert code == 0, out
    line = next(
        ln
        for ln in (root / APP_TEMPLATE).read_text().splitlines()
        if ln.startswith("DATABASE_URL=")
    )
    assert line == (
        "DATABASE_URL={{ with .Data.data.DB_PASSWORD }}"
        '{{ printf "%q" (printf "postgresql://app:%s@db:5432/app" .) }}{{ else }}""{{ end }}'
    )


# --------------------------------------------------------------------------- the drifted repo


def test_drifted_repo_after_fix_only_decisions_are_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path, "drifted_repo")
    code, out = _fix(root, capsys)
    assert code == 1  # two orphans and a Vault path are the user's to decide
    assert "9 fixed, 2 left" in out, out
    assert "sk-or-v1" not in out

    report = check(root)
    left = {f.name: f.message for f in report.failed}
    assert sorted(left) == [
        "example-var-has-field[LEGACY_REPORTS_DIR]",
        "template-var-has-field[FEATURE_FLAG_X]",
        "vault-path-convention[postgres]",
    ]
    assert (
        "envssot fix leaves this to you: a new path reads other secrets"
        in left["vault-path-convention[postgres]"]
    )
    for name in (
        "example-var-has-field[LEGACY_REPORTS_DIR]",
        "template-var-has-field[FEATURE_FLAG_X]",
    ):
        assert "is one of these choices, yours to make" in left[name]
    assert _fix(root, capsys)[1].startswith(tuple(f"{p}:" for p in (APP_TEMPLATE, EXAMPLE)))


def test_dry_run_and_diff_write_nothing_and_mask_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path, "drifted_repo")
    before = _snapshot(root)
    code, out = _fix(root, capsys, "--dry-run")
    assert code == 1 and "would fix" in out and _snapshot(root) == before
    main(["fix", str(root), "--diff"])
    patch = capsys.readouterr().out
    assert _snapshot(root) == before
    assert "+REDIS_URL={{ with .Data.data.REDIS_URL }}" in patch
    assert "+ACCESS_TOKEN_EXPIRE_MINUTES=1440" in patch
    assert "--- a/.env.example" in patch and "--- a/apps/backend/src/config.py" in patch
    assert "sk-or-v1" not in patch and "-OPENROUTER_API_KEY=***" in patch


# --------------------------------------------------------------------------- how files are written


def test_crlf_mode_and_bom_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy(tmp_path)
    _example("# Token lifetime in minutes (24 hours)\nACCESS_TOKEN_EXPIRE_MINUTES=1440\n", "")(root)
    path = root / EXAMPLE
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    os.chmod(path, 0o640)
    code, out = _fix(root, capsys, "--rules", "field-documented")
    assert code == 0, out
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\nACCESS_TOKEN_EXPIRE_MINUTES=1440\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    root = _copy(tmp_path, "drifted_repo")
    outcome = fix.run(root)
    assert set(outcome.changed) == {EXAMPLE, CONFIG, APP_TEMPLATE}
    with open(root / CONFIG, "a") as handle:
        handle.write("# edited by someone else meanwhile\n")
    before = _snapshot(root)
    with pytest.raises(fix.ChangedOnDisk):
        fix.write(root, outcome)
    assert _snapshot(root) == before  # not even the files that did not change meanwhile


def test_python_edit_keeps_every_other_byte_of_a_module(tmp_path: Path) -> None:
    """Comments, odd spacing and quoting elsewhere in config.py survive a LibCST edit."""
    root = _copy(tmp_path)
    odd = "    # keep   this  comment\n    jwt_algorithm: Literal['HS256', \"HS384\", \"HS512\"]  =   'HS256'  # odd\n"
    _config('    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"\n', odd)(root)
    _config("Field(default=False, description", "Field(default=True, description")(root)
    before = (root / CONFIG).read_bytes()
    fix.write(root, fix.run(root, ["debug-off"]))
    removed, added = _changes(before, (root / CONFIG).read_bytes())
    assert [r.replace("True", "False") for r in removed] == added and len(added) == 1


def test_unknown_or_unfixable_rule_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    code, out = _fix(root, capsys, "--rules", "template-roundtrip")
    assert code == 2 and out.count("\n") == 1 and "no mechanical fix for: template-roundtrip" in out


# --------------------------------------------------------------------------- the differential test


class _Vault:
    def __init__(self, kv: dict[str, object]) -> None:
        self.kv = kv

    def env(self, name: str, line: int) -> str:
        return "production"

    def secret(self, path: str, line: int) -> Secret:
        return Secret(path, {"data": {"data": self.kv}})


def _read_back(line: str, kv: dict[str, object], consumer: str) -> str | None:
    """Render ``line`` inside a secret block, then read it back as ``consumer`` does."""
    text = Evaluation(_Vault(kv)).run(parse_tree('{{ with secret "p" }}' + line + "{{ end }}"))
    if consumer == "docker-env-file":
        return text.partition("=")[2]  # docker --env-file keeps every byte after '='
    return dotenv_values(stream=io.StringIO(text), interpolate=False).get("X")


# (original line, the value it means for K, what a missing K should give)
ORIGINALS = [
    ("X={{ .Data.data.K }}", "{}", ""),
    ('X={{ with .Data.data.K }}{{ printf "%q" . }}{{ end }}', "{}", ""),
    ("X={{ with .Data.data.K }}{{ . }}{{ else }}fall back{{ end }}", "{}", "fall back"),
    ("X=postgresql://app:{{ .Data.data.K }}@db:5432/app", "postgresql://app:{}@db:5432/app", ""),
    ('X={{ printf "redis://:%s@cache:6379/0" .Data.data.K }}', "redis://:{}@cache:6379/0", ""),
    ("X=https://{{ .Data.data.U }}:{{ .Data.data.K }}@host/x", "https://user:{}@host/x", None),
]
SAFE = ["abc", "s3cr3t-value_1", "https://example.com/path", "a=b", "0"]
HOSTILE = ["pa ss #word", 'quo"te', "it's", "back\\slash", "x\ny", "  padded  "]


@pytest.mark.parametrize(("original", "meaning", "missing"), ORIGINALS)
@pytest.mark.parametrize("consumer", ["pydantic-settings", "docker-env-file"])
def test_rewritten_line_renders_the_same_value_and_a_safe_one_where_the_original_broke(
    original: str, meaning: str, missing: str | None, consumer: str
) -> None:
    prefix, _, value = original.partition("=")
    rewritten = f"{prefix}={render_value(read_value(value), consumer)}"
    # docker --env-file keeps %q's quotes: such an original is wrong for every value.
    wrong_everywhere = consumer == "docker-env-file" and '"%q"' in original
    for raw in SAFE:
        kv: dict[str, object] = {"K": raw, "U": "user"}
        assert _read_back(rewritten, kv, consumer) == meaning.format(raw)
        if not wrong_everywhere:
            assert _read_back(original, kv, consumer) == meaning.format(raw)
    broke = 0
    for raw in HOSTILE:
        if consumer == "docker-env-file" and "\n" in raw:
            continue  # one line per variable: docker cannot carry a newline at all
        kv = {"K": raw, "U": "user"}
        assert _read_back(rewritten, kv, consumer) == meaning.format(raw), (rewritten, raw)
        broke += _read_back(original, kv, consumer) != meaning.format(raw)
    if missing is not None:  # a key missing from Vault: the fallback, never '<no value>'
        assert _read_back(rewritten, {"U": "user"}, consumer) == missing
        broke += _read_back(original, {"U": "user"}, consumer) != missing
    # The originals that quote nothing break on some input; the rest only on a missing key.
    assert broke or 'printf "%q"' in original or consumer == "docker-env-file"


def test_pytest_failure_ends_with_the_fix_command_and_the_fix_makes_it_pass(
    sample_pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    root = sample_pytester.path
    _replace(root, EXAMPLE, "# [VAULT] Bucket name\n", "# Bucket name\n")
    args = ("--envssot", "--envssot-rules=vault-marker", "-p", "no:cacheprovider")
    result = sample_pytester.runpytest(*args)
    result.assert_outcomes(failed=1, passed=len(check(root, only=("vault-marker",)).findings) - 1)
    text = result.stdout.str()
    failure = text[text.index("vault-marker[S3_BUCKET]") : text.index("short test summary")]
    lines = [ln for ln in failure.splitlines() if ln.strip() and not ln.startswith("=")]
    assert lines[-1].strip() == "Fix: envssot fix --rules vault-marker"

    assert main(["fix", str(root), "--rules", "vault-marker"]) == 0
    capsys.readouterr()
    sample_pytester.runpytest(*args).assert_outcomes(
        failed=0, passed=result.parseoutcomes()["passed"] + 1
    )


def test_a_fix_needing_a_decision_is_not_applied_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    # Which class gets an orphan's field, when there are two?
    (root / "apps/backend/src/worker.py").write_text(
        "from pydantic_settings import BaseSettings\n\n\nclass WorkerSettings(BaseSettings):\n"
        "    queue: str = 'jobs'\n"
    )
    _append_example("# Old switch\nLEGACY_FLAG=1\nQUEUE=jobs\n")(root)
    # Which template renders a required field of a class no template renders yet?
    with open(root / "apps/backend/src/worker.py", "a") as handle:
        handle.write("    worker_token: str\n")
    _append_example("WORKER_TOKEN=\n")(root)
    before = _snapshot(root)
    code, out = _fix(
        root,
        capsys,
        "--keep-orphans",
        "--rules",
        "example-var-has-field,required-field-in-template",
    )
    assert code == 1 and _snapshot(root) == before, out
    assert (
        "example-var-has-field[LEGACY_FLAG]: not fixed: a new field needs one settings class, "
        "and there are several (Settings, WorkerSettings)"
    ) in out
    assert (
        "required-field-in-template[WORKER_TOKEN]: not fixed: no template renders another field "
        "of WorkerSettings: choose the component's template that should render it"
    ) in out
    main(["check", str(root), "--rules", "required-field-in-template"])
    assert (
        "envssot fix leaves this to you: no template renders another field"
        in capsys.readouterr().out
    )


PG_TEMPLATE = "repo/finance_report/finance_report/01.postgres/secrets.ctmpl"
PG = (
    ("POSTGRES_USER", '"postgres"'),
    ("POSTGRES_PASSWORD", '""'),
    ("POSTGRES_DB", '"finance_report"'),
)


@pytest.mark.parametrize(
    ("consumer", "safe"),
    [
        (
            "docker-env-file",
            "{n}={{{{ with .Data.data.{n} }}}}{{{{ . }}}}{{{{ else }}}}{b}{{{{ end }}}}\n",
        ),
        (
            "posix-shell",
            "{n}='{{{{ with .Data.data.{n} }}}}{{{{ . | replaceAll \"'\" \"'\\\\''\" }}}}"
            "{{{{ else }}}}{b}{{{{ end }}}}'\n",
        ),
    ],
)
def test_template_quoting_for_other_consumers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], consumer: str, safe: str
) -> None:
    """The INVALID examples with another consumer: %q lines rewritten for docker / a shell."""
    root = _copy(tmp_path)
    with open(root / "pyproject.toml", "a") as handle:
        handle.write(f'\n[tool.envssot.consumer]\n"**/01.postgres/*.ctmpl" = "{consumer}"\n')
    before = (root / PG_TEMPLATE).read_bytes()
    code, out = _fix(root, capsys, "--rules", "template-quoting")
    assert code == 0, out
    removed, added = _changes(before, (root / PG_TEMPLATE).read_bytes())
    assert removed == [
        f'{n}={{{{ with .Data.data.{n} }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}{b}{{{{ end }}}}\n'
        for n, b in PG
    ]
    assert added == [safe.format(n=n, b=b.strip('"')) for n, b in PG]
    assert all(_outcome(root, "template-quoting", n) is Outcome.PASSED for n, _ in PG)
    assert _fix(root, capsys, "--rules", "template-quoting")[0] == 0
    assert (root / PG_TEMPLATE).read_bytes().decode().splitlines(keepends=True)[2:5] == added
