"""The guard language: a small closed expression language for `when:` and `applies_when:`.

Guards are parsed once when a definition loads (reviewflow.engine.definition.guards.parser: a hand tokenizer and a
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

from collections.abc import Callable, Mapping
from dataclasses import field as dc_field
from datetime import date
from typing import TYPE_CHECKING, Any

from reviewflow.engine.definition.guards.parser import (
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
from reviewflow.engine.errors import Location

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same frozen dataclasses, defined without compiling generated methods (engine.values)
    from reviewflow.engine.values import frozen_dataclass as dataclass

__all__ = ["ALLOWED", "CALLS", "Expression", "ExpressionError", "parse"]


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
