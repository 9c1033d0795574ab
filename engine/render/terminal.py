"""Text that is safe to show on a terminal, whatever the user typed into it.

A pseudonym, a note, a rationale, a reason, an actor, a case reference or a file name can hold control
characters: ESC starts a sequence that can recolour, clear or retitle the terminal, hide text or fake a
prompt; BEL rings, a backspace or a carriage return overwrites what was printed before it; the C1 range
(U+0080-U+009F, e.g. U+009B, a one-character CSI) does the same on many terminals; bidirectional
overrides and isolates reorder what a reader sees. Every text format reviewflow prints (text, Markdown,
Mermaid, DOT, JUnit, GitHub annotations, error messages) passes through `printable`, which shows each
such character as a visible escape (`\\x1b`, `\\x9b`, `\\u202e`); newlines and tabs are layout and are
kept. This is done always, not only when the output is a terminal: a file or a pipe is read on a
terminal later (`less -R`, `cat`, a CI log viewer), and the same input must give the same output.

JSON keeps every value exact: JSON escapes C0 controls itself, and `json_safe` writes the rest as the
equivalent `\\u` escapes, so a program reading the JSON gets back precisely what was recorded.
"""

from __future__ import annotations

import re

# C0 controls except tab (09) and newline (0A), DEL, C1 controls, line/paragraph separators,
# bidirectional embeddings/overrides (202A-202E) and isolates (2066-2069).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The same, but a carriage return before a newline is kept: the line end of formats that require CRLF.
_UNSAFE_KEEPING_CRLF = re.compile(
    "\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The same set less the C0 range, which json.dumps has already escaped.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, crlf: bool = False) -> str:
    """`text` with every control character but newline and tab shown as an escape, e.g. ESC as `\\x1b`.

    With `crlf`, a carriage return that ends a line (CR LF) is kept too: iCalendar and CSV lines end so."""
    return (_UNSAFE_KEEPING_CRLF if crlf else _UNSAFE).sub(_visible, text)


def json_safe(json_text: str) -> str:
    """Serialised JSON with the controls json.dumps leaves raw written as `\\u` escapes (same values).

    Such characters can only occur inside JSON strings, where `\\u009b` means exactly U+009B."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)
