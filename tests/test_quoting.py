"""Go's %q against Go itself; the consumers' readers against the real parsers.

tests/go/goquote is built once per session (offline, private caches); without Go the
differential tests skip. The shell model is compared with the real /bin/sh only on inputs
that cannot execute anything (no '(' and no backquote), in an empty environment.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import build_go_helper
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_envssot.quoting import (
    dotenv_values,
    go_is_print,
    go_quote,
    go_tables,
    read_back,
    read_docker_env_file,
    shell_word,
)

DATA = Path(__file__).parent.parent / "pytest_envssot" / "data" / "go_isprint.txt"
GoQuote = Callable[[list[bytes]], list[str]]


@pytest.fixture(scope="session")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go_helper("goquote", tmp_path_factory)


@pytest.fixture(scope="session")
def go_quote_ref(go_binary: Path) -> GoQuote:
    def run(values: list[bytes]) -> list[str]:
        done = subprocess.run(
            [str(go_binary)],
            input=json.dumps([v.hex() for v in values]),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        out: list[str] = json.loads(done.stdout)
        return out

    return run


@pytest.mark.needs_go
def test_shipped_isprint_table_is_the_local_gos(go_binary: Path) -> None:
    done = subprocess.run([str(go_binary), "-table"], capture_output=True, text=True, check=True)
    header = done.stdout.splitlines()[0]
    if header != DATA.read_text(encoding="ascii").splitlines()[0]:
        pytest.skip(f"local Go differs from the shipped tables ({go_tables()}): {header}")
    assert done.stdout == DATA.read_text(encoding="ascii")


EDGES = [
    "", "plain", 'a"b', "back\\slash", "\x00", "\x1b[31m", "\x7f", "\t\n\r\v\f\a\b",
    "\u00a0", "\u00ad", "\u200b", "\u200d", "\u2028", "\ufeff", "\ufffd", "\uffff",
    "👨\u200d👩\u200d👧", "\U0001f600", "\U000e0001", "\U0010ffff", "日本語", "é",
    "\u0378", "\U0001fa70",  # unassigned in Unicode 13 / assigned in 13
    "\U0001faf0",  # assigned in Unicode 14 (🫰): Go 1.19 escapes it, Python 3.11 calls it printable
]  # fmt: skip
EDGE_BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"a\xe2\x82", b"\xc0\xaf"]


@pytest.mark.needs_go
def test_edge_cases_match_go(go_quote_ref: GoQuote) -> None:
    values = [s.encode() for s in EDGES] + EDGE_BYTES
    assert [go_quote(v) for v in values] == go_quote_ref(values)


@pytest.mark.needs_go
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.text(), st.binary()), min_size=1, max_size=40))
def test_go_quote_matches_go(go_quote_ref: GoQuote, values: list[str | bytes]) -> None:
    raw = [v.encode() if isinstance(v, str) else v for v in values]
    assert [go_quote(v) for v in raw] == go_quote_ref(raw)


@pytest.mark.needs_go
def test_every_code_point_class_matches_go(go_quote_ref: GoQuote) -> None:
    # One code point from every 64-wide block of the whole range, plus each range edge.
    points = set(range(0, 0x110000, 61)) - set(range(0xD800, 0xE000))
    values = [chr(p).encode() for p in sorted(points)]
    assert [go_quote(v) for v in values] == go_quote_ref(values)


def test_isprint_follows_go_not_python() -> None:
    assert go_is_print(ord("a")) and go_is_print(0x1F600)
    assert not go_is_print(0xA0) and not go_is_print(0x200D) and not go_is_print(0x1FAF0)
    assert "Unicode" in go_tables() or "unicode" in go_tables()


# ----------------------------------------------------------------- python-dotenv, docker


@given(st.text())
def test_dotenv_reader_is_python_dotenv_with_interpolation(value: str) -> None:
    import io

    from dotenv import dotenv_values as real

    line = f"A=x\nK={go_quote(value)}\n"
    env_before = dict(os.environ)
    try:
        os.environ.clear()  # the real one reads os.environ; ours reads nothing from it
        expected = real(stream=io.StringIO(line), interpolate=True)
    finally:
        os.environ.update(env_before)
    assert dotenv_values(line) == dict(expected)


def test_known_pydantic_settings_breakages() -> None:
    assert read_back("pydantic-settings", f"K={go_quote('a${HOME}b')}\n", "K") == "ab"
    assert read_back("pydantic-settings", f"K={go_quote(chr(0x1B))}\n", "K") == "\\x1b"
    assert read_back("pydantic-settings", f"K={go_quote(chr(0xA0))}\n", "K") == "\\u00a0"
    tab = "tab\there"
    assert read_back("pydantic-settings", f"K={go_quote(tab)}\n", "K") == tab


def test_docker_env_file_keeps_everything_after_the_first_equals() -> None:
    assert read_docker_env_file('K="a b"\n', "K") == '"a b"'
    assert read_docker_env_file("  K=x=y # no comment \r\n", "K") == "x=y # no comment "
    assert read_docker_env_file("# K=1\nK=2\n", "K") == "2"
    assert read_docker_env_file("OTHER=1\n", "K") is None


# ----------------------------------------------------------------- POSIX shell

SAFE = st.text(
    st.characters(blacklist_characters="(`\x00", blacklist_categories=("Cs",)), max_size=30
)


def _real_sh(line: str, tmp: Path) -> str | None:
    env_file = tmp / "rendered.env"
    env_file.write_text(line, encoding="utf-8")
    # The file is sourced, never interpolated into the command: the script text is fixed.
    done = subprocess.run(
        ["/bin/sh", "-c", '. "$1" && printf %s "${K-__unset__}"', "sh", str(env_file)],
        capture_output=True,
        env={},
        cwd=tmp,
        timeout=10,
    )
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "surrogateescape")


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="no /bin/sh")
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@example("$HOME")
@example("a\\$b")
@example('"')
@example("~")
@given(SAFE)
def test_shell_model_matches_sh_on_quoted_values(tmp_path: Path, value: str) -> None:
    line = f"K={go_quote(value)}\n"
    ours = shell_word(line[2:])
    real = _real_sh(line, tmp_path)
    if ours.hazards:
        assert real != value  # both say it does not arrive intact
    else:
        assert ours.value == real


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="no /bin/sh")
@pytest.mark.parametrize(
    "raw", ["abc", "'a b'", "\"x\"'y'", "a\\ b", "a#b", "~x", "x:~", "$", "a$", "'", '"\\n"']
)
def test_shell_model_matches_sh_on_raw_values(tmp_path: Path, raw: str) -> None:
    ours = shell_word(raw + "\n")
    real = _real_sh(f"K={raw}\n", tmp_path)
    if ours.hazards:
        assert real != ours.value or ours.value is None
    else:
        assert ours.value == real


def test_shell_model_names_command_substitution() -> None:
    word = shell_word(go_quote("$(id)x") + "\n")
    assert word.value == "x"
    assert any("command substitution" in h for h in word.hazards)
