"""template-roundtrip verdicts settled by construction, with no search.

A search can only fail a variable whose value changes between Vault and the app. For the
line every template of the contract uses, ``NAME={{ with .Data.data.KEY }}{{ printf "%q" . }}
{{ else }}...{{ end }}`` read back by pydantic-settings, what comes back can be told exactly:

* Go's ``%q`` writes each character as itself, as ``\\"`` / ``\\\\``, as one of the escapes
  ``\\a \\b \\f \\n \\r \\t \\v``, or (not printable for Go) as ``\\xNN`` / ``\\uNNNN``;
* python-dotenv reads the double-quoted value up to the first unescaped ``"`` (every
  backslash of Go's output starts a two-character escape, so that is the closing quote) and
  decodes exactly ``\\\\ \\' \\" \\a \\b \\f \\n \\r \\t \\v``, leaving ``\\x``/``\\u`` as text;
* then it expands ``${...}``: values holding that are the consumer-level item's business,
  never a variable's breaking value.

So a value made only of Go-printable characters and those seven control characters comes back
as the very same text, which validates to the very same value: no value of such an alphabet
can break the line, and the search would find none. When every character the field's strategy
can draw (:func:`~pytest_envssot.pysettings.alphabets.drawn_alphabet`) is such a character, the
verdict is a pass without hypothesis. Anything else (another consumer, another line, an
alphabet holding control or non-printable characters, one that cannot be told) is searched.
The real render and read-back are run on the alphabet too, so a model that drifted from this
reasoning makes the rule search rather than pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pytest_envssot.model import TemplateVar
from pytest_envssot.pysettings.alphabets import drawn_alphabet
from pytest_envssot.quoting import go_is_print

_DECODED_ESCAPES = frozenset("\a\b\f\n\r\t\v")  # written by %q, decoded by python-dotenv


def settled_pass(
    var: TemplateVar,
    consumer: str,
    annotation: Any,
    domain: str | None,
    read_back: Callable[[str], str | None],
    consumer_wide: Callable[[str], bool],
) -> bool:
    """True when no value the search may draw can break ``var``'s line (see the module)."""
    if consumer != "pydantic-settings" or not _quoted_line(var):
        return False
    alphabet = drawn_alphabet(annotation, domain)
    if alphabet is None or altered("".join(alphabet)):
        return False
    ordered = "".join(sorted(alphabet))
    probes = (ordered, ordered[::-1], "".join(c + c for c in ordered))
    return all(read_back(p) == p for p in probes if p and not consumer_wide(p))


def altered(value: str) -> bool:
    """Whether a settled line (see :func:`settled_pass`) can change ``value`` at all."""
    return not all(_intact(c) for c in value)


def _intact(char: str) -> bool:
    code = ord(char)
    return char in _DECODED_ESCAPES or (not 0xD800 <= code <= 0xDFFF and go_is_print(code))


def _quoted_line(var: TemplateVar) -> bool:
    """The line's value part renders the Vault value through ``printf "%q"`` and nothing else."""
    found = _form().fullmatch(var.value_source)
    return found is not None and var.vault_keys[:1] == (
        found["key"] or found["ref"] or found["ref2"],
    )


_QUOTE = r'printf\s+"%q"'
_LEFT, _RIGHT = r"\{\{-?\s*", r"\s*-?\}\}"


# {{ with .Data.data.KEY }}{{ printf "%q" . }}[{{ else }}text]{{ end }}, or the value piped
# straight into printf "%q"; KEY is a whole identifier (a space, `}}` or `|` follows it).
@lru_cache(maxsize=1)
def _form() -> re.Pattern[str]:  # compiled when a line is first judged, not at import
    return re.compile(
        rf"{_LEFT}with\s+\.Data\.data\.(?P<key>\w+){_RIGHT}"
        rf"{_LEFT}(?:{_QUOTE}\s+\.|\.\s*\|\s*{_QUOTE}){_RIGHT}"
        rf"(?:{_LEFT}else{_RIGHT}[^{{]*)?{_LEFT}end{_RIGHT}"
        rf"|{_LEFT}(?:{_QUOTE}\s+\.Data\.data\.(?P<ref>\w+)|\.Data\.data\.(?P<ref2>\w+)\s*\|\s*{_QUOTE}){_RIGHT}"
    )
