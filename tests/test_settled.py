"""template-roundtrip settles some lines by construction: the verdict must be the search's."""

from __future__ import annotations

import io
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from annotated_types import Ge, Le, MaxLen, MinLen
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AnyUrl, HttpUrl, PostgresDsn, SecretStr

from pytest_envssot.engine import check
from pytest_envssot.gotemplate.execute import compile_value, render
from pytest_envssot.pysettings.alphabets import drawn_alphabet
from pytest_envssot.pysettings.annotations import ResolvedType
from pytest_envssot.pysettings.strategies import text_strategy
from pytest_envssot.rules import _settled as settled_module
from pytest_envssot.rules._settled import _intact
from pytest_envssot.rules.types_roundtrip import _consumer_wide, _example


class Color(Enum):
    RED = "red"
    BLUE = "blue"


ANNOTATIONS: list[Any] = [
    str,
    SecretStr,
    str | None,
    int,
    Annotated[int, Ge(1), Le(65535)],
    float,
    Decimal,
    bool,
    Literal["DEBUG", "INFO"],
    Color,
    HttpUrl,
    AnyUrl,
    PostgresDsn,
    list[str],
    list[int],
    dict[str, int],
    tuple[str, int],
    set[str],
    Annotated[str, MinLen(3), MaxLen(63)],
    Annotated[str, MinLen(100)],
    str | int,
]
DOMAINS = [
    None, "any", "printable", "word", "url", "token_urlsafe", "token_hex", "alnum",
    "ascii_printable", "regex:[a-z][a-z0-9-]{0,30}", "regex:[A-Za-z0-9/+]{40}",
    "regex:rediss?://[a-z0-9.-]{1,40}(:[0-9]{1,5})?", r"regex:\d+", "regex:[^x]{1,5}",
    "regex:(ab|c\u00e9){1,3}", "regex:[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "regex:\u00a0|x",
    'regex:[a-z"\\\\$ #\']{1,9}', "regex:[\x01-\x7f]{1,4}",
]  # fmt: skip
_CASES = [(a, d) for a in ANNOTATIONS for d in DOMAINS]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_every_drawn_character_is_in_the_alphabet(data: st.DataObject) -> None:
    """drawn_alphabet follows strategies.text_strategy: whatever the search may draw is made
    of the characters it names (else a settled pass could hide a breaking value)."""
    annotation, domain = data.draw(st.sampled_from(_CASES))
    alphabet = drawn_alphabet(annotation, domain)
    if alphabet is None:
        return
    value = data.draw(text_strategy(ResolvedType(annotation, "", False, ()), domain))
    assert set(value) <= alphabet, (annotation, domain, value)


def test_the_alphabets_are_told_where_the_contract_needs_them() -> None:
    # What the sample repository and the generated ones use: each settled without a search.
    for annotation, domain in [
        (PostgresDsn, "word"),
        (str | None, "regex:rediss?://[a-z0-9.-]{1,40}(:[0-9]{1,5})?(/[0-9]{1,2})?"),
        (SecretStr, "token_urlsafe"),
        (Annotated[str, MinLen(3), MaxLen(63)], "regex:[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
        (list[str], "url"),
        (str, "printable"),
        (bool, "printable"),
        (float, "word"),
    ]:
        alphabet = drawn_alphabet(annotation, domain)
        assert alphabet is not None and all(_intact(c) for c in alphabet), (annotation, domain)
    # Anything drawn from every string, a regex left to from_regex, a length filter the regex
    # may miss, a bare list: not told.
    assert drawn_alphabet(str, "any") is None
    assert drawn_alphabet(str, r"regex:\d+") is None
    assert drawn_alphabet(Annotated[str, MinLen(100)], "regex:[a-z]{1,5}") is None
    assert drawn_alphabet(list, "word") is None


LINE = '{{ with .Data.data.NAME }}{{ printf "%q" . }}{{ else }}""{{ end }}'


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_value_of_an_intact_alphabet_comes_back_as_written(data: st.DataObject) -> None:
    """The reasoning of rules/_settled, against the real python-dotenv: Go-printable text and
    \\a..\\v, quoted by %q, come back from pydantic-settings' reader as the same text."""
    alphabet = data.draw(
        st.sampled_from(
            [
                "".join(map(chr, range(0x20, 0x7F))),
                "\a\b\f\n\r\t\v\"\\'$#{} =x",
                "é中🙂\u2028\u00a0$",  # U+2028 and NBSP: not printable for Go, never drawn here
            ]
        )
    )
    value = data.draw(st.text(alphabet, min_size=1))
    if _consumer_wide("pydantic-settings", value):
        return
    line = "NAME=" + render(compile_value(LINE), {"NAME": value}) + "\n"
    back = dotenv_values(stream=io.StringIO(line), interpolate=True).get("NAME")
    if all(_intact(c) for c in value):
        assert back == value
    else:
        assert back != value  # Go escapes it as \\uNNNN, which python-dotenv keeps as text


VARIANTS = [
    ("str", '""', ""),
    ("str", '""', '[tool.envssot.domains]\nNAME = "ascii_printable"\n'),
    ("str", '""', '[tool.envssot.domains]\nNAME = "any"\n'),
    ("str", '""', '[tool.envssot.domains]\nNAME = "regex:[a-z$ {}#]{1,8}"\n'),
    ("str", '""', '[tool.envssot.domains]\nNAME = "regex:[a-z\\u00a0]{1,4}"\n'),
    ("SecretStr", 'SecretStr("")', 'default_secret_domain = "token_urlsafe"\n'),
    ("SecretStr", 'SecretStr("")', ""),
    ("int", "0", ""),
    ("float", "0.5", ""),
    ("bool", "False", ""),
    ("list[str]", "[]", ""),
    ("dict[str, int]", "{}", ""),
    ('Literal["a b", "c"]', '"c"', ""),
    ("HttpUrl", '"http://x"', ""),
    ("str", '""', 'consumer = "posix-shell"\n'),
    ("str", '""', 'consumer = "docker-env-file"\n[tool.envssot.domains]\nNAME = "alnum"\n'),
]
LINES = [
    None,  # the rule examples' line: {{ with .Data.data.NAME }}{{ printf "%q" . }}...
    'NAME={{ .Data.data.NAME | printf "%q" }}\n',
    'NAME={{ printf "%q" .Data.data.NAME }}\n',
    "NAME={{ .Data.data.NAME }}\n",
    'NAME="{{ .Data.data.NAME }}"\n',
    "NAME='{{ .Data.data.NAME }}'\n",
]


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize(("ann", "default", "extra"), VARIANTS)
def test_settled_verdicts_are_the_searchs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ann: str,
    default: str,
    extra: str,
    line: str | None,
) -> None:
    """The same findings, text included, with lines settled by construction and with every
    line searched (the code path before settling existed)."""
    monkeypatch.setenv("ENVSSOT_NO_CACHE", "1")
    monkeypatch.setenv("CI", "true")
    header = "from typing import Literal\nfrom pydantic import HttpUrl\n"
    files = _example(ann, default, "NAME", extra)
    files["app/config.py"] = files["app/config.py"].replace("from pydantic import", header + "from pydantic import", 1)  # fmt: skip
    if line is not None:
        files["deploy/app/secrets.ctmpl"] = (
            '{{ with secret "secret/data/app" }}\n' + line + "{{ end }}\n"
        )
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")

    answers: list[bool] = []

    def recorded(*args: Any) -> bool:
        answers.append(real(*args))
        return answers[-1]

    # The round trip imports the reasoning where it computes a verdict: patch it at home.
    real = settled_module.settled_pass
    monkeypatch.setattr(settled_module, "settled_pass", recorded)
    settled = check(tmp_path, only=["template-roundtrip"]).findings
    monkeypatch.setattr(settled_module, "settled_pass", lambda *args: False)
    searched = check(tmp_path, only=["template-roundtrip"]).findings
    assert [f.render() for f in settled] == [f.render() for f in searched]
    assert [f.outcome for f in settled] == [f.outcome for f in searched]
    # Settled exactly where the reasoning applies: a %q line read by pydantic-settings and an
    # alphabet of Go-printable characters (the "any" domain and NBSP are broken by hazards).
    quoted = line is None or "%q" in line
    expected = quoted and "consumer" not in extra and "any" not in extra
    assert any(answers) is (expected and "u00a0" not in extra), answers
