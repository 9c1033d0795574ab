"""The guard language: a small closed expression language for `when:` and `applies_when:`.

Guards are parsed once when a definition loads (engine.expression_parser: a hand tokenizer and a
precedence-climbing parser, so every error has an exact column) and evaluated by walking the tree.
Nothing here ever reaches Python's `eval`, `exec` or `compile`: a guard can only do what the nodes
of this grammar do.

    guard      := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") operand]
    operand    := STRING | INT | true | false | null | "[" [literal ("," literal)*] "]"
                | "(" or ")" | NAME | count(EVENT) | recorded(EVENT) | len(NAME)

Evaluation never crashes on case data: a missing field is None, and a comparison involving None is
False, except `== null` / `!= null`, which test for absence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.errors import Location, did_you_mean
from engine.expression_parser import (
    ALLOWED,
    CALLS,
    BoolOp,
    Call,
    Compare,
    ExpressionError,
    ListLit,
    Literal,
    Name,
    Node,
    Not,
    parse_tree,
)

if TYPE_CHECKING:
    from engine.model import Field

__all__ = ["ALLOWED", "CALLS", "Expression", "ExpressionError", "ExpressionProblem", "parse", "type_check"]


# ---------------------------------------------------------------------------------------------
# Evaluation

def _coerce(a: Any, b: Any) -> tuple[Any, Any]:
    """Dates may arrive as `date` objects or ISO strings; compare them as dates."""
    if isinstance(a, date) and isinstance(b, str):
        try:
            return a, date.fromisoformat(b)
        except ValueError:
            return a, b
    if isinstance(b, date) and isinstance(a, str):
        c, d = _coerce(b, a)
        return d, c
    return a, b


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(node: Compare, left: Any, right: Any) -> bool:
    op = node.op
    if op in ("==", "!="):
        # Only an explicit `null` tests absence; otherwise a missing value makes the test false.
        if _is_null(node.left) or _is_null(node.right):
            absent = left is None and right is None
            return absent if op == "==" else not absent
        if left is None or right is None:
            return False
        left, right = _coerce(left, right)
        if isinstance(left, bool) != isinstance(right, bool):
            return op == "!="
        return (left == right) if op == "==" else (left != right)
    if left is None or right is None:
        return False
    if op in ("in", "not in"):
        if not isinstance(right, (list, tuple, set, frozenset, str)):
            return False
        if isinstance(right, str) and not isinstance(left, str):
            return False
        found = left in right
        return found if op == "in" else not found
    left, right = _coerce(left, right)
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    try:
        return _ORDER[op](left, right)
    except TypeError:
        return False


def _is_null(node: Node) -> bool:
    return isinstance(node, Literal) and node.value is None


def _eval(node: Node, fields: Mapping[str, Any], counts: Mapping[str, int]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ListLit):
        return [_eval(item, fields, counts) for item in node.items]
    if isinstance(node, Name):
        return fields.get(node.name)
    if isinstance(node, Call):
        if node.func == "len":
            value = fields.get(node.arg)
            return len(value) if isinstance(value, (list, tuple, set, frozenset, str)) else 0
        n = counts.get(node.arg, 0)
        return n if node.func == "count" else n > 0
    if isinstance(node, Not):
        return not bool(_eval(node.operand, fields, counts))
    if isinstance(node, BoolOp):
        left = bool(_eval(node.left, fields, counts))
        if node.op == "and":
            return left and bool(_eval(node.right, fields, counts))
        return left or bool(_eval(node.right, fields, counts))
    return _compare(node, _eval(node.left, fields, counts), _eval(node.right, fields, counts))


def _walk(node: Node) -> list[Node]:
    out: list[Node] = [node]
    if isinstance(node, ListLit):
        for item in node.items:
            out.extend(_walk(item))
    elif isinstance(node, Not):
        out.extend(_walk(node.operand))
    elif isinstance(node, (BoolOp, Compare)):
        out.extend(_walk(node.left))
        out.extend(_walk(node.right))
    return out


@dataclass(frozen=True)
class Expression:
    source: str
    location: Location
    fields: frozenset[str]  # field names referenced (including len() arguments)
    events: frozenset[str]  # event names referenced in count()/recorded()
    tree: Node = dc_field(repr=False)

    def evaluate(self, fields: Mapping[str, Any], counts: Mapping[str, int]) -> Any:
        return _eval(self.tree, fields, counts)

    def __str__(self) -> str:
        return self.source


def parse(source: str, location: Location) -> Expression:
    """Parse a guard; raises ExpressionError (with a 1-based column into `source`)."""
    tree = parse_tree(source)
    nodes = _walk(tree)
    names = {n.name for n in nodes if isinstance(n, Name)}
    names |= {n.arg for n in nodes if isinstance(n, Call) and n.func == "len"}
    events = {n.arg for n in nodes if isinstance(n, Call) and n.func != "len"}
    return Expression(source, location, frozenset(names), frozenset(events), tree)


# ---------------------------------------------------------------------------------------------
# Type checking

@dataclass(frozen=True)
class ExpressionProblem:
    kind: str  # "unknown-field" | "unknown-event" | "type-mismatch" | "not-boolean"
    message: str
    hint: str | None = None
    column: int = 0  # 1-based within the guard text, 0 when it concerns the whole guard


# Inferred types: "str", "bool", "int", "date", "list", "null", "any" (unknown: already reported).
_FIELD_TYPES = {"string": "str", "text": "str", "enum": "str", "bool": "bool", "int": "int",
                "date": "date", "list": "list"}


class _Checker:
    def __init__(self, fields: Mapping[str, Field], events: Collection[str]) -> None:
        self.fields = fields
        self.events = set(events)
        self.problems: list[ExpressionProblem] = []

    def add(self, kind: str, message: str, col: int, hint: str | None = None) -> None:
        self.problems.append(ExpressionProblem(kind, message, hint, col))

    def type_of(self, node: Node) -> str:
        if isinstance(node, Literal):
            return _literal_type(node.value)
        if isinstance(node, ListLit):
            for item in node.items:
                self.type_of(item)
            return "list"
        if isinstance(node, Name):
            return self.field_type(node.name, node.col)
        if isinstance(node, Call):
            return self.call_type(node)
        if isinstance(node, Not):
            self.require_bool(node.operand, "not")
            return "bool"
        if isinstance(node, BoolOp):
            self.require_bool(node.left, node.op)
            self.require_bool(node.right, node.op)
            return "bool"
        self.check_compare(node)
        return "bool"

    def field_type(self, name: str, col: int) -> str:
        spec = self.fields.get(name)
        if spec is None:
            self.add("unknown-field", f'unknown field "{name}"', col, did_you_mean(name, self.fields))
            return "any"
        return _FIELD_TYPES.get(spec.type, "any")

    def call_type(self, node: Call) -> str:
        if node.func == "len":
            spec = self.fields.get(node.arg)
            if spec is None:
                self.add("unknown-field", f'unknown field "{node.arg}" in len()', node.col,
                         did_you_mean(node.arg, self.fields))
            elif spec.type != "list":
                self.add("type-mismatch", f'len() needs a list field; "{node.arg}" is {spec.type}', node.col,
                         did_you_mean(node.arg, [f.id for f in self.fields.values() if f.type == "list"]))
            return "int"
        if node.arg not in self.events:
            self.add("unknown-event", f'unknown event "{node.arg}" in {node.func}()', node.col,
                     did_you_mean(node.arg, self.events))
        return "int" if node.func == "count" else "bool"

    def require_bool(self, node: Node, where: str) -> None:
        kind = self.type_of(node)
        if kind not in ("bool", "any"):
            self.add("not-boolean", f'the operand of "{where}" is {_article(kind)}, not true/false',
                     node.col, "compare it, e.g. x == \"value\"")

    def check_compare(self, node: Compare) -> None:
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        if "any" in (lt, rt):
            return
        if node.op in ("in", "not in"):
            self.check_membership(node, lt, rt)
        elif node.op in ("==", "!="):
            if "null" in (lt, rt) or _compatible(lt, rt, node):
                self.check_enum_values(node.left, node.right)
                self.check_enum_values(node.right, node.left)
            else:
                self.add("type-mismatch", f"cannot compare {_article(lt)} with {_article(rt)}", node.col)
        elif not (lt == rt == "int" or {lt, rt} <= {"date"} or _date_vs_literal(lt, rt, node)):
            self.add("type-mismatch",
                     f'"{node.op}" compares numbers or dates, not {_article(lt)} with {_article(rt)}', node.col)

    def check_membership(self, node: Compare, lt: str, rt: str) -> None:
        if rt != "list":
            self.add("type-mismatch", f'the right side of "{node.op}" must be a list, not {_article(rt)}',
                     node.right.col)
            return
        if isinstance(node.right, ListLit):
            for item in node.right.items:
                self.check_enum_values(node.left, item)
            return
        if lt not in ("str", "null"):
            self.add("type-mismatch", f'list members are strings, not {_article(lt)}', node.left.col)
            return
        self.check_enum_values(node.right, node.left)

    def check_enum_values(self, field_node: Node, other: Node) -> None:
        """An enum (or list) field compared with a string literal: the literal must be an allowed value."""
        name = field_node.name if isinstance(field_node, Name) else None
        spec = self.fields.get(name) if name else None
        if spec is None or not spec.values or spec.type not in ("enum", "list"):
            return
        literals = other.items if isinstance(other, ListLit) else (other,)
        for lit in literals:
            if isinstance(lit, Literal) and isinstance(lit.value, str) and lit.value not in spec.values:
                self.add("type-mismatch", f'"{lit.value}" is not a value of {spec.type} field "{name}"',
                         lit.col, did_you_mean(lit.value, spec.values))


def _literal_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "str"


def _article(kind: str) -> str:
    return {"str": "a string", "bool": "a boolean", "int": "an integer", "date": "a date",
            "list": "a list", "null": "null"}.get(kind, kind)


def _iso(node: Node) -> bool:
    if not (isinstance(node, Literal) and isinstance(node.value, str)):
        return False
    try:
        date.fromisoformat(node.value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.value))


def _date_vs_literal(lt: str, rt: str, node: Compare) -> bool:
    return (lt == "date" and rt == "str" and _iso(node.right)) or (
        rt == "date" and lt == "str" and _iso(node.left))


def _compatible(lt: str, rt: str, node: Compare) -> bool:
    return lt == rt or _date_vs_literal(lt, rt, node)


def type_check(expr: Expression, fields: Mapping[str, Field], events: Collection[str]) -> list[ExpressionProblem]:
    """Problems with a parsed guard against the process's fields and event names (incl. gate events)."""
    checker = _Checker(fields, events)
    kind = checker.type_of(expr.tree)
    if kind not in ("bool", "any"):
        checker.add("not-boolean", f"the guard is {_article(kind)}, not true/false", 0,
                    "a guard must be a condition, e.g. count(x) > 0")
    return checker.problems
