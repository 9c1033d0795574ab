"""A YAML parser error said in an author's terms: what to fix, and where (an unclosed quote or bracket
where it was opened, not where the parser gave up)."""

from __future__ import annotations

from typing import Any

import yaml
from reviewflow.engine.definition.yamlcodes import MAX_DEPTH, Y111, Y116, Y118
from reviewflow.engine.definition.yamldocument import mark_location
from reviewflow.engine.errors import Diagnostic, Location

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


def syntax_error(exc: yaml.MarkedYAMLError, file: str, tab_lines: set[int], text: str,
                 loader_class: type[Any]) -> list[Diagnostic]:
    mark = exc.problem_mark or exc.context_mark
    where = mark_location(file, mark) if mark is not None else Location(file, 1, 1)
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
    runaway = _runaway(exc, text, loader_class) if text else None
    if runaway is not None:
        opened, message = runaway
        hint = ("close it on the same line; a value with a quote inside is written in the other quotes, "
                "e.g. \"it's\"" if "quote" in message else "close it, or put each item on one line")
        return [Y111.diagnostic(f"YAML syntax error: {message}", mark_location(file, opened), hint)]
    context = ""
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        context = f" ({exc.context} on line {exc.context_mark.line + 1})"
    hint = next((h for needle, h in _SYNTAX_HINTS if needle in both),
                "check the indentation and quoting on this line and the one above")
    return [Y111.diagnostic(f"YAML syntax error: {problem}{context}", where, hint)]


def _runaway(exc: yaml.MarkedYAMLError, text: str, loader_class: type[Any]) -> tuple[Any, str] | None:
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
    quoted = _quoted_scalar_ending_on(problem.line, text, loader_class)
    if quoted is not None:
        return quoted, (f"a quote opened here is not closed on its line: YAML read on to the next quote, "
                        f"on line {problem.line + 1}")
    return None


def _quoted_scalar_ending_on(line: int, text: str, loader_class: type[Any]) -> Any:
    """The start mark of a quoted value that spans lines and ends on 0-based `line`, if one does."""
    loader = loader_class(text)
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
