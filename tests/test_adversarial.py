"""Bad input never takes a run down (README "Hardening").

Three ways in, all through the real engine:

* hypothesis mutates the real layer files of both example repositories (truncation at any
  byte, inserted and replaced bytes, invalid UTF-8, BOMs, UTF-16, CRLF and lone CR, NUL);
* fixed pathological files (10 MB lines, 10,000 nested actions, parser-depth bombs, YAML alias
  bombs, a worst case for every regex of ours) go through ``envssot check`` in a child process
  whose peak memory is measured;
* a representative few go through ``pytest --envssot`` (pytester, a subprocess).

Each time: the run ends, every problem is a failing ``layer-parses`` item at ``path:line``,
nothing says INTERNALERROR, internal error or Traceback. How long reading takes as inputs grow
is measured by ``benchmarks/adversarial.py`` (ratios), never asserted here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DRIFTED, SAMPLE, copy_repo, failed_ids
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_envssot.config import ConfigError, load_config
from pytest_envssot.discovery import discover
from pytest_envssot.engine import Report, check
from pytest_envssot.findings import Outcome

ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
DOCKERFILE = "apps/frontend/Dockerfile"
COMPOSE = "docker-compose.yml"
MB = 1024 * 1024


# --------------------------------------------------------------------------- assertions


def assert_handled(report: Report) -> None:
    """Every failing layer-parses item points at a line, and nothing is an internal error."""
    for finding in report.findings:
        text = finding.render()
        assert "internal error" not in text, text
        assert "Traceback" not in text, text
        if finding.rule == "layer-parses" and finding.outcome is Outcome.FAILED:
            file_level = "no settings class found" in text  # the repo as a whole, no line
            assert finding.location.line >= 1 or file_level, text


# --------------------------------------------------------------------------- fuzzing

# Bytes that steer the parsers into their less travelled paths.
STRUCTURAL = [b"{{", b"}}", b"{{-", b" -}}", b"(", b")", b'"', b"'", b"`", b"=", b"#", b"\\\n",
              b"[", b"]", b"{", b"}", b"<<EOF\n", b"\t", b":", b"*", b"&a ", b"<<: ", b"\xc3\xa9",
              b"export ", b"class ", b"Field(", b"$", b"${", b"\n  ", b"/*", b"*/"]  # fmt: skip
INVALID_UTF8 = [b"\xff", b"\x80", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"]
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after one to three mutations of the kinds a broken editor or disk produces."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["truncate", "insert", "replace", "structural", "utf8", "bom",
                             "utf16", "crlf", "cr", "nul", "delete"])
        )  # fmt: skip
        at = draw(st.integers(0, len(data)))
        if kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif kind == "replace" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind == "structural":
            data = data[:at] + draw(st.sampled_from(STRUCTURAL)) + data[at:]
        elif kind == "utf8":
            data = data[:at] + draw(st.sampled_from(INVALID_UTF8)) + data[at:]
        elif kind == "bom":
            data = draw(st.sampled_from(BOMS)) + data
        elif kind == "utf16":
            text = data.decode("utf-8", "replace")
            data = draw(
                st.sampled_from([text.encode("utf-16"), b"\xfe\xff" + text.encode("utf-16-be")])
            )
        elif kind == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif kind == "cr":
            data = data.replace(b"\n", b"\r")
        elif kind == "nul":
            data = data[:at] + b"\x00" + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
    return data


def _seeds() -> list[tuple[Path, str]]:
    """Every layer file of both example repositories, plus their pyproject.toml."""
    out = []
    for repo in (SAMPLE, DRIFTED):
        layers = discover(load_config(repo))
        rels = (*layers.templates, *layers.settings, layers.env_example, *layers.dockerfiles,
                *layers.compose, "pyproject.toml")  # fmt: skip
        out += [(repo, rel) for rel in rels]
    return out


SEEDS = _seeds()
# A longer hunt: ENVSSOT_FUZZ_EXAMPLES=1000 pytest tests/test_adversarial.py -k mutated
FUZZ_EXAMPLES = int(os.environ.get("ENVSSOT_FUZZ_EXAMPLES", "30"))


@pytest.fixture(scope="module")
def fuzz_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """One private copy per example repository; each example rewrites one file and restores it."""
    base = tmp_path_factory.mktemp("fuzz")
    return {repo: copy_repo(repo, base / repo.name) for repo in (SAMPLE, DRIFTED)}


@pytest.mark.parametrize(("repo", "rel"), SEEDS, ids=[f"{r.name}/{rel}" for r, rel in SEEDS])
def test_mutated_layer_files_become_layer_parses_items(
    fuzz_copies: dict[Path, Path], repo: Path, rel: str
) -> None:
    root = fuzz_copies[repo]
    original = (repo / rel).read_bytes()

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(mutated(original))
    def run(data: bytes) -> None:
        (root / rel).write_bytes(data)
        try:
            # defer: template-roundtrip's own hypothesis search cannot nest in this one
            report = check(root, defer=True)
        except ConfigError as exc:  # only a broken pyproject.toml is a usage error
            assert rel == "pyproject.toml" and str(exc).startswith("pyproject.toml"), exc
            return
        finally:
            (root / rel).write_bytes(original)
        assert_handled(report)

    run()


# --------------------------------------------------------------------------- fixed cases


@dataclass(frozen=True)
class Case:
    """One pathological file: ``rel`` rewritten by ``build`` in a copy of the sample."""

    name: str
    rel: str
    build: Callable[[str], str]
    error: str | None = None  # expected message fragment of a failing item, None: the run ends
    rule: str = "layer-parses"  # the item that fails (compose files report through their rules)
    repo: Path = SAMPLE


def _before_last_end(text: str, insert: str) -> str:
    """Insert a line inside the template's secret block (before its closing ``{{ end }}``)."""
    at = text.rindex("{{ end }}")
    return text[:at] + insert + "\n" + text[at:]


def _replace(old: str, new: str) -> Callable[[str], str]:
    def build(text: str) -> str:
        assert text.count(old) == 1, old
        return text.replace(old, new)

    return build


TEN_MB = 10 * MB
CASES = [
    # 10 MB lines, one per layer
    Case("env-10mb-value", ENV, _replace("BASE_CURRENCY=SGD", "BASE_CURRENCY=" + "A" * TEN_MB)),
    Case("env-10mb-comment", ENV, lambda t: t + "# " + "a" * TEN_MB + "\n"),
    Case("env-1mb-dsn", ENV, _replace("DATABASE_URL=postgresql+asyncpg", "DATABASE_URL=" + "a" * MB)),
    Case("template-10mb-line", APP_TMPL, lambda t: _before_last_end(t, "X=" + "a" * TEN_MB)),
    Case("settings-10mb-comment", CONFIG, lambda t: t + "# " + "a" * TEN_MB + "\n"),
    Case("settings-10mb-default", CONFIG, _replace('default="SGD"', 'default="' + "A" * TEN_MB + '"')),
    Case("dockerfile-10mb-line", DOCKERFILE, lambda t: t + "RUN " + "a" * TEN_MB + "\n"),
    Case("compose-10mb-line", COMPOSE, lambda t: t + "x-long: " + "a" * TEN_MB + "\n"),
    # quoted values: 1 MB here, 10 MB in TENFOLD_CASES
    Case("env-1mb-quoted", ENV, _replace("BASE_CURRENCY=SGD", 'BASE_CURRENCY="' + "A" * MB + '"')),
    Case("template-1mb-fallback", APP_TMPL,
         _replace('"finance-report-backend"{{ end }}', '"' + "a" * MB + '"{{ end }}')),
    # parser depth and breadth
    Case("template-10000-nested-with", APP_TMPL,
         lambda t: _before_last_end(t, "{{ with .Data.data.X }}" * 10_000 + "{{ end }}" * 10_000),
         "nesting deeper than 100"),
    Case("template-10000-nested-parens", APP_TMPL,
         lambda t: _before_last_end(t, "X={{ " + "(" * 10_000 + "1" + ")" * 10_000 + " }}"),
         "nesting deeper than 100"),
    Case("template-10000-open-braces", APP_TMPL, lambda t: t + "{{" * 10_000, "unexpected"),
    Case("template-5m-open-braces", APP_TMPL, lambda t: t + "{{" * (5 * MB), "unexpected"),
    Case("template-10000-actions", APP_TMPL,
         lambda t: _before_last_end(t, "X=" + '{{ "a" }}' * 10_000)),
    Case("settings-100000-parens", CONFIG, lambda t: t + "X = " + "(" * 100_000 + "1" + ")" * 100_000,
         "too many nested parentheses"),
    Case("settings-200000-additions", CONFIG, lambda t: t + "X = " + "1 + " * 200_000 + "1\n",
         "nested too deeply"),
    Case("settings-deep-default", CONFIG,
         _replace('default="SGD"', "default=" + "-" * 100_000 + "1"), "nested too deeply"),
    Case("settings-huge-valid", CONFIG,
         lambda t: t + "".join(f"C{i} = {i}\n" for i in range(100_000))),
    Case("settings-190-deep-list-default", CONFIG,
         _replace('default="SGD"', "default=" + "[" * 190 + "]" * 190)),
    Case("settings-99-nested-blocks", CONFIG,
         lambda t: t + "".join(" " * i + "if x:\n" for i in range(99)) + " " * 99 + "pass\n"),
    Case("dockerfile-300000-continuations", DOCKERFILE, lambda t: t + "RUN a \\\n" * 300_000 + "\n"),
    Case("compose-10000-brackets", COMPOSE,
         lambda t: t + "x-deep: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested deeper than",
         "compose-container-naming"),
    Case("compose-merge-key-bomb", COMPOSE, lambda t: _merge_bomb(t, 12)),
    Case("compose-nested-mappings", COMPOSE,
         lambda t: t + "x-deep:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(3000))),
    # one worst case per regex we run over file content
    Case("regex-url-password-scheme-run", ENV, _replace("S3_ENDPOINT=http://localhost:9000",
         "S3_ENDPOINT=" + "a" * MB + "://" + "u" * MB)),
    Case("regex-jwt-runs", ENV, _replace("S3_SECRET_KEY=changeme", "S3_SECRET_KEY=" + "eyJ-" * (MB // 4))),
    Case("regex-token-prefixes", ENV, _replace("S3_SECRET_KEY=changeme",
         "S3_SECRET_KEY=" + "sk-ant-a" * (MB // 8) + "SG.a" * (MB // 4))),
    Case("regex-private-key-header", ENV,
         _replace("S3_SECRET_KEY=changeme", "S3_SECRET_KEY=-----BEGIN " + "A " * (MB // 2))),
    Case("regex-placeholder", ENV, _replace("OPENROUTER_API_KEY=", "OPENROUTER_API_KEY=your-" + "-" * MB)),
    Case("regex-example-blank-key", ENV, lambda t: t + " " * MB + "=x\n", "python-dotenv cannot parse"),
    Case("regex-example-commented-binding", ENV, lambda t: t + "#" + " " * MB + "A\n"),
    Case("regex-example-export", ENV, lambda t: t + "export" + " " * MB + "\n"),
    Case("regex-dollar-braces", ENV, _replace("BASE_CURRENCY=SGD", "BASE_CURRENCY=" + "${" * (MB // 2))),
    Case("regex-compose-interpolation", COMPOSE,
         _replace("container_name: finance-report-db", 'container_name: "' + "${" * (MB // 2) + '"')),
    Case("regex-compose-interpolation-unclosed", COMPOSE,  # no bracket nesting to refuse
         _replace("container_name: finance-report-db", 'container_name: "' + "${]" * MB + '"')),
    Case("regex-discovery-class-lines", "apps/backend/src/extra.py",
         lambda _: "from .config import Settings\n" + "class A(\n" * 200_000),
    Case("regex-discovery-class-name", "apps/backend/src/extra2.py",
         lambda _: "from .config import Settings\nclass " + "A" * MB + "(Settings):\n    x: int = 1\n"),
    Case("regex-template-shell-single", APP_TMPL,
         lambda t: _before_last_end(t, "X='" + "replaceAll \"'\" " * (MB // 16))),
    Case("regex-template-quoted-escapes", APP_TMPL,
         lambda t: _before_last_end(t, 'X={{ "' + "\\a" * (MB // 2) + '" }}')),
    Case("regex-template-number", APP_TMPL, lambda t: _before_last_end(t, "X={{ 0x" + "_" * MB + " }}"),
         "number"),
    Case("regex-template-key-prefix", APP_TMPL, lambda t: _before_last_end(t, " " * MB + "X=1")),
    Case("regex-dockerfile-directive", DOCKERFILE, lambda t: "# escape=" + " " * MB + "x\n" + t),
    Case("regex-dockerfile-heredocs", DOCKERFILE, lambda t: t + "RUN " + '<<"a' * (MB // 4) + "\n"),
    Case("regex-dockerfile-escapes", DOCKERFILE, lambda t: t + "RUN a" + "\\\t" * (MB // 2) + "x\n"),
    Case("regex-secret-wrapper", CONFIG,
         _replace('default=SecretStr("")', 'default=SecretStr("' + "a." * (MB // 2) + '")')),
    Case("regex-vault-path", "repo/finance_report/finance_report/01.postgres/secrets.ctmpl",
         _replace('"secret/data/finance_report/%s/postgres"',
                  '"secret/data/' + "a" * MB + '/%s/postgres"')),
]  # fmt: skip


def _merge_bomb(text: str, levels: int) -> str:
    """Nine merges of the level below, ``levels`` deep: 9**12 keys if each merge were expanded."""
    lines = ["x-m0: &m0 {a: 1}"]
    for i in range(1, levels):
        lines.append(f"x-m{i}: &m{i}\n  <<: [{', '.join([f'*m{i - 1}'] * 9)}]")
    bomb = "\n".join(lines) + "\n"
    return bomb + text.replace("    container_name: finance-report-db\n",
                               f"    container_name: finance-report-db\n    x-env:\n      <<: *m{levels - 1}\n")  # fmt: skip


# The CLI in a child process that reports its own peak RSS in KiB: VmHWM, the high-water mark
# of the memory this program mapped. Not ru_maxrss: Linux keeps it across exec, so a child of a
# pytest worker that had grown to 400 MB reported 400 MB whatever it did itself.
MAXRSS_CLI = (
    "import re, resource, sys\n"
    "from pytest_envssot.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "try:\n"
    "    with open('/proc/self/status') as status:\n"
    "        kb = int(re.search(r'^VmHWM:\\s+(\\d+)', status.read(), re.M)[1])\n"
    "except (OSError, TypeError):\n"
    "    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print('envssot-maxrss-kb=%d' % kb, file=sys.stderr)\n"
    "sys.exit(code)\n"
)
BASE_RSS = 300 * MB  # the interpreter, pydantic, hypothesis, PyYAML
RSS_PER_BYTE = 200  # generous; TENFOLD_CASES hold the worst known cases to 10
RUN_ENDS = 600  # seconds: not a performance bound, the guarantee that the run ends


def run_cli(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """``envssot <args> root``; the result and the child's peak memory in bytes."""
    proc = subprocess.run(
        [sys.executable, "-c", MAXRSS_CLI, *args, str(root)],
        capture_output=True,
        text=True,
        timeout=RUN_ENDS,
        check=False,
    )
    found = re.search(r"^envssot-maxrss-kb=(\d+)$", proc.stderr, re.MULTILINE)
    assert found, proc.stderr[-2000:]
    proc.stderr = proc.stderr[: found.start()] + proc.stderr[found.end() :]
    # a slow run reports its progress reading the files; anything else on stderr is a problem
    proc.stderr = re.sub(r"^envssot: read \d+/\d+ layer files\n", "", proc.stderr, flags=re.M)
    return proc, int(found[1]) * 1024


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pathological_files_end_cleanly_within_memory(tmp_path: Path, case: Case) -> None:
    root = copy_repo(case.repo, tmp_path / "repo")
    path = root / case.rel
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(case.build(before), encoding="utf-8")
    size = path.stat().st_size

    proc, peak = run_cli(root, "check")
    out = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), out[-3000:]
    assert "Traceback" not in out and "internal error" not in out
    assert not proc.stderr.strip(), proc.stderr[-3000:]
    assert peak <= BASE_RSS + RSS_PER_BYTE * size, f"{peak / MB:.0f} MB for {size / MB:.1f} MB"
    assert len(proc.stdout) <= 2 * size + MB  # a long value is shown at most once
    if case.error is not None:
        found = re.search(rf"^{re.escape(case.rel)}:([1-9][0-9]*): {case.rule}$", proc.stdout, re.M)
        assert found, proc.stdout[-3000:]
        assert case.error in proc.stdout
        assert proc.returncode == 1


# Within ten times the input (issue 14 C2): the regexes over a quoted literal kept a
# backtracking entry per character (1.21 GB for a 10 MB template literal, 1.44 GB for a 10 MB
# quoted .env.example value).
TENFOLD_CASES = [
    Case("template-10mb-literal", APP_TMPL, lambda t: _before_last_end(t, 'X={{ "' + "a" * TEN_MB + '" }}')),
    Case("template-10mb-escapes", APP_TMPL,
         lambda t: _before_last_end(t, 'X={{ "' + "\\n" * (TEN_MB // 2) + '" }}')),
    Case("env-10mb-double-quoted", ENV, _replace("BASE_CURRENCY=SGD", 'BASE_CURRENCY="' + "A" * TEN_MB + '"')),
    Case("env-10mb-single-quoted", ENV, _replace("BASE_CURRENCY=SGD", "BASE_CURRENCY='" + "A" * TEN_MB + "'")),
]  # fmt: skip


@pytest.fixture(scope="module")
def sample_peak(tmp_path_factory: pytest.TempPathFactory) -> int:
    """What ``envssot check`` of the unchanged sample peaks at: the interpreter and libraries."""
    root = copy_repo(SAMPLE, tmp_path_factory.mktemp("peak") / "repo")
    return run_cli(root, "check")[1]


@pytest.mark.parametrize("case", TENFOLD_CASES, ids=[c.name for c in TENFOLD_CASES])
def test_memory_stays_within_ten_times_the_input(
    tmp_path: Path, case: Case, sample_peak: int
) -> None:
    root = copy_repo(case.repo, tmp_path / "repo")
    path = root / case.rel
    path.write_text(case.build(path.read_text(encoding="utf-8")), encoding="utf-8")
    size = path.stat().st_size
    proc, peak = run_cli(root, "check", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert f'"path": "{case.rel}"' in proc.stdout
    assert peak - sample_peak <= 10 * size, f"{(peak - sample_peak) / MB:.0f} MB over the sample"


# --------------------------------------------------------------------------- the pytest face

FACE_CASES = [
    pytest.param(APP_TMPL, lambda t: _before_last_end(t, "{{ with .X }}" * 10_000), "nesting deeper", id="template-nesting"),
    pytest.param(CONFIG, lambda t: t + "X = " + "1 + " * 200_000 + "1\n", "nested too deeply", id="settings-recursion"),
    pytest.param(ENV, lambda t: "\ufeff" + t.replace("DEBUG=false", "DEBUG=\x00"), "NUL byte", id="example-bom-nul"),
    pytest.param(DOCKERFILE, lambda t: t + "RUN <<EOF\n", "not terminated", id="dockerfile-heredoc"),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "build", "fragment"), FACE_CASES)
def test_pytest_face_fails_one_layer_parses_item(
    sample_pytester: pytest.Pytester, rel: str, build: Callable[[str], str], fragment: str
) -> None:
    path = sample_pytester.path / rel
    path.write_text(build(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = sample_pytester.runpytest_subprocess("--envssot", "-p", "no:cacheprovider", "-rf")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert f"{rel}::layer-parses" in failed_ids(result)
    assert re.search(rf"{re.escape(rel)}:[1-9][0-9]*: .*{fragment}", out), out[-3000:]
    assert "INTERNALERROR" not in out and "Traceback" not in out


def test_utf16_files_name_the_encoding(sample_repo: Path) -> None:
    for rel in (ENV, APP_TMPL, CONFIG, DOCKERFILE, COMPOSE):
        path = sample_repo / rel
        path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    report = check(sample_repo, defer=True)
    failed = "\n".join(f.render() for f in report.failed)
    for rel in (ENV, APP_TMPL, DOCKERFILE, CONFIG):
        assert f"{rel}:1: file is UTF-16; save it as UTF-8" in failed
    assert f"{COMPOSE}:1: file is UTF-16" in failed
    assert_handled(report)


def test_crlf_and_lone_cr_keep_line_numbers(sample_repo: Path) -> None:
    """A file saved with CRLF or old-Mac CR still reads, and line numbers are the editor's."""
    for newline in ("\r\n", "\r"):
        root = copy_repo(SAMPLE, sample_repo.parent / f"nl{len(newline)}")
        for rel in (ENV, APP_TMPL, CONFIG, DOCKERFILE, COMPOSE):
            path = root / rel
            path.write_bytes(path.read_bytes().replace(b"\n", newline.encode()))
        assert_handled(check(root, defer=True))
        shutil.rmtree(root)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(["${", "}", ":", ":-", "-", "a", "$", "{", " ", "\n"])).map("".join)
)
def test_linear_interpolation_reads_as_python_dotenv(value: str) -> None:
    """Our linear ``${...}`` scan gives python-dotenv's atoms (its regex was quadratic)."""
    from dotenv.variables import Literal, Variable, parse_variables

    from pytest_envssot.quoting import dotenv_variables

    theirs = [
        (None, atom.value) if isinstance(atom, Literal) else (atom.name, atom.default or "")
        for atom in parse_variables(value)
        if isinstance(atom, (Literal, Variable))
    ]
    assert list(dotenv_variables(value)) == theirs


def test_a_rule_that_raises_fails_one_item_without_its_text(sample_repo: Path) -> None:
    """Defence in depth: a rule bug is one failing item naming the rule, not an INTERNALERROR
    (and not the exception's text, which could quote a value)."""
    from collections.abc import Iterator

    from pytest_envssot.engine import run_rules
    from pytest_envssot.findings import Finding
    from pytest_envssot.index import Index
    from pytest_envssot.model import Layer
    from pytest_envssot.rules.base import Rule

    def broken(index: Index) -> Iterator[Finding]:
        yield from run_rules(index, [])
        raise ValueError("CANARYruleText")

    index = check(sample_repo, only=("layer-parses",)).index
    (finding,) = run_rules(index, [Rule("broken-rule", Layer.REPO, "raises", broken)])
    assert finding.outcome is Outcome.FAILED and finding.rule == "broken-rule"
    assert "internal error in this rule (ValueError)" in finding.render()
    assert "CANARY" not in finding.render()
