"""The .env.example reader: bindings as python-dotenv sees them, plus comments and markers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_envssot.model import ExampleEntry, ExampleFile, Location
from pytest_envssot.readers.example import parse_example, read_example

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample_repo" / ".env.example"

# (key, line, vault, comment) for every entry of the sample, in file order.
SAMPLE_ENTRIES = [
    ("DATABASE_URL", 9, True, "[VAULT] PostgreSQL connection string"),
    ("REDIS_URL", 12, True, "[VAULT] Redis connection (prod/staging only; leave empty locally)"),
    ("POSTGRES_USER", 17, True, "[VAULT] Database superuser"),
    ("POSTGRES_PASSWORD", 19, True, "[VAULT] Database superuser password (local only)"),
    ("POSTGRES_DB", 21, True, "[VAULT] Database name"),
    ("S3_ENDPOINT", 26, True, "[VAULT] MinIO/S3 endpoint"),
    ("S3_ACCESS_KEY", 28, True, "[VAULT] S3 access key"),
    ("S3_SECRET_KEY", 30, True, "[VAULT] S3 secret key"),
    ("S3_BUCKET", 32, True, "[VAULT] Bucket name"),
    (
        "OPENROUTER_API_KEY",
        37,
        True,
        "[VAULT] OpenRouter API key (can be empty to disable AI features)",
    ),
    ("PRIMARY_MODEL", 39, False, "Primary OpenRouter model"),
    ("FALLBACK_MODELS", 41, False, "Comma-separated fallback models"),
    ("OPENROUTER_DAILY_LIMIT_USD", 43, False, "Daily OpenRouter spend limit in USD"),
    (
        "SECRET_KEY",
        48,
        True,
        '[VAULT] JWT signing key: python3 -c "import secrets; print(secrets.token_urlsafe(64))"',
    ),
    ("JWT_ALGORITHM", 50, False, "JWT signing algorithm"),
    ("ACCESS_TOKEN_EXPIRE_MINUTES", 52, False, "Token lifetime in minutes (24 hours)"),
    ("CORS_ORIGINS", 54, True, "[VAULT] Allowed origins (JSON list)"),
    ("DEBUG", 59, False, "Never true in prod"),
    ("BASE_CURRENCY", 61, False, "Base accounting currency"),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        66,
        True,
        "[VAULT] OTLP collector endpoint; empty disables tracing",
    ),
    ("OTEL_SERVICE_NAME", 68, True, "[VAULT] Service name reported to the collector"),
    ("OTEL_RESOURCE_ATTRIBUTES", 70, True, "[VAULT] Extra resource attributes, key=value pairs"),
    ("NEXT_PUBLIC_API_URL", 75, False, "Backend API base URL for the browser"),
    (
        "NEXT_PUBLIC_APP_URL",
        77,
        False,
        "Public URL of the web app (also read by the backend for links)",
    ),
]


def write(tmp_path: Path, content: str | bytes, name: str = ".env.example") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))  # write_text would translate newlines
    else:
        path.write_bytes(content)
    return path


def read(tmp_path: Path, content: str | bytes) -> ExampleFile:
    return read_example(write(tmp_path, content), ".env.example")


def only(result: ExampleFile) -> ExampleEntry:
    assert result.error is None
    assert len(result.entries) == 1
    return result.entries[0]


# --------------------------------------------------------------------------- the sample


def test_sample_every_key_line_vault_and_comment() -> None:
    result = read_example(SAMPLE, ".env.example")
    assert result.error is None
    assert result.path == ".env.example"
    got = [(e.key, e.location.line, e.vault, e.comment) for e in result.entries]
    assert got == SAMPLE_ENTRIES
    assert all(e.location == Location(".env.example", e.location.line) for e in result.entries)
    assert not any(e.commented_out or e.exported for e in result.entries)


def test_sample_values_and_raw_come_from_dotenv() -> None:
    from dotenv import dotenv_values

    result = read_example(SAMPLE, ".env.example")
    by_key = {e.key: e for e in result.entries}
    assert {k: e.value for k, e in by_key.items()} == dotenv_values(SAMPLE)
    assert by_key["REDIS_URL"].value == ""
    assert by_key["CORS_ORIGINS"].raw == 'CORS_ORIGINS=["http://localhost:3000"]'


def test_sample_header_does_not_attach_to_first_entry() -> None:
    first = read_example(SAMPLE, ".env.example").entries[0]
    assert "Copy to .env" not in first.comment
    assert "Database and cache" not in first.comment


# --------------------------------------------------------------------------- values and quoting


@pytest.mark.parametrize(
    ("line", "value", "comment"),
    [
        ("KEY=plain", "plain", ""),
        ("KEY=plain # note", "plain", "note"),
        ("KEY=a#b", "a#b", ""),  # no blank before '#': part of the value
        ("KEY=a #b #c", "a", "b #c"),
        ("KEY=", "", ""),
        # python-dotenv 1.2.2 keeps '# note' as the value, 1.2.4 reads it as a comment: follow it.
        ("KEY= # note", "<dotenv>", "<dotenv>"),
        ("KEY='single # not a comment'", "single # not a comment", ""),
        ("KEY='single' # note", "single", "note"),
        ('KEY="double # not a comment"', "double # not a comment", ""),
        ('KEY="double"# note', "double", "note"),
        ('KEY="esc \\"q\\" \\n"  # note', 'esc "q" \n', "note"),
        ("KEY='it\\'s'", "it's", ""),
        ('KEY="{\\"a\\": 1}"', '{"a": 1}', ""),
        ("KEY=value with blanks", "value with blanks", ""),
        ("KEY = spaced", "spaced", ""),
        ("'KEY'=quoted key", "quoted key", ""),
    ],
)
def test_quoting_matches_dotenv(tmp_path: Path, line: str, value: str, comment: str) -> None:
    from dotenv import dotenv_values

    path = write(tmp_path, line + "\n")
    entry = only(read_example(path, ".env.example"))
    if value == "<dotenv>":
        value = dotenv_values(path)["KEY"] or ""
        comment = "" if value else "note"
    assert (entry.key, entry.value, entry.comment) == ("KEY", value, comment)
    assert dotenv_values(path) == {"KEY": value}
    assert entry.raw == line


@pytest.mark.parametrize(("line", "comment"), [("KEY", ""), ("KEY # why", "why")])
def test_key_without_equals_has_no_value(tmp_path: Path, line: str, comment: str) -> None:
    entry = only(read(tmp_path, line + "\n"))
    assert (entry.key, entry.value, entry.comment) == ("KEY", None, comment)


PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"


@pytest.mark.parametrize(
    ("wrapped", "line"),
    [
        (f"PRIVATE_KEY=-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n", 2),  # a PEM body line
        ("SIGNING_KEY=c2VjcmV0LXNpZ25pbmcta2V5LWZvci1\nQz7Lx2Vb9Tn3Hs6Jd1Fg5Rw0Yc\n", 2),  # base64
        (f"{PEM_BODY}==\n", 1),  # base64 padding reads as `KEY==`: a name of high entropy
        ("TOKEN=abc\nsk-proj-T3BlbkFJq8Zr2Lx9Vw4Ny7Mb1Kc6Hd0Gf5Js3\n", 2),  # a token shape
        ("A=1\nMy Secret Words\n", 2),  # blanks: dotenv cannot read it either
        ("A=1\nhunter2Hunter\n", 2),  # one case per name: mixed case is no bare name
        ("A=1\np@ss/w0rd+x\n", 2),
    ],
)
def test_a_wrapped_secret_line_is_a_parse_problem_shown_nowhere(
    tmp_path: Path, wrapped: str, line: int
) -> None:
    """Issue 14 B2: a line with no '=' that is no variable name is a layer-parses problem of
    that line; its text is no key, and no message quotes it."""
    result = read(tmp_path, f"# [VAULT] a key\n{wrapped}NEXT=1\n")
    assert result.error is not None and result.error.location.line == line + 1
    bad = wrapped.splitlines()[line - 1]
    keys = [e.key for e in result.entries]
    assert not [k for k in keys if k in bad or (bad.startswith(k) and len(k) > 8)], keys
    for piece in (bad, bad[:12], bad[-12:]):
        assert piece not in result.error.message


@pytest.mark.parametrize(
    "text",
    ["DEBUG\n", "debug_mode\n", "FEATURE_X # on when set\n", "my.dotted.key=1\n", "KEBAB-KEY=1\n"],
)
def test_names_without_values_are_still_variables(tmp_path: Path, text: str) -> None:
    result = read(tmp_path, text)
    assert result.error is None and len(result.entries) == 1


def test_multiline_quoted_value_keeps_following_line_numbers(tmp_path: Path) -> None:
    result = read(tmp_path, 'CERT="line one\nline two" # pem\nNEXT=1\n')
    assert result.error is None
    cert, nxt = result.entries
    assert (cert.value, cert.comment, cert.location.line) == ("line one\nline two", "pem", 1)
    assert (nxt.key, nxt.location.line) == ("NEXT", 3)


# --------------------------------------------------------------------------- export


def test_export(tmp_path: Path) -> None:
    result = read(tmp_path, "export A=1\nexport  B='two'  # b\nexportC=3\nexport D\n")
    assert result.error is None
    got = [(e.key, e.value, e.exported, e.comment) for e in result.entries]
    assert got == [
        ("A", "1", True, ""),
        ("B", "two", True, "b"),
        ("exportC", "3", False, ""),
        ("D", None, True, ""),
    ]


# --------------------------------------------------------------------------- broken lines


def test_unterminated_quote_reports_its_line(tmp_path: Path) -> None:
    result = read(tmp_path, '# doc\nGOOD=1\n\nKEY="unterminated\nOTHER=2\n')
    assert result.error is not None
    assert result.error.location == Location(".env.example", 4)
    assert "not closed" in result.error.message
    assert "unterminated" not in result.error.message  # the value is never quoted
    assert [e.key for e in result.entries][:1] == ["GOOD"]


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("=value\n", 1, "missing variable name"),
        ("A=1\nTWO WORDS=x\n", 2, "cannot contain blanks"),
        ('A=1\n\n\nB="secret" trailing\n', 4, "after the closing quote"),
    ],
)
def test_broken_lines(tmp_path: Path, text: str, line: int, hint: str) -> None:
    result = read(tmp_path, text)
    assert result.error is not None
    assert result.error.location.line == line
    assert hint in result.error.message
    assert "secret" not in result.error.message
    assert "value" not in result.error.message.replace("KEY=value", "")


def test_several_broken_lines_are_all_named(tmp_path: Path) -> None:
    result = read(tmp_path, "=a\nOK=1\n=b\n=c\n")
    assert result.error is not None
    assert result.error.location.line == 1
    assert result.error.message.endswith("(also lines 3, 4)")
    assert [e.key for e in result.entries] == ["OK"]


def test_missing_file_and_utf16(tmp_path: Path) -> None:
    missing = read_example(tmp_path / "nope", "nope")
    assert missing.error is not None and missing.error.location == Location("nope", 0)
    utf16 = read(tmp_path, "A=1\n".encode("utf-16"))
    assert utf16.error is not None and "UTF-16" in utf16.error.message


# --------------------------------------------------------------------------- comments


def test_comment_block_and_inline_comment_are_joined(tmp_path: Path) -> None:
    text = "# Header of the file.\n\n# first line\n#second line\nKEY=1  # inline\n"
    entry = only(read(tmp_path, text))
    assert entry.comment == "first line\nsecond line\ninline"
    assert entry.location.line == 5


def test_blank_line_detaches_comment(tmp_path: Path) -> None:
    entry = only(read(tmp_path, "# about something else\n\nKEY=1\n"))
    assert entry.comment == ""


def test_comment_belongs_to_the_next_entry_only(tmp_path: Path) -> None:
    result = read(tmp_path, "# for A\nA=1\nB=2\n")
    assert [(e.key, e.comment) for e in result.entries] == [("A", "for A"), ("B", "")]


def test_broken_line_breaks_a_comment_block(tmp_path: Path) -> None:
    result = read(tmp_path, "# for nothing\n=x\nA=1\n")
    assert [(e.key, e.comment) for e in result.entries] == [("A", "")]


@pytest.mark.parametrize(
    ("text", "vault"),
    [
        ("# [VAULT] managed\nK=1\n", True),
        ("# managed [VAULT]\n# more\nK=1\n", True),
        ("K=1 # [VAULT]\n", True),
        ("# [vault] lowercase\nK=1\n", False),
        ("# VAULT without brackets\nK=1\n", False),
        ("# [VAULT] detached\n\nK=1\n", False),
        ("K='[VAULT]'\n", False),  # inside the value, not a comment
    ],
)
def test_vault_marker(tmp_path: Path, text: str, vault: bool) -> None:
    assert only(read(tmp_path, text)).vault is vault


# --------------------------------------------------------------------------- commented-out bindings


@pytest.mark.parametrize(
    ("line", "key", "exported", "comment"),
    [
        ("# KEY=value", "KEY", False, ""),
        ("#KEY=value", "KEY", False, ""),
        ("# export KEY=value", "KEY", True, ""),
        ("# KEY=", "KEY", False, ""),
        ("# KEY='two words'", "KEY", False, ""),
        ("# KEY=value  # why", "KEY", False, "why"),
        ("  # _PRIVATE_2=x", "_PRIVATE_2", False, ""),
    ],
)
def test_commented_out_binding(
    tmp_path: Path, line: str, key: str, exported: bool, comment: str
) -> None:
    entry = only(read(tmp_path, "# [VAULT] optional\n" + line + "\n"))
    assert (entry.key, entry.commented_out, entry.exported) == (key, True, exported)
    assert entry.value is None
    assert entry.raw == line
    assert entry.location.line == 2
    assert entry.vault
    assert entry.comment == "\n".join(c for c in ["[VAULT] optional", comment] if c)


@pytest.mark.parametrize(
    "line",
    [
        "# Copy to .env for local development.",
        "# Note: X=Y is fine",
        "# X=Y is fine",  # prose: an unquoted value with blanks
        "# key=value pairs",
        "# Key=value",
        "# KEY",
        "# KEY = value",
        "## KEY=value",
        "# --- Section ---",
        "# [VAULT] Extra resource attributes, key=value pairs",
        '# KEY="unterminated',
        "# 1KEY=value",
    ],
)
def test_prose_comment_is_not_an_entry(tmp_path: Path, line: str) -> None:
    result = read(tmp_path, line + "\nREAL=1\n")
    assert result.error is None
    assert [(e.key, e.commented_out) for e in result.entries] == [("REAL", False)]
    assert result.entries[0].comment == line.lstrip(" #")


def test_commented_out_and_real_entry_are_both_kept(tmp_path: Path) -> None:
    result = read(tmp_path, "# Log level\n# LOG_LEVEL=debug\nLOG_LEVEL=info\n")
    got = [(e.key, e.commented_out, e.value, e.comment) for e in result.entries]
    assert got == [("LOG_LEVEL", True, None, "Log level"), ("LOG_LEVEL", False, "info", "")]


# --------------------------------------------------------------------------- duplicates, CRLF, BOM


def test_duplicate_keys_are_both_kept(tmp_path: Path) -> None:
    result = read(tmp_path, "A=1\n# again\nA=2\n")
    got = [(e.key, e.value, e.location.line, e.comment) for e in result.entries]
    assert got == [("A", "1", 1, ""), ("A", "2", 3, "again")]


def test_crlf_line_endings_read_like_lf(tmp_path: Path) -> None:
    lf = SAMPLE.read_text(encoding="utf-8")
    crlf = read(tmp_path, lf.replace("\n", "\r\n"))
    assert crlf.error is None
    assert crlf == read_example(SAMPLE, ".env.example")
    assert not any("\r" in e.raw or "\r" in e.comment for e in crlf.entries)


def test_crlf_quoted_and_commented_out(tmp_path: Path) -> None:
    result = read(tmp_path, '# doc\r\nA="x" # c\r\n\r\n# B=2\r\n')
    got = [(e.key, e.value, e.comment, e.location.line, e.raw) for e in result.entries]
    assert got == [("A", "x", "doc\nc", 2, 'A="x" # c'), ("B", None, "", 4, "# B=2")]


def test_bom_is_not_part_of_the_first_key(tmp_path: Path) -> None:
    from_file = read(tmp_path, b"\xef\xbb\xbfFIRST=1\nSECOND=2\n")
    from_text = parse_example("\ufeffFIRST=1\nSECOND=2\n", ".env.example")
    for result in (from_file, from_text):
        assert result.error is None
        assert [(e.key, e.location.line) for e in result.entries] == [("FIRST", 1), ("SECOND", 2)]


def test_empty_and_comment_only_files(tmp_path: Path) -> None:
    assert read(tmp_path, "") == ExampleFile(".env.example")
    assert read(tmp_path, "# nothing here\n\n   \n") == ExampleFile(".env.example")


# --------------------------------------------------------------------------- property


_TOKENS = [*"AB_=#'\"\\ \t\r\n\ufeffx", "export ", "[VAULT]", "<<"]
_ENVISH = st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), _ENVISH))
def test_any_text_is_read_without_raising(text: str) -> None:
    result = parse_example(text, "x.env")
    assert isinstance(result, ExampleFile)
    assert result.path == "x.env"
    if result.error is not None:
        assert "internal error" not in result.error.message
        assert result.error.location.line >= 1
    for entry in result.entries:
        assert entry.location.line >= 1
        assert entry.vault == ("[VAULT]" in entry.comment)
