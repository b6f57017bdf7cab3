"""The Dockerfile reader: instructions in order, their lines, and the names ARG/ENV declare."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_envssot.model import DockerFile, DockerInstruction, Location
from pytest_envssot.readers.dockerfile import parse_dockerfile, read_dockerfile

SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "examples"
    / "sample_repo"
    / "apps"
    / "frontend"
    / "Dockerfile"
)


def read(tmp_path: Path, content: str | bytes) -> DockerFile:
    path = tmp_path / "Dockerfile"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return read_dockerfile(path, "Dockerfile")


def summary(result: DockerFile) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(i.kind, i.location.line, i.names) for i in result.instructions]


def one(result: DockerFile) -> DockerInstruction:
    assert result.error is None
    assert len(result.instructions) == 1
    return result.instructions[0]


# --------------------------------------------------------------------------- the sample


def test_sample() -> None:
    result = read_dockerfile(SAMPLE, "apps/frontend/Dockerfile")
    assert result.error is None
    assert summary(result) == [
        ("FROM", 1, ()),
        ("WORKDIR", 2, ()),
        ("ARG", 5, ("NEXT_PUBLIC_API_URL",)),
        ("ARG", 6, ("NEXT_PUBLIC_APP_URL",)),
        ("ENV", 7, ("NEXT_PUBLIC_API_URL",)),
        ("ENV", 8, ("NEXT_PUBLIC_APP_URL",)),
        ("COPY", 10, ()),
        ("RUN", 11, ()),
        ("COPY", 12, ()),
        ("RUN", 13, ()),
        ("FROM", 15, ()),
        ("WORKDIR", 16, ()),
        ("COPY", 17, ()),
        ("COPY", 18, ()),
        ("CMD", 19, ()),
    ]
    assert result.args == frozenset({"NEXT_PUBLIC_API_URL", "NEXT_PUBLIC_APP_URL"})
    texts = [i.text for i in result.instructions]
    assert texts[0] == "node:20-alpine AS build"
    assert texts[9] == "npm run build"
    assert texts[-1] == '["npm", "start"]'
    assert result.instructions[2].location == Location("apps/frontend/Dockerfile", 5)


# --------------------------------------------------------------------------- continuations


def test_continuation_joins_lines_and_keeps_the_start_line(tmp_path: Path) -> None:
    text = (
        "FROM alpine\n"
        "RUN apk add \\\n"
        "      curl \\\n"
        "  # a comment inside is dropped\n"
        "\n"
        "      git\n"
        "ARG AFTER\n"
    )
    result = read(tmp_path, text)
    assert result.error is None
    assert summary(result) == [("FROM", 1, ()), ("RUN", 2, ()), ("ARG", 7, ("AFTER",))]
    assert result.instructions[1].text == "apk add       curl       git"


def test_continuation_with_trailing_blanks_and_at_end_of_file(tmp_path: Path) -> None:
    result = read(tmp_path, "ARG A=1 \\  \n    B=2\nRUN echo \\")
    assert result.error is None
    assert summary(result) == [("ARG", 1, ("A", "B")), ("RUN", 3, ())]


def test_escape_directive_switches_to_backtick(tmp_path: Path) -> None:
    text = "# escape=`\nFROM windows\nRUN dir c:\\\nARG A=1 `\n    B=2\n"
    result = read(tmp_path, text)
    assert result.error is None
    assert summary(result) == [("FROM", 2, ()), ("RUN", 3, ()), ("ARG", 4, ("A", "B"))]
    assert result.instructions[1].text == "dir c:\\"


def test_escape_directive_only_counts_at_the_top(tmp_path: Path) -> None:
    text = "# a comment first\n# escape=`\nRUN a \\\n  b\n"
    instruction = one(read(tmp_path, text))
    assert (instruction.location.line, instruction.text) == (3, "a   b")


def test_escape_directive_after_other_directive(tmp_path: Path) -> None:
    result = read(tmp_path, "# syntax=docker/dockerfile:1\n# ESCAPE = `\nRUN a `\n b\n")
    assert one(result).text == "a  b"


def test_invalid_escape_directive(tmp_path: Path) -> None:
    result = read(tmp_path, "# escape=x\nFROM alpine\n")
    assert result.error is not None
    assert result.error.location == Location("Dockerfile", 1)
    assert summary(result) == [("FROM", 2, ())]


# --------------------------------------------------------------------------- ARG and ENV


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("ARG NAME", ("NAME",)),
        ("ARG NAME=default", ("NAME",)),
        ("ARG A=1 B=2", ("A", "B")),
        ('ARG A="x y" B', ("A", "B")),
        ("ARG A='x y' B=\"z\"", ("A", "B")),
        ("ARG A=x\\ y B=1", ("A", "B")),
        ("ENV NAME=value", ("NAME",)),
        ('ENV A=1 B="x y"', ("A", "B")),
        ("ENV A=1 B='x y' C=", ("A", "B", "C")),
        ("ENV NAME value", ("NAME",)),
        ("ENV NAME value with = and blanks", ("NAME",)),
        ("ENV PATH=/app/bin:$PATH", ("PATH",)),
    ],
)
def test_declared_names(tmp_path: Path, line: str, names: tuple[str, ...]) -> None:
    instruction = one(read(tmp_path, line + "\n"))
    assert instruction.names == names
    assert instruction.text == line.split(" ", 1)[1]


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("ARG", "ARG needs"),
        ("ARG =x", "ARG needs"),
        ("ENV", "ENV needs"),
        ("ENV NAME", "ENV needs"),
        ("ENV A=1 secretword", "bare word"),
        ("ENV =secretword", "empty name"),
    ],
)
def test_invalid_arg_and_env(tmp_path: Path, line: str, hint: str) -> None:
    result = read(tmp_path, "FROM alpine\n" + line + "\n")
    assert result.error is not None
    assert result.error.location.line == 2
    assert hint in result.error.message
    assert "secretword" not in result.error.message


def test_args_property_collects_every_stage(tmp_path: Path) -> None:
    text = "ARG BASE=alpine\nFROM $BASE AS one\nARG X\nFROM one\nARG Y=1 Z\nENV NOT_AN_ARG=1\n"
    assert read(tmp_path, text).args == frozenset({"BASE", "X", "Y", "Z"})


# --------------------------------------------------------------------------- heredocs


def test_heredoc_body_is_text_and_lines_continue_after_it(tmp_path: Path) -> None:
    text = "FROM alpine\nRUN <<EOF\nset -e\nARG NOT_AN_INSTRUCTION\nEOF\nARG AFTER\n"
    result = read(tmp_path, text)
    assert result.error is None
    assert summary(result) == [("FROM", 1, ()), ("RUN", 2, ()), ("ARG", 6, ("AFTER",))]
    assert result.instructions[1].text == "<<EOF\nset -e\nARG NOT_AN_INSTRUCTION"


def test_heredoc_variants(tmp_path: Path) -> None:
    text = (
        "COPY <<-one <<'two' /dst/\n"
        "\thello\n"
        "\tone\n"
        "world\n"
        "two\n"
        'RUN python3 <<"PY"\n'
        "print(1)\n"
        "PY\n"
        "RUN cat <<< here-string\n"
        "LABEL note=<<NOT\n"
        "ENV AFTER=1\n"
    )
    result = read(tmp_path, text)
    assert result.error is None
    assert summary(result) == [
        ("COPY", 1, ()),
        ("RUN", 6, ()),
        ("RUN", 9, ()),
        ("LABEL", 10, ()),
        ("ENV", 11, ("AFTER",)),
    ]
    assert result.instructions[0].text == "<<-one <<'two' /dst/\n\thello\nworld"


def test_unterminated_heredoc(tmp_path: Path) -> None:
    result = read(tmp_path, "FROM alpine\nRUN <<EOF\necho never closed\n")
    assert result.error is not None
    assert result.error.location.line == 2
    assert "not terminated" in result.error.message
    assert [i.kind for i in result.instructions] == ["FROM", "RUN"]


# --------------------------------------------------------------------------- keywords, encodings


def test_lowercase_and_mixed_case_keywords(tmp_path: Path) -> None:
    text = "from alpine as build\nArg Name=1\nenv Other=2\nrun echo hi\n"
    result = read(tmp_path, text)
    assert result.error is None
    assert summary(result) == [
        ("FROM", 1, ()),
        ("ARG", 2, ("Name",)),
        ("ENV", 3, ("Other",)),
        ("RUN", 4, ()),
    ]


def test_unknown_instruction_names_the_word_only(tmp_path: Path) -> None:
    result = read(tmp_path, "FROM alpine\nAPI_TOKEN=supersecret\nRUN true\n")
    assert result.error is not None
    assert result.error.location.line == 2
    assert "API_TOKEN" in result.error.message
    assert "supersecret" not in result.error.message
    assert [i.kind for i in result.instructions] == ["FROM", "RUN"]


def test_indented_comments_and_instructions(tmp_path: Path) -> None:
    result = read(tmp_path, "  # comment\n\tFROM alpine\n   ARG A\n")
    assert summary(result) == [("FROM", 2, ()), ("ARG", 3, ("A",))]


def test_crlf_reads_like_lf(tmp_path: Path) -> None:
    lf = SAMPLE.read_text(encoding="utf-8")
    crlf = read(tmp_path, lf.replace("\n", "\r\n"))
    assert crlf == read_dockerfile(SAMPLE, "Dockerfile")
    continued = read(tmp_path, "RUN a \\\r\n  b\r\nARG X\r\n")
    assert summary(continued) == [("RUN", 1, ()), ("ARG", 3, ("X",))]
    assert continued.instructions[0].text == "a   b"


def test_bom(tmp_path: Path) -> None:
    from_file = read(tmp_path, b"\xef\xbb\xbf# escape=`\nARG A `\n B\n")
    from_text = parse_dockerfile("\ufeff# escape=`\nARG A `\n B\n", "Dockerfile")
    for result in (from_file, from_text):
        assert result.error is None
        assert summary(result) == [("ARG", 2, ("A", "B"))]


def test_form_feed_does_not_shift_lines(tmp_path: Path) -> None:
    result = read(tmp_path, "RUN echo \f\nARG X\n")
    assert summary(result) == [("RUN", 1, ()), ("ARG", 2, ("X",))]


def test_missing_and_empty_files(tmp_path: Path) -> None:
    missing = read_dockerfile(tmp_path / "nope", "nope")
    assert missing.error is not None and missing.error.location == Location("nope", 0)
    assert read(tmp_path, "") == DockerFile("Dockerfile")
    assert read(tmp_path, "# only a comment\n\n") == DockerFile("Dockerfile")


# --------------------------------------------------------------------------- property

_TOKENS = [*"AERGNVUF =#`\\'\"\t\r\n\ufeffx-<", "ARG ", "ENV ", "RUN ", "<<EOF", "EOF", "# escape="]
_DOCKERISH = st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), _DOCKERISH))
def test_any_text_is_read_without_raising(text: str) -> None:
    result = parse_dockerfile(text, "Dockerfile")
    assert isinstance(result, DockerFile)
    assert result.path == "Dockerfile"
    if result.error is not None:
        assert "internal error" not in result.error.message
    lines = [i.location.line for i in result.instructions]
    assert lines == sorted(set(lines))
    assert all(line >= 1 for line in lines)
    assert all(i.kind.isupper() for i in result.instructions)
