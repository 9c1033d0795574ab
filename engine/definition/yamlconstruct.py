"""Our own constructor: the composed node tree walked into plain data, keeping where every value and key
was written. Nothing is ever instantiated from a tag. YAML 1.1 surprises a business-unit author would not
expect (`no` meaning false, `2024-01-02` becoming a date, `12:30` becoming 750, duplicate keys silently
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
from typing import Any

import yaml
from reviewflow.engine.definition.yamlcodes import (
    MAX_DEPTH,
    MAX_VALUES,
    Y101,
    Y102,
    Y103,
    Y104,
    Y109,
    Y112,
    Y113,
    Y114,
    Y115,
    Y118,
    Y120,
)
from reviewflow.engine.definition.yamldocument import Position, mark_location
from reviewflow.engine.errors import CodeInfo, Diagnostic
from reviewflow.engine.limits import MAX_DIGITS, digit_count

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _TIMESTAMP, _MERGE, _VALUE = (_TAG + t for t in ("map", "seq", "timestamp", "merge", "value"))
_YAML11_BOOL_WORDS = frozenset(
    w for base in ("yes", "no", "on", "off", "y", "n") for w in (base, base.capitalize(), base.upper()))
_TRUE_FALSE = {"true": True, "false": False}
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_PLAIN_FLOAT = re.compile(r"[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\Z")
_QUOTE_HINT = 'quote it if you meant the text, e.g. "{text}"'

_CONSTRUCT = yaml.constructor.SafeConstructor()


class Abort(Exception):
    """Stop walking: a guard tripped and its diagnostic is already recorded."""


class Builder:
    """Walks the composed node tree into plain data, recording positions and hazards."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.diags: list[Diagnostic] = []
        self.values: dict[tuple[str | int, ...], Position] = {}
        self.keys: dict[tuple[str | int, ...], Position] = {}
        self.produced = 0  # a backstop: the event pass (yamlio._structure_problems) bounds aliases first
        self.active: set[int] = set()

    def add(self, info: CodeInfo, message: str, node: yaml.Node, hint: str | None = None) -> None:
        self.diags.append(info.diagnostic(message, mark_location(self.file, node.start_mark), hint))

    def build(self, node: yaml.Node, path: tuple[str | int, ...], depth: int) -> Any:
        self._guard(node, depth)
        mark = node.start_mark
        self.values.setdefault(path, (mark.line + 1, mark.column + 1))
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
            raise Abort
        self.produced += 1
        if self.produced > MAX_VALUES:
            self.add(Y109, f"the file holds more than {MAX_VALUES:,} values (aliases expanded)", node,
                     "a definition holds a few thousand values; write aliases out, or split the file")
            raise Abort
        if depth > MAX_DEPTH:
            self.add(Y118, f"values are nested more than {MAX_DEPTH} levels deep", node,
                     "a definition needs only a few levels; check the indentation")
            raise Abort

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
            mark = key_node.start_mark
            self.keys[(*path, key)] = (mark.line + 1, mark.column + 1)
            if key == "version" and isinstance(value_node, yaml.ScalarNode) and not value_node.style \
                    and value_node.tag in (_INT, _FLOAT):
                self.add(Y115, f"version {value_node.value} is read as a number, not as the text you wrote",
                         value_node, f'quote it: version: "{value_node.value}"')
                mark = value_node.start_mark
                self.values[(*path, key)] = (mark.line + 1, mark.column + 1)
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
