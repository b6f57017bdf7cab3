"""The fast compose reader (readers/_yamlblock) against PyYAML, which it stands in for.

Wherever the fast reader answers, its node tree (kind, tag, value, line, shared nodes) and
the ComposeFile built from it must equal PyYAML's; everywhere else it must say ``Unsure`` so
PyYAML reads the file (and reports its errors). Inputs: every compose file of the examples,
of the ecosystem corpus when present, and generated compose-like YAML, mutated.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_envssot.readers import _yamlblock
from pytest_envssot.readers.compose import parse_compose

ROOT = Path(__file__).resolve().parents[1]
ECOSYSTEM = Path("/work/ecosystem")


def _tree(node: Any, seen: dict[int, int]) -> object:
    """A comparable picture of a node graph; a node met again (an alias) is ``("ref", n)``."""
    if node is None:
        return None
    if id(node) in seen:
        return ("ref", seen[id(node)])
    seen[id(node)] = len(seen)
    head = (node.id, node.tag, node.start_mark.line)
    if node.id == "scalar":
        return (*head, node.value)
    if node.id == "sequence":
        return (*head, [_tree(item, seen) for item in node.value])
    return (*head, [(_tree(k, seen), _tree(v, seen)) for k, v in node.value])


def same_as_pyyaml(text: str) -> bool:
    """True when the fast reader answered (and agreed with PyYAML); False when unsure."""
    try:
        fast = _yamlblock.compose(text)
    except _yamlblock.Unsure:
        return False
    reference = yaml.compose(text, Loader=yaml.SafeLoader)  # an error here fails the test
    assert _tree(fast, {}) == _tree(reference, {}), text
    assert parse_compose(text, "c.yml") == parse_compose(text, "c.yml", pyyaml_only=True), text
    return True


def _compose_files() -> list[Path]:
    roots = [ROOT / "examples", ROOT / "tests"]
    if ECOSYSTEM.is_dir():
        roots.append(ECOSYSTEM)
    found = []
    for root in roots:
        for dirpath, _, names in os.walk(root):
            found += [
                Path(dirpath, n) for n in names if "compose" in n and n.endswith((".yml", ".yaml"))
            ]
    return sorted(found)


def test_real_compose_files_read_as_pyyaml_reads_them() -> None:
    files = _compose_files()
    fast = [f for f in files if same_as_pyyaml(f.read_text(encoding="utf-8-sig"))]
    # The sample's own files must take the fast path: that is what the reader is for.
    assert ROOT / "examples" / "sample_repo" / "docker-compose.yml" in fast
    assert len(fast) >= len(files) // 2, f"only {len(fast)} of {len(files)} on the fast path"


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n",
        "a: |2\n  x\n",  # block scalar with an indentation digit
        "a: |#c\n  x\n",
        "a: !!str 1\n",  # tag
        "a: b\n  c\n",  # multi-line plain scalar
        'a: "b\n  c"\n',  # multi-line quoted scalar
        'a: "b\\\n  c"\n',
        "---\na: 1\n",  # document marker
        "a: 1\n...\n",
        "%YAML 1.1\n---\na: 1\n",
        "a:\n\tb: 1\n",  # tab
        "? a\n: b\n",  # complex key
        "a: &x 1\nb: &x 2\n",  # duplicated anchor
        "a: *x\n",  # undefined alias
        "a: &x\n  b: *x\n",  # alias of the node being read
        "a:\n  b: 1\n c: 2\n",  # odd indentation
        "a: [1,\n  2]\n",  # multi-line flow
        "a: [1, 2,]\n",
        "a: {b}\n",
        "a: 1\r\rb: 2\n",
        "a: b: c\n",
        "a: - b\n",
        'a: "\\q"\n',
        "a: \u0085\n",
    ],
)
def test_yaml_outside_the_subset_is_left_to_pyyaml(text: str) -> None:
    if text == "a: 1\n":
        assert same_as_pyyaml(text)  # the control: plain YAML is read
    else:
        assert not same_as_pyyaml(text)


def test_values_keep_pyyaml_types_and_lines() -> None:
    text = (
        "x: &base\n  A: yes\n  B: 0o7\n  C: 017\n  D: 1_000\n  E: 1:20\n  F: .5\n"
        "  G: 2001-12-14\n  H: ~\n  I:\n  J: 'null'\n  K: \"\\x41\\u00e9\"\n"
        "services:\n  s:\n    environment:\n      <<: *base\n    command: [\"a\", 'b''c', d]\n"
        "    networks: {n: {aliases: [h]}}\n"
    )
    assert same_as_pyyaml(text)
    root = _yamlblock.compose(text)
    assert root is not None
    base = root.value[0][1]
    tags = {k.value: v.tag.rsplit(":", 1)[1] for k, v in base.value}
    assert tags == {
        "A": "bool",
        "B": "str",
        "C": "int",
        "D": "int",
        "E": "int",
        "F": "float",
        "G": "timestamp",
        "H": "null",
        "I": "null",
        "J": "str",
        "K": "str",
    }
    assert base.value[10][1].value == "A\u00e9"
    assert root.value[1][1].value[0][1].value[0][1].value[0][1] is base  # the alias is shared


def test_check_of_the_sample_does_not_import_pyyaml(tmp_path: Path) -> None:
    """The point of the fast reader: a plain compose file costs no PyYAML import."""
    child = (
        "import sys\n"
        "from pytest_envssot.cli import main\n"
        "try:\n"
        f"    main(['check', {str(ROOT / 'examples' / 'sample_repo')!r}, '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('PYYAML=%s' % ('yaml' in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", child],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert '"compose-container-naming' in done.stdout  # the compose rules did run
    assert "PYYAML=False" in done.stderr


# Generated compose-like YAML: block mappings and sequences at random indentation,
# scalars of every implicit type in every style, anchors, aliases, merge keys, flow
# collections, comments; then random edits so the reader meets the edges of its subset.
WORDS = [
    "",
    "~",
    "null",
    "NULL",
    "yes",
    "On",
    "n",
    "0",
    "07",
    "08",
    "0x1F",
    "0b101",
    "-1",
    "+12",
    "1_000",
    "1:20",
    "190:20:30.15",
    "1.5",
    "1e5",
    "1.0e+5",
    ".inf",
    "-.INF",
    ".NaN",
    "-.5",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "<<",
    "=",
    "a b",
    "a  b",
    "a #b",
    "a#b",
    "a: b",
    "a:b",
    "a:",
    "-x",
    "- x",
    "-",
    "?x",
    "? x",
    ":x",
    "[a]",
    "{a}",
    "a,b",
    "&a",
    "*a",
    "!x",
    "|",
    ">",
    "%x",
    "@x",
    "`x",
    "'q'",
    '"q"',
    "http://h:1/p",
    "${X:-y}",
    "CMD-SHELL",
    "pg_isready -U u",
    "\u00e9t\u00e9",
    " lead",
    "trail ",
    "a\\b",
    "--- x",
]
ALPHABET = "ab01-_:#.,[]{}'\"&*!|>%@`?<=~ \u00e9\\/$"
ANCHORS = ["a", "b", "c-1"]


def _scalar(draw: st.DrawFn, flow: bool) -> str:
    raw = draw(
        st.one_of(
            st.sampled_from(WORDS),
            st.text(ALPHABET, min_size=1, max_size=6),
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_.${}:/-]{0,12}", fullmatch=True),
        )
    )
    style = draw(st.sampled_from(["plain", "plain", "plain", "single", "double", "escaped"]))
    if style == "plain":
        return raw
    if style == "single":
        return "'" + raw.replace("'", "''") + "'"
    body = raw.replace("\\", "\\\\").replace('"', '\\"')
    if style == "escaped":
        codes = ["\\n", "\\x41", "\\u00e9", "\\t", "\\/", "\\ ", "\\q", "\\x4", "\\U0001F600"]
        body = draw(st.sampled_from(codes)) + body
    return '"' + body + '"'


def _flow(draw: st.DrawFn, depth: int) -> str:
    if draw(st.booleans()):
        items = [_flow_item(draw, depth) for _ in range(draw(st.integers(0, 3)))]
        return "[" + draw(st.sampled_from([", ", ",", " , "])).join(items) + "]"
    pairs = [
        f"{_scalar(draw, True)}{draw(st.sampled_from([': ', ':', ' : ']))}{_flow_item(draw, depth)}"
        for _ in range(draw(st.integers(0, 2)))
    ]
    return "{" + ", ".join(pairs) + "}"


def _flow_item(draw: st.DrawFn, depth: int) -> str:
    kind = draw(st.sampled_from(["scalar", "scalar", "alias", "flow"]))
    if kind == "alias":
        return "*" + draw(st.sampled_from(ANCHORS))
    if kind == "flow" and depth < 3:
        return _flow(draw, depth + 1)
    return _scalar(draw, True)


def _block_scalar(draw: st.DrawFn, indent: int) -> list[str]:
    header = draw(st.sampled_from(["|", ">", "|-", ">-", "|+", ">+", "| # c", "|2", "|#x", "|x"]))
    step = draw(st.sampled_from([2, 2, 1, 4, 0]))
    body = []
    for _ in range(draw(st.integers(0, 4))):
        extra = draw(st.sampled_from([0, 0, 0, 1, 2, -1]))
        text = draw(st.sampled_from(["echo $A", "# not a comment", "a: b", "", "x  ", "- y"]))
        body.append(" " * max(0, indent + step + extra) + text if text else " " * extra)
    return [" " + header, *body]


def _comment(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", " # note", "  #", "#x"]))


def _value(draw: st.DrawFn, indent: int, depth: int, item: bool) -> list[str]:
    """Text after ``key:`` / ``-`` (first element), then the lines below it."""
    kinds = ["scalar", "scalar", "empty", "alias", "flow", "block"]
    if depth < 4:
        kinds += ["map", "map", "seq", "seq"]
        if item:
            kinds += ["compact"]
    kind = draw(st.sampled_from(kinds))
    anchor = ""
    if kind not in ("alias", "compact") and draw(st.integers(0, 5)) == 0:
        anchor = " &" + draw(st.sampled_from(ANCHORS))
    if kind == "scalar":
        return [f"{anchor} {_scalar(draw, False)}{_comment(draw)}"]
    if kind == "block":
        first, *rest = _block_scalar(draw, indent)
        return [anchor + first, *rest]
    if kind == "empty":
        return [anchor + _comment(draw)]
    if kind == "alias":
        return [" *" + draw(st.sampled_from(ANCHORS)) + _comment(draw)]
    if kind == "flow":
        return [f"{anchor} {_flow(draw, 0)}{_comment(draw)}"]
    if kind == "compact":
        body = _mapping(draw, indent + 2, depth + 1)
        return [" " + body[0].lstrip(" "), *body[1:]]
    step = draw(st.sampled_from([2, 2, 4, 1, 3] + ([0] if kind == "seq" else [])))
    below = _mapping if kind == "map" else _sequence
    return [anchor + _comment(draw), *below(draw, indent + step, depth + 1)]


def _mapping(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            key = draw(st.sampled_from(["services", "environment", "image", "<<", "x-a"]))
        else:
            key = _scalar(draw, False)
        colon = draw(st.sampled_from([":", ":", " :", ":  "]))
        first, *rest = _value(draw, indent, depth, False)
        lines += [" " * indent + key + colon + first, *rest]
        if draw(st.integers(0, 6)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", " " * indent + "# c", "#"])))
    return lines


def _sequence(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        first, *rest = _value(draw, indent, depth, True)
        lines += [" " * indent + "-" + first, *rest]
    return lines


@st.composite
def compose_like(draw: st.DrawFn) -> str:
    lines = _mapping(draw, draw(st.sampled_from([0, 0, 0, 2])), 0)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):  # random edits
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        pos = draw(st.integers(0, len(line)))
        edit = draw(st.sampled_from(["insert", "delete", "indent", "dedent", "duplicate"]))
        if edit == "insert":
            ch = draw(st.sampled_from([*"\t\r:-#&*'\"[]{} !|>?,\\", "\n", "\n  ", "\u2028"]))
            lines[at] = line[:pos] + ch + line[pos:]
        elif edit == "delete":
            lines[at] = line[:pos] + line[pos + 1 :]
        elif edit == "indent":
            lines[at] = " " + line
        elif edit == "dedent":
            lines[at] = line[1:] if line.startswith(" ") else line
        else:
            lines.insert(at, line)
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from([newline, "", newline * 2]))


@settings(
    max_examples=600,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(compose_like())
def test_generated_compose_yaml_reads_as_pyyaml_reads_it(text: str) -> None:
    same_as_pyyaml(text)


# Valid YAML in PyYAML's own style: what ``yaml.safe_dump`` writes for compose-like data,
# in block style and with one-line flow collections, with its quoting decisions.
_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.sampled_from(WORDS),
    st.text(ALPHABET + "\t\n", max_size=8),
)
_data = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(ALPHABET, max_size=5)), inner),
    ),
    max_leaves=12,
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(_data, st.sampled_from([False, None]), st.sampled_from([1, 2, 4]), st.booleans())
def test_pyyaml_dumped_data_reads_as_pyyaml_reads_it(
    data: object, flow: bool | None, indent: int, unicode: bool
) -> None:
    text = yaml.safe_dump(
        {"services": data}, default_flow_style=flow, indent=indent, allow_unicode=unicode
    )
    same_as_pyyaml(text)
