"""Strict YAML loading with source positions: the only module that imports `yaml`.

The node tree is composed once (libyaml's CSafeLoader when present, else the pure SafeLoader) and
walked by our own constructor, so nothing is ever instantiated from a tag and every value keeps the
line:col its node started at. YAML 1.1 surprises a business-unit author would not expect (`no`
meaning false, `2024-01-02` becoming a date, `12:30` becoming 750, duplicate keys silently
overwriting) are reported as Y1xx diagnostics instead of being resolved silently.

Policy decisions (documented in docs/language.md):
- Keys are always strings. A plain key spelled like a YAML 1.1 boolean (`on`, `yes`, `y`) is read
  as that text, because `on:` is a key of the language; numbers, null, true/false or dates as keys
  are errors.
- Numbers must be written plainly (`12`, `-3`, `0.5`): octal-looking (`010`), hex, binary,
  underscores, sexagesimal (`12:30`) and `.inf`/`.nan` are errors (Y114), because YAML 1.1 and
  1.2 read them differently. A flagged scalar is kept as its source text so later stages still
  see a value, but the caller must not proceed when any error was returned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from reviewflow.engine.errors import CodeInfo, Diagnostic, Location, Severity
from reviewflow.engine.limits import MAX_DIGITS, MAX_FILE_BYTES, digit_count, read_regular_file

MAX_BYTES = MAX_FILE_BYTES  # definitions are a few hundred lines; anything this big is a mistake
MAX_ALIASES = 100  # billion-laughs guard: aliases (*name) written in one file
MAX_VALUES = 100_000  # expansion guard: values (keys included) once aliases are expanded
MAX_DEPTH = 64  # nesting guard (the language needs about 8 levels)
_DEEP_INDENT = 32  # a line indented this far may start nesting deeper than MAX_DEPTH: count it exactly

_E = Severity.ERROR
Y101 = CodeInfo("Y101", "duplicate-key", _E, "a key is written twice in one mapping")
Y102 = CodeInfo("Y102", "yaml11-boolean", _E, "yes/no/on/off/y/n used as a value; write true or false")
Y103 = CodeInfo("Y103", "unquoted-date", _E, "an unquoted date or timestamp; dates are quoted strings")
Y104 = CodeInfo("Y104", "unknown-tag", _E, "a YAML tag (!x, !!python/...) is used; tags are not allowed")
Y105 = CodeInfo("Y105", "tab-indentation", _E, "a tab is used for indentation")
Y106 = CodeInfo("Y106", "not-utf8", _E, "the file is not valid UTF-8")
Y107 = CodeInfo("Y107", "empty-file", _E, "the file holds no definition")
Y108 = CodeInfo("Y108", "root-not-mapping", _E, "the top level is not a mapping of keys")
Y109 = CodeInfo("Y109", "too-many-aliases", _E, "too many aliases, a recursive alias, or too large an expansion")
Y110 = CodeInfo("Y110", "file-too-large", _E, "the file is larger than 1 MiB")
Y111 = CodeInfo("Y111", "syntax-error", _E, "the YAML cannot be parsed")
Y112 = CodeInfo("Y112", "merge-key", _E, "a merge key `<<` is used; write the keys out")
Y113 = CodeInfo("Y113", "non-string-key", _E, "a key is a number, null, boolean, list or mapping")
Y114 = CodeInfo("Y114", "ambiguous-number", _E, "a number written in a form YAML versions read differently")
Y115 = CodeInfo("Y115", "unquoted-version", _E, "`version` written as a number; quote it")
Y116 = CodeInfo("Y116", "multiple-documents", _E, "more than one YAML document (---) in one file")
Y117 = CodeInfo("Y117", "bad-character", _E, "a control or otherwise unprintable character")
Y118 = CodeInfo("Y118", "too-deep", _E, "values nested more deeply than 64 levels")
Y119 = CodeInfo("Y119", "unreadable-file", _E, "the file cannot be read, or is not a regular file")
Y120 = CodeInfo("Y120", "number-too-large", _E, f"a number with more than {MAX_DIGITS} digits, or too large "
                "to be a number at all")

CODES: tuple[CodeInfo, ...] = (Y101, Y102, Y103, Y104, Y105, Y106, Y107, Y108, Y109, Y110,
                               Y111, Y112, Y113, Y114, Y115, Y116, Y117, Y118, Y119, Y120)

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _TIMESTAMP, _MERGE, _VALUE = (_TAG + t for t in ("map", "seq", "timestamp", "merge", "value"))
_YAML11_BOOL_WORDS = frozenset(
    w for base in ("yes", "no", "on", "off", "y", "n") for w in (base, base.capitalize(), base.upper()))
_TRUE_FALSE = {"true": True, "false": False}
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_PLAIN_FLOAT = re.compile(r"[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\Z")
# Characters the YAML reader rejects; found up front so the position is exact with either loader.
# Written as the complement's few small ranges: the same set as [^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd
# \U00010000-\U0010ffff], which took 20 ms to compile in every process that loads a definition.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_QUOTE_HINT = 'quote it if you meant the text, e.g. "{text}"'


_CONSTRUCT = yaml.constructor.SafeConstructor()


def _loader_class(pure_python: bool) -> type[Any]:
    if not pure_python and getattr(yaml, "__with_libyaml__", False):
        return yaml.CSafeLoader
    return yaml.SafeLoader


@dataclass(frozen=True)
class Document:
    """A loaded YAML file: plain data plus where each value (and each mapping key) was written."""

    file: str
    text: str
    data: Any
    _values: dict[tuple[str | int, ...], Location] = field(default_factory=dict, repr=False, compare=False)
    _keys: dict[tuple[str | int, ...], Location] = field(default_factory=dict, repr=False, compare=False)

    def location(self, pointer: Sequence[str | int]) -> Location:
        """Where the value at `pointer` starts; for a missing path, its nearest existing ancestor."""
        path = tuple(pointer)
        while path:
            found = self._values.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self._values.get((), Location(self.file, 1, 1))

    def key_location(self, pointer: Sequence[str | int]) -> Location:
        """Where the key of the last mapping entry in `pointer` is written; else `location()`."""
        found = self._keys.get(tuple(pointer))
        return found if found is not None else self.location(pointer)


class _Abort(Exception):
    """Stop walking: a guard tripped and its diagnostic is already recorded."""


def _mark(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def _offset_location(file: str, text: str, offset: int) -> Location:
    before = text[:offset]
    line = before.count("\n") + 1
    return Location(file, line, offset - (before.rfind("\n") + 1) + 1)


def load_yaml_file(path: str | Path, display_name: str | None = None, *,
                   pure_python: bool = False) -> tuple[Document | None, list[Diagnostic]]:
    """Read and load one definition file; `display_name` is what diagnostics call it."""
    name = display_name or str(path)
    try:
        raw = read_regular_file(path, MAX_BYTES)  # a named pipe or a device is refused, never read
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return None, [Y119.diagnostic(f"cannot read the file: {reason}", Location(name),
                                      "give the path of a readable YAML file (a regular file, not a pipe or "
                                      "a device)")]
    return load_yaml_text(raw, name, pure_python=pure_python)


def load_yaml_text(text: str | bytes, file: str, *,
                   pure_python: bool = False) -> tuple[Document | None, list[Diagnostic]]:
    """Load YAML strictly. Returns the Document when a mapping could be built (even if some
    values were flagged: callers stop on any error) and every problem found, in file order."""
    decoded = _decode(text, file)
    if isinstance(decoded, Diagnostic):
        return None, [decoded]
    problems = _before_parsing(decoded, file)
    if problems:
        return None, problems
    tabs = _tab_indents(decoded, file)
    node, problems = _compose(decoded, file, tabs, pure_python)
    if node is None:
        return None, problems
    diags = [d for d in tabs if not _inside_scalar(node, d.location.line)]
    if not isinstance(node, yaml.MappingNode) or node.tag != _MAP:
        found = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        diags.append(Y108.diagnostic(f"the top level of a definition must be keys and values, not {found}",
                                     _mark(file, node.start_mark),
                                     "start the file with `reviewflow: 1` and `id: ...` at the left margin"))
        return None, sorted(diags, key=Diagnostic.sort_key)
    builder = _Builder(file)
    try:
        data = builder.build(node, (), 0)
    except _Abort:
        return None, sorted(diags + builder.diags, key=Diagnostic.sort_key)
    diags.extend(builder.diags)
    document = Document(file, decoded, data, builder.values, builder.keys)
    return document, sorted(diags, key=Diagnostic.sort_key)


def _decode(text: str | bytes, file: str) -> str | Diagnostic:
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


def _before_parsing(text: str, file: str) -> list[Diagnostic]:
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


def _compose(text: str, file: str, tabs: list[Diagnostic],
             pure_python: bool) -> tuple[yaml.Node | None, list[Diagnostic]]:
    """The single document's node graph, or None with the reason (an empty file included)."""
    if "*" in text or _deeply_indented(text):
        bounds = _structure_problems(text, file, pure_python)
        if bounds:
            return None, bounds
    loader = _loader_class(pure_python)(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return None, tabs + _syntax_error(exc, file, {d.location.line for d in tabs}, text, pure_python)
    except yaml.YAMLError as exc:  # a ReaderError has no mark; positions were checked above
        return None, tabs + [Y111.diagnostic(f"the YAML cannot be read: {exc}", Location(file, 1, 1))]
    except RecursionError:
        return None, [Y118.diagnostic(f"values are nested more than {MAX_DEPTH} levels deep",
                                      Location(file, 1, 1), "a definition needs only a few levels")]
    finally:
        loader.dispose()
    if node is None:
        return None, [Y107.diagnostic("the file is empty: there is no definition in it", Location(file, 1, 1),
                                      "start with `reviewflow: 1`, `id:` and `title:`; see docs/language.md")]
    return node, []


def _deeply_indented(text: str) -> bool:
    """Whether some line starts far enough right (spaces and `- `) to begin nesting past MAX_DEPTH."""
    return any(len(line) - len(line.lstrip(" -")) >= _DEEP_INDENT for line in text.split("\n"))


def _structure_problems(text: str, file: str, pure_python: bool) -> list[Diagnostic]:
    """Nesting depth and aliases, counted on the parser's events before any node tree is built.

    Events come one at a time (no recursion), each with the mark of where it is written, so the
    problem is reported where it is in the text: the collection that opens level MAX_DEPTH + 1, the
    alias (*name) that is one too many, that names a value it is inside, or whose expansion takes
    the file past MAX_VALUES values. A syntax error is left to the composer, which reports it."""
    loader = _loader_class(pure_python)(text)
    frames: list[list[Any]] = []  # each open collection: [anchor, expanded size, is a mapping, children]
    sizes: dict[str, int] = {}  # anchor -> expanded size of the value it names
    aliases = total = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, size, _, _ = frames.pop()
                if anchor is not None:
                    sizes[anchor] = size
                if frames:
                    frames[-1][1] += size
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            where = _mark(file, event.start_mark)
            is_key = bool(frames) and frames[-1][2] and frames[-1][3] % 2 == 0
            if frames:
                frames[-1][3] += 1
            if len(frames) > MAX_DEPTH and not is_key:  # as the builder counts: values, not keys
                return [Y118.diagnostic(f"values are nested more than {MAX_DEPTH} levels deep", where,
                                        "a definition needs only a few levels; check the indentation and "
                                        "the brackets")]
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if any(frame[0] == event.anchor for frame in frames):
                    return [Y109.diagnostic(f"the alias *{event.anchor} is inside the value it names "
                                            "(endless recursion)", where, "remove the alias and write the value out")]
                if aliases > MAX_ALIASES:
                    return [Y109.diagnostic(f"more than {MAX_ALIASES} aliases (*name) in one file; this is "
                                            f"alias {aliases}", where, "write values out instead of repeating aliases")]
                size = sizes.get(str(event.anchor))
                if size is None:
                    return []  # an undefined alias: a syntax error the composer reports
            else:
                size = 1
                if isinstance(event, yaml.CollectionStartEvent):
                    frames.append([event.anchor, 1, isinstance(event, yaml.MappingStartEvent), 0])
                elif event.anchor is not None:
                    sizes[event.anchor] = 1
            total += size
            if total > MAX_VALUES:
                named = f"; *{event.anchor} alone stands for {size:,}" if isinstance(event, yaml.AliasEvent) else ""
                return [Y109.diagnostic(f"aliases expand the file to more than {MAX_VALUES:,} values{named}",
                                        where, "write values out instead of nesting aliases")]
            if not isinstance(event, yaml.CollectionStartEvent) and frames:
                frames[-1][1] += size
    except yaml.YAMLError:
        return []  # reported by the composer, with its position
    finally:
        loader.dispose()
    return []


def _runaway(exc: yaml.MarkedYAMLError, text: str, pure_python: bool) -> tuple[Any, str] | None:
    """(mark, message) of an unclosed quote or bracket that `exc` is really about, or None.

    YAML reads an unclosed quote on to the next quote in the file, and an unclosed [ or { on to
    wherever the parser gives up: the error it raises points there, often many lines later. The
    place to fix is where the quote or bracket was opened."""
    problem, context = exc.problem_mark, exc.context_mark
    what = exc.context or ""
    if problem is None:
        return None
    if context is not None and "quoted scalar" in what:
        return context, "a quote opened here is never closed"
    if context is not None and "flow" in what and 0 <= problem.index < len(text) \
            and text[problem.index] in "]}" and text[problem.index] != {"[": "]", "{": "}"}.get(text[context.index]):
        kind = "[list]" if text[context.index] == "[" else "{mapping}"
        return context, f"a {kind} opened here is closed with {text[problem.index]}"
    if context is not None and "flow" in what and context.line < problem.line:
        opener = text[context.index] if 0 <= context.index < len(text) else "["
        closer = "]" if opener == "[" else "}"
        line = text.split("\n")[context.line]
        if line.count(opener) > line.count(closer):
            kind = "[list]" if opener == "[" else "{mapping}"
            return context, (f"a {kind} opened here is not closed: YAML read on to line {problem.line + 1} "
                             f"looking for its {closer}")
    quoted = _quoted_scalar_ending_on(problem.line, text, pure_python)
    if quoted is not None:
        return quoted, (f"a quote opened here is not closed on its line: YAML read on to the next quote, "
                        f"on line {problem.line + 1}")
    return None


def _quoted_scalar_ending_on(line: int, text: str, pure_python: bool) -> Any:
    """The start mark of a quoted value that spans lines and ends on 0-based `line`, if one does."""
    loader = _loader_class(pure_python)(text)
    found = None
    try:
        while loader.check_token():
            token = loader.get_token()
            if token.start_mark.line > line:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"') \
                    and token.start_mark.line < token.end_mark.line == line:
                found = token.start_mark
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return found


def _not_utf8(raw: bytes, exc: UnicodeDecodeError, file: str) -> Diagnostic:
    start = exc.start
    line = raw.count(b"\n", 0, start) + 1
    line_start = raw.rfind(b"\n", 0, start) + 1
    col = len(raw[line_start:start].decode("utf-8", "replace")) + 1
    return Y106.diagnostic(f"byte 0x{raw[start]:02X} at offset {start} is not valid UTF-8",
                           Location(file, line, col),
                           "save the file as UTF-8 (most editors: 'Save with encoding' → UTF-8)")


def _tab_indents(text: str, file: str) -> list[Diagnostic]:
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


def _inside_scalar(root: yaml.Node, line: int) -> bool:
    """Whether 1-based `line` continues a multi-line scalar (where a tab is content, not indentation)."""
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.start_mark.line + 1 < line <= node.end_mark.line + 1:
                return True
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return False


_SYNTAX_HINTS = (
    ("mapping values are not allowed", "a value containing ': ' must be quoted; otherwise check this "
                                       "line's indentation"),
    ("expected ':'", "a key needs a colon after it; a long value needs quoting or `|`"),
    ("expected key", "check the indentation: keys of one mapping must line up exactly"),
    ("expected <block end>", "check the indentation: this line is indented differently from its siblings"),
    ("undefined alias", "an alias (*name) needs an anchor (&name) written earlier in the file"),
    ("quoted scalar", "a quote is opened but never closed"),
    ("expected ',' or ']'", "a [list] is not closed, or an item in it needs quoting"),
    ("expected ',' or '}'", "a {mapping} is not closed, or a value in it needs quoting"),
    ("cannot start any token", "this character cannot start a value (`@`, a backtick, `%` or a tab); "
                               "quote the value"),
)


def _syntax_error(exc: yaml.MarkedYAMLError, file: str, tab_lines: set[int], text: str = "",
                  pure_python: bool = False) -> list[Diagnostic]:
    mark = exc.problem_mark or exc.context_mark
    where = _mark(file, mark) if mark is not None else Location(file, 1, 1)
    problem = exc.problem or "invalid YAML"
    both = f"{problem} {exc.context or ''}"
    if "expected a single document" in both:
        return [Y116.diagnostic("the file holds more than one YAML document (a second `---`)", where,
                                "keep one definition per file; remove the extra `---` line")]
    if where.line in tab_lines or "\\t" in problem:
        return []  # the tab diagnostic already explains it, at the tab
    if "maximum nesting depth" in problem:  # libyaml's own limit, beyond ours: say it as ours
        return [Y118.diagnostic(f"values are nested more than {MAX_DEPTH} levels deep", where,
                                "a definition needs only a few levels; check the indentation")]
    runaway = _runaway(exc, text, pure_python) if text else None
    if runaway is not None:
        opened, message = runaway
        hint = ("close it on the same line; a value with a quote inside is written in the other quotes, "
                "e.g. \"it's\"" if "quote" in message else "close it, or put each item on one line")
        return [Y111.diagnostic(f"YAML syntax error: {message}", _mark(file, opened), hint)]
    context = ""
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        context = f" ({exc.context} on line {exc.context_mark.line + 1})"
    hint = next((h for needle, h in _SYNTAX_HINTS if needle in both),
                "check the indentation and quoting on this line and the one above")
    return [Y111.diagnostic(f"YAML syntax error: {problem}{context}", where, hint)]


class _Builder:
    """Walks the composed node tree into plain data, recording positions and hazards."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.diags: list[Diagnostic] = []
        self.values: dict[tuple[str | int, ...], Location] = {}
        self.keys: dict[tuple[str | int, ...], Location] = {}
        self.produced = 0  # a backstop: the event pass (_structure_problems) bounds aliases first
        self.active: set[int] = set()

    def add(self, info: CodeInfo, message: str, node: yaml.Node, hint: str | None = None) -> None:
        self.diags.append(info.diagnostic(message, _mark(self.file, node.start_mark), hint))

    def build(self, node: yaml.Node, path: tuple[str | int, ...], depth: int) -> Any:
        self._guard(node, depth)
        self.values.setdefault(path, _mark(self.file, node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag not in (_MAP, _SEQ):
            self._bad_tag(node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def _guard(self, node: yaml.Node, depth: int) -> None:
        if id(node) in self.active:
            self.add(Y109, "an alias refers to a value that contains it (endless recursion)", node,
                     "remove the alias and write the value out")
            raise _Abort
        self.produced += 1
        if self.produced > MAX_VALUES:
            self.add(Y109, f"the file holds more than {MAX_VALUES:,} values (aliases expanded)", node,
                     "a definition holds a few thousand values; write aliases out, or split the file")
            raise _Abort
        if depth > MAX_DEPTH:
            self.add(Y118, f"values are nested more than {MAX_DEPTH} levels deep", node,
                     "a definition needs only a few levels; check the indentation")
            raise _Abort

    def _mapping(self, node: yaml.MappingNode, path: tuple[str | int, ...], depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key is None:
                continue
            if key in first_line:
                self.add(Y101, f'key "{key}" is written twice in this mapping (first on line {first_line[key]})',
                         key_node, "keep one of them: YAML would silently use only one value")
                continue
            first_line[key] = key_node.start_mark.line + 1
            self.keys[(*path, key)] = _mark(self.file, key_node.start_mark)
            if key == "version" and isinstance(value_node, yaml.ScalarNode) and not value_node.style \
                    and value_node.tag in (_INT, _FLOAT):
                self.add(Y115, f"version {value_node.value} is read as a number, not as the text you wrote",
                         value_node, f'quote it: version: "{value_node.value}"')
                self.values[(*path, key)] = _mark(self.file, value_node.start_mark)
                result[key] = value_node.value
                continue
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def _key(self, node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.add(Y113, "a key must be a name, not a list or mapping", node,
                     "write a plain name before the colon")
            return None
        if node.tag == _MERGE:
            self.add(Y112, "merge keys (<<) are not supported", node,
                     "write the keys out in full; a local definition can use `extends:` instead")
            return None
        if node.tag == _STR or (node.tag == _BOOL and node.value in _YAML11_BOOL_WORDS):
            return str(node.value)  # `on:` is a key of the language: plain words are names
        if node.tag == _TIMESTAMP:
            self.add(Y103, f"key {node.value} is read as a date", node, f'quote it: "{node.value}":')
            return None
        if node.tag in (_INT, _FLOAT, _NULL, _BOOL):
            shown = node.value or "(empty)"
            self.add(Y113, f"key {shown} is not text: keys must be names", node,
                     f'use a name starting with a letter, or quote it: "{node.value}":')
            return None
        self._bad_tag(node)
        return None

    def _bad_tag(self, node: yaml.Node) -> None:
        self.add(Y104, f"the tag {node.tag} is not allowed", node,
                 "tags (!name, !!python/...) are not part of the language; remove the tag")

    def _scalar(self, node: yaml.ScalarNode, path: tuple[str | int, ...]) -> Any:
        text, tag = node.value, node.tag
        quote = _QUOTE_HINT.format(text=text)
        if tag == _STR:
            if not node.style and text in _YAML11_BOOL_WORDS:  # `y`/`n`: only YAML 1.1 tools say bool
                self._yaml11_bool(node, quote)
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            if text.lower() in _TRUE_FALSE:
                return _TRUE_FALSE[text.lower()]
            self._yaml11_bool(node, quote)
            return text
        if tag in (_INT, _FLOAT) and (digit_count(text) > MAX_DIGITS or len(text) > 2 * MAX_DIGITS + 2):
            size = f"{digit_count(text):,} digits" if digit_count(text) > MAX_DIGITS else f"{len(text):,} characters"
            self.add(Y120, f"a number with {size}; numbers here have at most {MAX_DIGITS} digits",
                     node, "write the number you meant (no count, year or id in a definition needs more); "
                     "quote it if it is an id or a code")
            return text
        if tag == _INT and _PLAIN_INT.match(text):
            return int(text)
        if tag == _FLOAT and _PLAIN_FLOAT.match(text):
            value = float(text)
            if value in (float("inf"), float("-inf")):
                self.add(Y120, f"{text} is too large to be a number", node, "write a plain decimal number")
                return text
            return value
        if tag in (_INT, _FLOAT):
            read_as = _CONSTRUCT.construct_object(node)  # safe: only the int/float constructors run here
            self.add(Y114, f"{text} is read as the number {read_as} by YAML 1.1 tools, differently by others",
                     node, f"write a plain decimal number, or {quote}")
            return text
        if tag == _TIMESTAMP:
            self.add(Y103, f"{text} is read as a date object, but dates are written as quoted text", node,
                     f'quote it: "{text}"')
            return text
        if tag in (_MERGE, _VALUE):
            return text
        self._bad_tag(node)
        return text

    def _yaml11_bool(self, node: yaml.ScalarNode, quote: str) -> None:
        self.add(Y102, f"{node.value} means true/false in YAML 1.1 but text in YAML 1.2", node,
                 f"write true or false, or {quote}")
