"""Tokenizer, tree and parser of the guard language (see reviewflow.engine.definition.guards.expressions for the language).

A hand tokenizer and a precedence-climbing parser, so every refusal has an exact column and says
what is allowed instead. The tree is a handful of frozen nodes; nothing here evaluates anything.

    guard      := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") operand]
    operand    := STRING | INT | true | false | null | "[" [literal ("," literal)*] "]"
                | "(" or ")" | NAME | count(EVENT) | recorded(EVENT) | len(NAME)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same frozen dataclasses, defined without compiling generated methods (engine.values)
    from reviewflow.engine.values import frozen_dataclass as dataclass

from reviewflow.engine.limits import (
    MAX_DIGITS,
    MAX_GUARD_CHARS,
    MAX_GUARD_DEPTH,
    MAX_GUARD_LIST,
    MAX_GUARD_TOKENS,
)

ALLOWED = (
    "allowed: field names, \"strings\", integers, true/false/null, [lists], and/or/not, "
    "== != < <= > >=, in / not in, parentheses, count(event), recorded(event), len(field)"
)
CALLS = ("count", "recorded", "len")
_ATTRIBUTE = "attribute access is not allowed (a dot may only join a gate event name inside count() / recorded())"


class ExpressionError(Exception):
    """A guard that is not in the language; `column` is 1-based within the guard text."""

    def __init__(self, message: str, column: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint


# ---------------------------------------------------------------------------------------------
# Tokens

@dataclass(frozen=True)
class _Tok:
    kind: str  # "name" "string" "int" "op" "end"
    text: str
    value: Any
    col: int  # 1-based


_OPS = ("==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ",", ".")
# Things people type from other languages: each gets its own explanation instead of "unexpected".
_FOREIGN = {
    "**": "the exponent operator is not allowed (no arithmetic in guards)",
    ":=": "assignment expressions (:=) are not allowed",
    "&&": 'use "and" instead of "&&"',
    "||": 'use "or" instead of "||"',
    "=": 'use "==" to compare ("=" is not allowed)',
    "!": 'use "not" instead of "!"',
    "+": "arithmetic is not allowed in guards",
    "-": "arithmetic is not allowed in guards",
    "*": "arithmetic is not allowed in guards",
    "/": "arithmetic is not allowed in guards",
    "//": "arithmetic is not allowed in guards",
    "%": "arithmetic is not allowed in guards",
    "@": "decorators and matrix operators are not allowed",
    "&": "bitwise operators are not allowed; use and/or/not",
    "|": "bitwise operators are not allowed; use and/or/not",
    "^": "bitwise operators are not allowed; use and/or/not",
    "~": "bitwise operators are not allowed; use not",
    "{": "dict and set literals are not allowed; use a [list]",
    "}": "dict and set literals are not allowed; use a [list]",
    ":": "slices, lambdas and dict literals are not allowed",
    ";": "only one expression is allowed",
    "`": "backticks are not allowed",
}
_KEYWORDS = {
    "lambda": "lambda is not allowed",
    "import": "imports are not allowed",
    "from": "imports are not allowed",
    "if": "conditional expressions (x if c else y) are not allowed; combine guards with and/or",
    "else": "conditional expressions (x if c else y) are not allowed; combine guards with and/or",
    "for": "comprehensions are not allowed",
    "is": 'use "==" or "!=" instead of "is"',
    "await": "await is not allowed",
    "yield": "yield is not allowed",
    "True": 'write "true" (lower case)',
    "False": 'write "false" (lower case)',
    "None": 'write "null"',
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT = re.compile(r"[0-9]+")
_SIMPLER = "split it into simpler guards (a derived field often says it in one name)"


def _tokenize(src: str) -> list[_Tok]:
    """The tokens of `src`; a problem (or a bound reached, limits.MAX_GUARD_*) ends the list as a
    "bad" token that the parser reports when it gets there, so earlier problems come first."""
    toks: list[_Tok] = []
    i = 0
    if len(src) > MAX_GUARD_CHARS:
        return [_Tok("bad", "", f"the guard is {len(src):,} characters long; a guard may have at most "
                     f"{MAX_GUARD_CHARS:,}", 1)]
    while i < len(src):
        ch = src[i]
        col = i + 1
        if ch.isspace():
            i += 1
            continue
        if len(toks) >= MAX_GUARD_TOKENS:
            return [*toks, _Tok("bad", ch, f"the guard has more than {MAX_GUARD_TOKENS} names, values and "
                                f"operators; {_SIMPLER}", col)]
        if ch in "\"'":
            j, chars = i + 1, []
            while j < len(src) and src[j] != ch:
                if src[j] == "\\" and j + 1 < len(src):
                    j += 1
                chars.append(src[j])
                j += 1
            if j >= len(src):
                raise ExpressionError("unterminated string", col, f"close it with {ch}")
            toks.append(_Tok("string", src[i:j + 1], "".join(chars), col))
            i = j + 1
            continue
        m = _INT.match(src, i + 1 if ch == "-" and _negative_allowed(toks) else i)
        if m and m.start() <= i + 1:
            if m.end() < len(src) and (src[m.end()].isalpha() or src[m.end()] in "._"):
                raise ExpressionError("only whole numbers are allowed", col, ALLOWED)
            text = src[i:m.end()]
            if len(m.group()) > MAX_DIGITS:
                return [*toks, _Tok("bad", text, f"a number with {len(m.group()):,} digits; numbers in a guard "
                                    f"have at most {MAX_DIGITS}", col)]
            toks.append(_Tok("int", text, int(text), col))
            i = m.end()
            continue
        m = _NAME.match(src, i)
        if m:
            toks.append(_Tok("name", m.group(), m.group(), col))
            i = m.end()
            continue
        two = src[i:i + 2]
        if two in _FOREIGN:
            return [*toks, _Tok("bad", two, _FOREIGN[two], col)]
        if two in _OPS:
            toks.append(_Tok("op", two, two, col))
            i += 2
            continue
        if ch in _OPS:
            toks.append(_Tok("op", ch, ch, col))
            i += 1
            continue
        # Stop here: the parser reports it when it gets this far, so earlier problems come first.
        return [*toks, _Tok("bad", ch, _FOREIGN.get(ch, f"unexpected character {ch!r}"), col)]
    toks.append(_Tok("end", "", None, len(src) + 1))
    return toks


def _negative_allowed(toks: list[_Tok]) -> bool:
    """A '-' directly before digits is a negative number only where a value may start."""
    if not toks:
        return True
    last = toks[-1]
    return (last.kind == "op" and last.text not in (")", "]")) or (
        last.kind == "name" and last.text in ("and", "or", "not", "in"))


# ---------------------------------------------------------------------------------------------
# Tree

@dataclass(frozen=True)
class Literal:
    value: Any  # str | int | bool | None
    col: int


@dataclass(frozen=True)
class ListLit:
    items: tuple[Node, ...]
    col: int


@dataclass(frozen=True)
class Name:
    name: str
    col: int


@dataclass(frozen=True)
class Call:
    func: str  # one of CALLS
    arg: str  # an event name (count/recorded) or a field name (len)
    col: int


@dataclass(frozen=True)
class Not:
    operand: Node
    col: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Node
    right: Node
    col: int


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >= in "not in"
    left: Node
    right: Node
    col: int


Node = Literal | ListLit | Name | Call | Not | BoolOp | Compare

_COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")


class _Parser:
    def __init__(self, src: str) -> None:
        self.toks = _tokenize(src)
        self.i = 0
        self.depth = 0  # parentheses and `not`s open around the current token

    def deeper(self, col: int) -> None:
        self.depth += 1
        if self.depth > MAX_GUARD_DEPTH:
            raise ExpressionError(f"the guard nests parentheses and `not` more than {MAX_GUARD_DEPTH} deep",
                                  col, _SIMPLER)

    @property
    def tok(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind == "bad":
            raise ExpressionError(tok.value, tok.col, ALLOWED)
        return tok

    def peek(self, n: int = 1) -> _Tok:
        tok = self.toks[min(self.i + n, len(self.toks) - 1)]
        return tok if tok.kind != "bad" else _Tok("end", "", None, tok.col)

    def advance(self) -> _Tok:
        tok = self.tok
        self.i += 1
        return tok

    def is_word(self, word: str, tok: _Tok | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "name" and t.text == word

    def expect_op(self, op: str, what: str) -> _Tok:
        if self.tok.kind == "op" and self.tok.text == op:
            return self.advance()
        raise ExpressionError(f'expected "{op}" {what}, found {self._describe(self.tok)}', self.tok.col)

    @staticmethod
    def _describe(tok: _Tok) -> str:
        return "end of guard" if tok.kind == "end" else repr(tok.text)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExpressionError("empty guard", 1, ALLOWED)
        node = self.parse_or()
        if self.tok.kind != "end":
            raise self._unexpected(self.tok)
        return node

    def _unexpected(self, tok: _Tok) -> ExpressionError:
        if tok.kind == "op" and tok.text == "(":
            return ExpressionError("only count(), recorded() and len() may be called", tok.col, ALLOWED)
        if tok.kind == "op" and tok.text == "[":
            return ExpressionError("subscripts are not allowed", tok.col, ALLOWED)
        if tok.kind == "name" and tok.text in _KEYWORDS:
            return ExpressionError(_KEYWORDS[tok.text], tok.col, ALLOWED)
        if tok.kind == "op" and tok.text in _COMPARE_OPS:
            return ExpressionError("chained comparisons are not allowed; join them with and", tok.col)
        return ExpressionError(f"unexpected {self._describe(tok)}", tok.col, ALLOWED)

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.is_word("or"):
            col = self.advance().col
            node = BoolOp("or", node, self.parse_and(), col)
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.is_word("and"):
            col = self.advance().col
            node = BoolOp("and", node, self.parse_not(), col)
        return node

    def parse_not(self) -> Node:
        if self.is_word("not"):
            col = self.advance().col
            self.deeper(col)
            node = Not(self.parse_not(), col)
            self.depth -= 1
            return node
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        left = self.parse_operand()
        tok = self.tok
        if tok.kind == "op" and tok.text in _COMPARE_OPS or self.is_word("in"):
            op = self.advance().text
        elif self.is_word("not") and self.is_word("in", self.peek()):
            self.advance()
            self.advance()
            op = "not in"
        else:
            return left
        return Compare(op, left, self.parse_operand(), tok.col)

    def parse_operand(self) -> Node:
        tok = self.advance()
        if tok.kind in ("string", "int"):
            node: Node = Literal(tok.value, tok.col)
        elif tok.kind == "op" and tok.text == "(":
            self.deeper(tok.col)
            node = self.parse_or()
            self.expect_op(")", "to close the parenthesis")
            self.depth -= 1
        elif tok.kind == "op" and tok.text == "[":
            node = self.parse_list(tok)
        elif tok.kind == "name":
            node = self.parse_name(tok)
        else:
            raise ExpressionError(f"expected a value, found {self._describe(tok)}", tok.col, ALLOWED)
        self.reject_postfix()
        return node

    def parse_list(self, open_tok: _Tok) -> ListLit:
        items: list[Node] = []
        while not (self.tok.kind == "op" and self.tok.text == "]"):
            item = self.parse_operand()
            if self.tok.kind == "name" and self.tok.text in _KEYWORDS:
                raise self._unexpected(self.tok)  # e.g. a comprehension: say that, not "literals only"
            if not isinstance(item, Literal):
                raise ExpressionError("list items must be literals", item.col, ALLOWED)
            if len(items) == MAX_GUARD_LIST:
                raise ExpressionError(f"a list in a guard may hold at most {MAX_GUARD_LIST} items", item.col,
                                      "compare with a field's allowed values instead of listing them all")
            items.append(item)
            if self.tok.kind == "op" and self.tok.text == ",":
                self.advance()
            elif not (self.tok.kind == "op" and self.tok.text == "]"):
                raise ExpressionError(f'expected "," or "]" in list, found {self._describe(self.tok)}',
                                      self.tok.col)
        self.advance()
        return ListLit(tuple(items), open_tok.col)

    def parse_name(self, tok: _Tok) -> Node:
        word = tok.text
        if word in ("true", "false"):
            return Literal(word == "true", tok.col)
        if word == "null":
            return Literal(None, tok.col)
        if word in _KEYWORDS:
            raise ExpressionError(_KEYWORDS[word], tok.col, ALLOWED)
        if word in ("and", "or", "not", "in"):
            raise ExpressionError(f'"{word}" needs a value before it', tok.col, ALLOWED)
        if word.startswith("__"):
            raise ExpressionError(f"names starting with '__' are not allowed ({word})", tok.col, ALLOWED)
        if self.tok.kind == "op" and self.tok.text == "(":
            if word not in CALLS:
                raise ExpressionError(f"calling {word}() is not allowed; only count(), recorded() and len()",
                                      tok.col, ALLOWED)
            self.advance()
            arg = self.parse_call_arg(word)
            self.expect_op(")", f"after the argument of {word}()")
            return Call(word, arg, tok.col)
        return Name(word, tok.col)

    def parse_call_arg(self, func: str) -> str:
        tok = self.tok
        what = "a field name" if func == "len" else "an event name"
        if tok.kind != "name":
            raise ExpressionError(f"{func}() takes {what}, found {self._describe(tok)}", tok.col)
        self.advance()
        parts = [tok.text]
        # Gate events are dotted ("cspr_decision.decided"); that is the only place a dot may appear.
        while self.tok.kind == "op" and self.tok.text == ".":
            if func == "len":
                raise ExpressionError(_ATTRIBUTE, self.tok.col, ALLOWED)
            self.advance()
            if self.tok.kind != "name":
                raise ExpressionError(f"expected an event name after '.', found {self._describe(self.tok)}",
                                      self.tok.col)
            parts.append(self.advance().text)
        return ".".join(parts)

    def reject_postfix(self) -> None:
        tok = self.tok
        if tok.kind == "op" and tok.text == ".":
            raise ExpressionError(_ATTRIBUTE, tok.col, ALLOWED)
        if tok.kind == "op" and tok.text == "[":
            raise ExpressionError("subscripts are not allowed", tok.col, ALLOWED)
        if tok.kind == "op" and tok.text == "(":
            raise ExpressionError("only count(), recorded() and len() may be called", tok.col, ALLOWED)


def parse_tree(source: str) -> Node:
    """The tree of a guard; raises ExpressionError with a 1-based column into `source`."""
    return _Parser(source).parse()
