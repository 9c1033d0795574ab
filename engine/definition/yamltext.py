"""Checks on a definition's raw text, made before the YAML parser sees it: size, encoding, characters,
bracket depth and tab indentation. Each problem here is one the parser would report badly (at the
wrong place, or in its own words) or not survive (a deep bracket nesting exhausts the C composer's
stack), so it is found in the text first, at its exact position."""

from __future__ import annotations

import re

from reviewflow.engine.definition.yamlcodes import MAX_BYTES, MAX_DEPTH, Y105, Y106, Y110, Y117, Y118
from reviewflow.engine.errors import Diagnostic, Location

_DEEP_INDENT = 32  # a line indented this far may start nesting deeper than MAX_DEPTH: count it exactly

# Characters the YAML reader rejects; found up front so the position is exact with either loader.
# Written as the complement's few small ranges: the same set as [^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd
# \U00010000-\U0010ffff], which took 20 ms to compile in every process that loads a definition.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def _offset_location(file: str, text: str, offset: int) -> Location:
    before = text[:offset]
    line = before.count("\n") + 1
    return Location(file, line, offset - (before.rfind("\n") + 1) + 1)


def decode(text: str | bytes, file: str) -> str | Diagnostic:
    """The text to parse (size-checked, UTF-8, without a BOM), or the one problem that stops it."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        return Y110.diagnostic(
            f"the file is {size:,} bytes; definitions may be at most {MAX_BYTES:,} bytes (1 MiB)",
            Location(file, 1, 1), "split it, or check that this is really a process definition")
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return _not_utf8(raw, exc, file)
    return text.removeprefix("\ufeff")  # a BOM is fine; dropping it keeps line-1 columns right


def before_parsing(text: str, file: str) -> list[Diagnostic]:
    """Problems found in the raw text that the parser would report badly or not survive."""
    bad = [Y117.diagnostic(f"unprintable character U+{ord(m.group()):04X} is not allowed",
                           _offset_location(file, text, m.start()),
                           "delete it; it was probably pasted in from another program")
           for m in _BAD_CHAR.finditer(text)]
    if bad:
        return bad
    too_deep = _flow_depth_location(text, file)
    if too_deep is not None:
        return [Y118.diagnostic(f"values are nested more than {MAX_DEPTH} levels deep", too_deep,
                                "a definition needs only a few levels; check the brackets")]
    return []


def deeply_indented(text: str) -> bool:
    """Whether some line starts far enough right (spaces and `- `) to begin nesting past MAX_DEPTH."""
    return any(len(line) - len(line.lstrip(" -")) >= _DEEP_INDENT for line in text.split("\n"))


def _not_utf8(raw: bytes, exc: UnicodeDecodeError, file: str) -> Diagnostic:
    start = exc.start
    line = raw.count(b"\n", 0, start) + 1
    line_start = raw.rfind(b"\n", 0, start) + 1
    col = len(raw[line_start:start].decode("utf-8", "replace")) + 1
    return Y106.diagnostic(f"byte 0x{raw[start]:02X} at offset {start} is not valid UTF-8",
                           Location(file, line, col),
                           "save the file as UTF-8 (most editors: 'Save with encoding' → UTF-8)")


def tab_indents(text: str, file: str) -> list[Diagnostic]:
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            found.append(Y105.diagnostic("a tab is used for indentation; YAML allows only spaces",
                                         Location(file, number, indent.index("\t") + 1),
                                         "replace the tab with spaces (set your editor to insert spaces)"))
    return found


def _flow_depth_location(text: str, file: str) -> Location | None:
    """Deep [ / { nesting would exhaust the (C) composer's stack; refuse it before parsing.
    Brackets inside quoted strings are counted too: a false alarm needs > 64 unclosed ones."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    for bracket in _BRACKETS.finditer(text):  # only the brackets, not every character (a hot path)
        if bracket.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _offset_location(file, text, bracket.start())
        else:
            depth = max(0, depth - 1)
    return None


_BRACKETS = re.compile(r"[\[\]{}]")
