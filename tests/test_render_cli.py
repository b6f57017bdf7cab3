"""``envssot render``: where the rendered file may go, what is reported, exit codes, redaction."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_envssot.cli import main

APP_REL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
PG_REL = "repo/finance_report/finance_report/01.postgres/secrets.ctmpl"
APP_PATH = "secret/data/finance_report/production/app"
PG_PATH = "secret/data/finance_report/production/postgres"
CANARY = "canary-Zq8vX3-value"  # in every secret: must never reach stdout/stderr
DSN = f"postgresql://app:{CANARY}@db:5432/finance_report"


def response(data: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": "r", "lease_id": "", "lease_duration": 0, "renewable": False,
            "data": {"data": data, "metadata": {"version": 1}}, "warnings": None}  # fmt: skip


APP_DATA = {
    "DATABASE_URL": DSN,
    "SECRET_KEY": f"{CANARY}-jwt",
    "S3_SECRET_KEY": CANARY,
    "S3_BUCKET": "",  # empty: fallback
    "CORS_ORIGINS": '["https://app.example"]',
}


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["render", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    """One `vault kv get -format=json` response, outside the repository."""
    path = tmp_path / "vault" / "app.json"
    path.parent.mkdir()
    path.write_text(json.dumps(response(APP_DATA), indent=2), encoding="utf-8")
    return path


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


def test_without_out_prints_a_redacted_summary_and_writes_nothing(
    sample_repo: Path, secrets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files_of(tmp_path)
    code, out, err = run(capsys, sample_repo / APP_REL, "--secrets", secrets, "--env", "production")
    assert code == 0
    assert files_of(tmp_path) == before  # nothing written anywhere, the repo included
    assert CANARY not in out + err and "app.example" not in out + err
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:-2]}
    assert lines["DATABASE_URL"] == ["rendered", "line", "6"]
    assert lines["S3_BUCKET"] == ["fallback", "line", "11"]
    assert lines["REDIS_URL"] == ["fallback", "line", "7"]
    assert "12 keys: 4 rendered, 8 fallback, 0 <no value>" in out
    assert "not written: pass --out PATH" in out
    assert f"{sample_repo / APP_REL}:7: fallback: REDIS_URL is missing from {APP_PATH}" in err
    assert f"{sample_repo / APP_REL}:11: fallback: S3_BUCKET is empty in {APP_PATH}" in err


def test_out_file_is_private_and_holds_the_render(
    sample_repo: Path, secrets: Path, outdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outdir / "app.env"
    target.write_text("old\n")
    target.chmod(0o644)
    code, out, err = run(
        capsys, sample_repo / APP_REL, "--secrets", secrets, "--env", "production", "--out", target
    )
    assert code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text(encoding="utf-8")
    assert f'DATABASE_URL="{DSN}"\n' in text and 'S3_BUCKET=""\n' in text
    assert f"written to {target} (mode 0600)" in out
    assert CANARY not in out + err
    assert sorted(p.name for p in outdir.iterdir()) == ["app.env"]  # no temp file left


def test_out_dash_sends_the_render_to_stdout_only_when_asked(
    sample_repo: Path, secrets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, sample_repo / APP_REL, "--secrets", secrets, "--env", "production", "--out", "-"
    )
    assert code == 0
    assert out.startswith("\n\nDATABASE_URL=") and f'"{DSN}"' in out
    assert "envssot render:" not in out  # the summary went to stderr
    assert "12 keys:" in err and CANARY not in err


def test_out_through_a_symlink_is_refused(
    sample_repo: Path, secrets: Path, outdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = outdir / "victim"
    victim.write_text("keep me\n")
    link = outdir / "app.env"
    link.symlink_to(victim)
    code, _, err = run(
        capsys, sample_repo / APP_REL, "--secrets", secrets, "--env", "production", "--out", link
    )
    assert code == 2
    assert "is a symlink; refusing to write through it" in err
    assert victim.read_text() == "keep me\n" and link.is_symlink()


def test_out_inside_the_repository_needs_out_in_repo(
    sample_repo: Path, secrets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["git", "init", "-q", str(sample_repo)], check=True)
    before = files_of(sample_repo)
    target = sample_repo / "apps" / "rendered.env"
    args: list[str | Path] = [sample_repo / APP_REL, "--secrets", secrets, "--env", "production"]
    args += ["--out", target]
    code, _, err = run(capsys, *args)
    assert code == 2 and "inside the repository" in err and "--out-in-repo" in err
    assert files_of(sample_repo) == before
    code, _, _ = run(capsys, *args, "--out-in-repo")
    assert code == 0 and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_no_value_is_exit_1_with_path_line_and_key(
    tmp_path: Path, secrets: Path, outdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "bare.ctmpl"
    template.write_text(
        f'{{{{ with secret "{APP_PATH}" }}}}\nDATABASE_URL={{{{ .Data.data.DATABASE_URL }}}}\n'
        "REDIS_URL={{ .Data.data.REDIS_URL }}\n"
        'S3_ENDPOINT={{ printf "%q" .Data.data.S3_ENDPOINT }}\n{{ end }}\n'
    )
    target = outdir / "x.env"
    code, out, err = run(
        capsys, template, "--secrets", secrets, "--env", "production", "--out", target
    )
    assert code == 1
    assert f"{template}:3: <no value>: REDIS_URL is missing from {APP_PATH}" in err
    assert f"{template}:4: <no value>: S3_ENDPOINT is missing from {APP_PATH}" in err
    assert "3 keys: 1 rendered, 0 fallback, 2 <no value>" in out
    # Vault Agent would write this file as it stands: so do we, and say so
    assert target.read_text().splitlines()[2:4] == [
        "REDIS_URL=<no value>",
        "S3_ENDPOINT=%!q(<nil>)",
    ]
    assert CANARY not in out + err


def test_a_secret_path_missing_from_the_data_is_exit_1_and_writes_nothing(
    sample_repo: Path, tmp_path: Path, outdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keyed = tmp_path / "keyed.json"
    keyed.write_text(json.dumps({PG_PATH: response({"POSTGRES_PASSWORD": CANARY})}))
    code, out, err = run(
        capsys, sample_repo / APP_REL, "--secrets", keyed, "--env", "production",
        "--out", outdir / "x.env",
    )  # fmt: skip
    assert code == 1
    assert f"{sample_repo / APP_REL}:5: secret {APP_PATH}: not in the --secrets data" in err
    assert f"(has: {PG_PATH})" in err and "Vault Agent would wait" in err
    assert list(outdir.iterdir()) == [] and CANARY not in out + err


def test_secrets_keyed_by_path_or_named_with_path_equals_file(
    tmp_path: Path, outdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "both.ctmpl"
    template.write_text(
        '{{ with secret (printf "secret/data/finance_report/%s/app" (env "ENV")) }}'
        'A={{ .Data.data.CORS_ORIGINS }}{{ end }}\n'
        '{{ with secret (printf "secret/data/finance_report/%s/postgres" (env "ENV")) }}'
        'B={{ .Data.data.POSTGRES_DB }}{{ end }}\n'
        'R={{ env "REGION" }}\n'
    )  # fmt: skip
    app, pg = tmp_path / "app.json", tmp_path / "pg.json"
    app.write_text(json.dumps(response(APP_DATA)))
    pg.write_text(json.dumps(response({"POSTGRES_DB": "fr"})))
    keyed = tmp_path / "keyed.json"
    keyed.write_text(
        json.dumps({APP_PATH: response(APP_DATA), PG_PATH: response({"POSTGRES_DB": "fr"})})
    )
    expected = 'A=["https://app.example"]\nB=fr\nR=eu\n'
    for secrets_args in (
        ["--secrets", keyed],
        ["--secrets", f"{APP_PATH}={app}", "--secrets", f"{PG_PATH}={pg}"],
    ):
        target = outdir / "both.env"
        code, out, _ = run(
            capsys, template, *secrets_args, "--env", "production", "--set", "REGION=eu",
            "--out", target,
        )  # fmt: skip
        assert code == 0 and target.read_text() == expected
        assert "env REGION: given" in out
    # a bare file answers the first path only; the second is reported with the way out
    code, _, err = run(
        capsys, template, "--secrets", app, "--env", "production", "--set", "REGION=eu"
    )
    assert code == 1 and f"{app} was given without a path and answered {APP_PATH}" in err
    assert "--secrets VAULT_PATH=FILE" in err


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [
        ('{\n  "data": {\n    "data": {\n      "A": "x",\n    }\n}', ":5", "malformed JSON"),
        ("[1, 2]\n", ":1", "expected a JSON object"),
        ('{"secret/data/x": {"no": "data"}}', "", "'secret/data/x': expected the JSON `vault kv"),
        ('{"data": NaN}', "", "malformed JSON"),
    ],
)
def test_bad_secrets_file_is_exit_2_with_path_line(
    sample_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    content: str, where: str, message: str,
) -> None:  # fmt: skip
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = run(capsys, sample_repo / APP_REL, "--secrets", bad, "--env", "production")
    assert code == 2 and out == ""
    assert f"envssot render: {bad}{where}: {message}" in err


def test_missing_secrets_file_and_missing_env_are_usage_errors(
    sample_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, sample_repo / APP_REL, "--secrets", tmp_path / "nope.json", "--env", "p"
    )
    assert code == 2 and "nope.json: file does not exist" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["render", str(sample_repo / APP_REL), "--secrets", "x.json"])
    assert exit_info.value.code == 2 and "--env" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("template", "line", "message"),
    [
        ('{{ with secret "p" }}\nA={{ .Data.data.A }\n{{ end }}', 2, "template syntax error"),
        ('\n\n{{ with secret "p" }}{{ .Data.data.A | toJSON }}{{ end }}', 3,
         "envssot render does not evaluate the function toJSON"),
        ('{{ with secret "p" }}\n{{ printf "%-5s" .Data.data.A }}{{ end }}', 2,
         "envssot render does not evaluate the printf verb or flag '%-'"),
        ('{{ define "a" }}{{ template "a" }}{{ end }}\n{{ template "a" }}', 1,
         "envssot render does not evaluate template calls nested deeper than 50"),
        ('{{ with secret "p" }}\n\n{{ .Data.data.MISSING.deeper }}{{ end }}', 3,
         "Go's text/template stops here: nil pointer evaluating interface {}.deeper"),
    ],
)  # fmt: skip
def test_template_errors_are_exit_2_with_path_line(
    tmp_path: Path, secrets: Path, capsys: pytest.CaptureFixture[str],
    template: str, line: int, message: str,
) -> None:  # fmt: skip
    path = tmp_path / "t.ctmpl"
    path.write_text(template)
    code, out, err = run(capsys, path, "--secrets", f"p={secrets}", "--env", "production")
    assert code == 2 and out == ""
    assert f"envssot render: {path}:{line}: {message}" in err


def test_a_path_computed_from_vault_data_is_never_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A secret path computed from secret values: the "not in the data" message says so, and
    # shows no part of it (%q escapes the quote and backslash a scrubber would look for).
    secrets = tmp_path / "s.json"
    tricky = 'Zq8"vX3\\w-value'
    secrets.write_text(json.dumps(response({"K": CANARY, "T": "ghp_" + "a" * 36, "Q": tricky})))
    template = tmp_path / "t.ctmpl"
    template.write_text(
        '{{ with secret "p" }}{{ with secret (printf "q/%s/%s/%q" .Data.data.K .Data.data.T '
        ".Data.data.Q) }}{{ end }}{{ end }}"
    )
    code, out, err = run(capsys, template, "--secrets", f"p={secrets}", "--env", "production")
    assert code == 1 and "secret (a path computed from Vault data, not shown)" in err
    assert CANARY not in out + err and "ghp_" not in out + err
    assert "q/" not in err and "Zq8" not in out + err and "vX3" not in out + err


@pytest.mark.parametrize(
    "template",
    [
        # through a variable, a range over the whole map, a with-bound dot, index by a value
        '{{ with secret "p" }}{{ $v := .Data.data.K }}{{ with secret (printf "q/%s" $v) }}'
        "{{ end }}{{ end }}",
        '{{ with secret "p" }}{{ range $k, $v := .Data.data }}{{ with secret $v }}{{ end }}'
        "{{ end }}{{ end }}",
        '{{ with secret "p" }}{{ with .Data.data.K }}{{ with secret (printf "%q" .) }}{{ end }}'
        "{{ end }}{{ end }}",
        '{{ with secret "p" }}{{ $d := .Data }}{{ with secret (printf "%v" $d) }}{{ end }}{{ end }}',
    ],
)
def test_no_route_from_vault_data_to_a_render_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str
) -> None:
    secrets = tmp_path / "s.json"
    secrets.write_text(json.dumps(response({"K": CANARY})))
    path = tmp_path / "t.ctmpl"
    path.write_text(template)
    code, out, err = run(capsys, path, "--secrets", f"p={secrets}", "--env", "production")
    assert code == 1 and "computed from Vault data" in err, err
    assert "Zq8vX3" not in out + err


def test_env_and_printf_formats_read_from_vault_are_refused_unquoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = tmp_path / "s.json"
    secrets.write_text(json.dumps(response({"N": "SECRETNAMEzq8", "F": "Zq8%z", "L": ["a"]})))
    for body, said in (
        ("{{ env .Data.data.N }}", "env with a name computed from Vault data"),
        ("{{ printf .Data.data.F 1 }}", "printf with a format computed from Vault data"),
        ("{{ index .Data.data.L (len .Data.data.F) }}", "index out of range (a key computed"),
    ):
        path = tmp_path / "t.ctmpl"
        path.write_text('{{ with secret "p" }}' + body + "{{ end }}")
        code, out, err = run(capsys, path, "--secrets", f"p={secrets}", "--env", "production")
        assert code == 2 and said in err, err
        assert "Zq8" not in out + err and "SECRETNAME" not in out + err


def test_process_environment_is_read_by_name_only(
    tmp_path: Path,
    secrets: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENVSSOT_TEST_HOST", CANARY)
    template = tmp_path / "t.ctmpl"
    template.write_text('H={{ env "ENVSSOT_TEST_HOST" }} U={{ env "ENVSSOT_TEST_UNSET" }}\n')
    code, out, err = run(
        capsys, template, "--secrets", secrets, "--env", "production", "--out", "-"
    )
    assert code == 0 and out == f"H={CANARY} U=\n"
    assert "env ENVSSOT_TEST_HOST: process environment" in err
    assert "env ENVSSOT_TEST_UNSET: unset" in err
    assert CANARY not in err


def test_rendered_bytes_match_the_roundtrip_renderer(
    sample_repo: Path, secrets: Path, outdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """template-roundtrip's one-line renderer and the whole-file render are one evaluator."""
    from pytest_envssot.gotemplate.execute import compile_value, render
    from pytest_envssot.readers.template import read_template

    target = outdir / "app.env"
    run(capsys, sample_repo / APP_REL, "--secrets", secrets, "--env", "production", "--out", target)
    lines = dict(line.split("=", 1) for line in target.read_text().splitlines() if "=" in line)
    tf = read_template(sample_repo / APP_REL, APP_REL)
    for var in tf.vars:
        assert render(compile_value(var.value_source), APP_DATA) == lines[var.name], var.name


def test_kv_version_1_responses_render_and_report_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `vault kv get -format=json` on a KV v1 mount: the keys sit right under "data".
    secrets = tmp_path / "v1.json"
    secrets.write_text(json.dumps({"data": {"A": CANARY}, "lease_duration": 2764800}))
    template = tmp_path / "v1.ctmpl"
    template.write_text(
        '{{ with secret "kv/app" }}A={{ .Data.A }}\n'
        "B={{ with .Data.B }}{{ . }}{{ else }}none{{ end }}{{ end }}\n"
    )
    code, out, err = run(capsys, template, "--secrets", secrets, "--env", "p", "--out", "-")
    assert code == 0 and out == f"A={CANARY}\nB=none\n"
    assert f"{template}:2: fallback: B is missing from kv/app" in err
    assert "2 keys: 1 rendered, 1 fallback, 0 <no value>" in err and CANARY not in err


def test_as_a_real_process(sample_repo: Path, secrets: Path, outdir: Path) -> None:
    """The entry point in its own process: exit code, streams, the file and its mode."""
    import sys

    root = Path(__file__).resolve().parent.parent
    target = outdir / "app.env"
    done = subprocess.run(
        [sys.executable, "-m", "pytest_envssot.cli", "render", str(sample_repo / APP_REL),
         "--secrets", str(secrets), "--env", "production", "--out", str(target)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "12 keys: 4 rendered, 8 fallback, 0 <no value>" in done.stdout
    assert CANARY not in done.stdout + done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and CANARY in target.read_text()


def test_the_summary_lists_each_path_once_with_its_keys_in_line_order(
    tmp_path: Path, outdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reads of two paths interleave; the summary groups the keys under their path."""
    template = tmp_path / "t.ctmpl"
    template.write_text(
        f'{{{{ with secret "{PG_PATH}" }}}}P1={{{{ .Data.data.POSTGRES_DB }}}}{{{{ end }}}}\n'
        f'{{{{ with secret "{APP_PATH}" }}}}A1={{{{ .Data.data.S3_BUCKET }}}}{{{{ end }}}}\n'
        f'{{{{ with secret "{PG_PATH}" }}}}P2={{{{ .Data.data.POSTGRES_USER }}}}{{{{ end }}}}\n'
        f'{{{{ with secret "{APP_PATH}" }}}}A2={{{{ .Data.data.CORS_ORIGINS }}}}{{{{ end }}}}\n'
    )
    keyed = tmp_path / "keyed.json"
    keyed.write_text(
        json.dumps({APP_PATH: response(APP_DATA), PG_PATH: response({"POSTGRES_DB": "fr"})})
    )
    code, out, _ = run(
        capsys, template, "--secrets", keyed, "--env", "production", "--out", outdir / "x.env"
    )
    assert code == 1  # POSTGRES_USER is missing: <no value>
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert listed[:6] == [
        PG_PATH,
        "POSTGRES_DB",
        "POSTGRES_USER",
        APP_PATH,
        "S3_BUCKET",
        "CORS_ORIGINS",
    ], out
