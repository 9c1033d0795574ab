"""Strict YAML loading with source positions: what the rest of the engine calls to read a definition.

The raw text is checked first (`yamltext`: size, encoding, characters, bracket depth, tabs); then the
node tree is composed once (libyaml's CSafeLoader when present, else the pure SafeLoader), with nesting
and aliases counted on the parser's events before it is built and a parser error explained in an
author's terms (`yamlsyntax`); then it is walked by our own constructor (`yamlconstruct`), so nothing
is ever instantiated from a tag and every value keeps the line:col its node started at. The result is
a `Document` (`yamldocument`) and the Y1xx diagnostics (`yamlcodes`), in file order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from reviewflow.engine.definition.yamlcodes import (
    CODES,
    MAX_ALIASES,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_VALUES,
    Y107,
    Y108,
    Y109,
    Y111,
    Y118,
    Y119,
)
from reviewflow.engine.definition.yamlconstruct import Abort, Builder
from reviewflow.engine.definition.yamldocument import Document, mark_location
from reviewflow.engine.definition.yamlsyntax import syntax_error
from reviewflow.engine.definition.yamltext import before_parsing, decode, deeply_indented, tab_indents
from reviewflow.engine.errors import Diagnostic, Location
from reviewflow.engine.limits import read_regular_file

__all__ = ["CODES", "MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_VALUES", "Document", "load_yaml_file",
           "load_yaml_text"]


def _loader_class(pure_python: bool) -> type[Any]:
    if not pure_python and getattr(yaml, "__with_libyaml__", False):
        return yaml.CSafeLoader
    return yaml.SafeLoader


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
    decoded = decode(text, file)
    if isinstance(decoded, Diagnostic):
        return None, [decoded]
    problems = before_parsing(decoded, file)
    if problems:
        return None, problems
    tabs = tab_indents(decoded, file)
    node, problems = _compose(decoded, file, tabs, pure_python)
    if node is None:
        return None, problems
    diags = [d for d in tabs if not _inside_scalar(node, d.location.line)]
    if not isinstance(node, yaml.MappingNode) or node.tag != yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG:
        found = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        diags.append(Y108.diagnostic(f"the top level of a definition must be keys and values, not {found}",
                                     mark_location(file, node.start_mark),
                                     "start the file with `reviewflow: 1` and `id: ...` at the left margin"))
        return None, sorted(diags, key=Diagnostic.sort_key)
    builder = Builder(file)
    try:
        data = builder.build(node, (), 0)
    except Abort:
        return None, sorted(diags + builder.diags, key=Diagnostic.sort_key)
    diags.extend(builder.diags)
    document = Document(file, decoded, data, builder.values, builder.keys)
    return document, sorted(diags, key=Diagnostic.sort_key)


def _compose(text: str, file: str, tabs: list[Diagnostic],
             pure_python: bool) -> tuple[yaml.Node | None, list[Diagnostic]]:
    """The single document's node graph, or None with the reason (an empty file included)."""
    if "*" in text or deeply_indented(text):
        bounds = _structure_problems(text, file, pure_python)
        if bounds:
            return None, bounds
    loader_class = _loader_class(pure_python)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return None, tabs + syntax_error(exc, file, {d.location.line for d in tabs}, text, loader_class)
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
            where = mark_location(file, event.start_mark)
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
