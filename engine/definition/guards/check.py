"""Type checking of a parsed guard against a definition's fields and events (lint X502-X505).

The guard language knows fields only through `FieldSpec`, the few attributes it reads, so it does not
depend on the definition model (which in turn holds parsed guards).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reviewflow.engine.dates import iso_date_or_none
from reviewflow.engine.definition.guards.expressions import Expression
from reviewflow.engine.definition.guards.parser import (
    BoolOp,
    Call,
    Compare,
    ListLit,
    Literal,
    Name,
    Node,
    Not,
)
from reviewflow.engine.errors import did_you_mean


class FieldSpec(Protocol):
    """What type checking needs of a field (engine.definition.model.Field has it)."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def values(self) -> tuple[str, ...]: ...


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
    def __init__(self, fields: Mapping[str, FieldSpec], events: Collection[str]) -> None:
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
    return isinstance(node, Literal) and isinstance(node.value, str) and iso_date_or_none(node.value) is not None


def _date_vs_literal(lt: str, rt: str, node: Compare) -> bool:
    return (lt == "date" and rt == "str" and _iso(node.right)) or (
        rt == "date" and lt == "str" and _iso(node.left))


def _compatible(lt: str, rt: str, node: Compare) -> bool:
    return lt == rt or _date_vs_literal(lt, rt, node)


def type_check(expr: Expression, fields: Mapping[str, FieldSpec], events: Collection[str]) -> list[ExpressionProblem]:
    """Problems with a parsed guard against the process's fields and event names (incl. gate events)."""
    checker = _Checker(fields, events)
    kind = checker.type_of(expr.tree)
    if kind not in ("bool", "any"):
        checker.add("not-boolean", f"the guard is {_article(kind)}, not true/false", 0,
                    "a guard must be a condition, e.g. count(x) > 0")
    return checker.problems
