"""`due` and `cases` written as their rows come, so a store of any size is listed in constant memory.

The first `BUFFER` rows are held: a list that ends within them is printed exactly as `case_lists` prints
it (columns as wide as their longest cell). A longer list is printed as it comes: its columns are as
wide as the held rows need (a later, longer cell pushes the rest of its line to the right) and the
summary line, counted on the way, follows the last row. JSON is written item by item, byte for byte
as `json.dumps(..., indent=2)` writes the whole value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

from reviewflow.engine.render import case_lists
from reviewflow.engine.render.case_text import plural, table

if TYPE_CHECKING:
    from reviewflow.engine.service import DueList
    from reviewflow.engine.store.types import CaseRow

BUFFER = 1_000
_DUE_HEADERS = ("DUE", "STATUS", "CASE", "OWNER", "WEIGHT", "DEADLINE")


_SCALARS = (str, int, float, bool, type(None))


def _json_item(value: Any, depth: int) -> str:
    """`json.dumps(value, indent=2)` at `depth`; a flat mapping of scalars (a listed row) is written
    directly, since `indent` makes json use its pure-Python encoder for the whole value."""
    if isinstance(value, dict) and value and all(isinstance(v, _SCALARS) for v in value.values()):
        pad = "  " * depth
        return "{\n" + ",\n".join(f"{pad}  {json.dumps(k, ensure_ascii=False)}: "
                                    f"{json.dumps(v, ensure_ascii=False)}" for k, v in value.items()) + f"\n{pad}}}"
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return text.replace("\n", "\n" + "  " * depth)


def _json_object(head: dict[str, Any], key: str, items: Iterable[Any], tail: Any) -> Iterator[str]:
    """`{**head, key: [*items], **tail}` as json.dumps(indent=2) writes it, the items as they come."""
    yield "{\n"
    for name, value in head.items():
        yield f"  {json.dumps(name)}: {_json_item(value, 1)},\n"
    yield f"  {json.dumps(key)}: ["
    first = True
    for item in items:
        yield ("\n    " if first else ",\n    ") + _json_item(item, 2)
        first = False
    yield "]" if first else "\n  ]"
    for name, value in (tail() if callable(tail) else tail).items():
        yield f",\n  {json.dumps(name)}: {_json_item(value, 1)}"
    yield "\n}\n"


def _lines(headers: Sequence[str], cells: Iterator[Sequence[Any]], held: Sequence[Sequence[Any]],
           indent: str) -> Iterator[str]:
    """`table` over the held rows and then every later row, at the widths the held rows gave."""
    shown = table(headers, held, indent=indent)
    widths = [max(len(str(headers[i])), *(len("—" if r[i] is None else str(r[i])) for r in held))
              for i in range(len(headers) - 1)]
    for line in shown:
        yield line + "\n"
    for row in cells:
        text = [("—" if c is None else str(c)) for c in row]
        padded = [c.ljust(w) for c, w in zip(text[:-1], widths, strict=True)] + [text[-1]]
        yield (indent + "  ".join(padded)).rstrip() + "\n"


# -- cases ----------------------------------------------------------------------------------------

def cases_text(rows: Iterable[CaseRow]) -> Iterator[str]:
    source = iter(rows)
    held = list(islice(source, BUFFER))
    if len(held) < BUFFER:
        yield case_lists.cases_text(held) + "\n"
        return
    count = [len(held)]

    def later() -> Iterator[tuple[Any, ...]]:
        for row in source:
            count[0] += 1
            yield case_lists.case_cells(row)

    yield from _lines(case_lists.CASE_HEADERS, later(), [case_lists.case_cells(r) for r in held], indent="")
    yield f"{plural(count[0], 'case')}\n"


def cases_json(rows: Iterable[CaseRow]) -> Iterator[str]:
    items = (case_lists.cases_json([row])["cases"][0] for row in rows)
    yield from _json_object({}, "cases", items, {})


# -- due ------------------------------------------------------------------------------------------

def due_text(due: DueList) -> Iterator[str]:
    from reviewflow.engine.service import DueList as Listed

    source = iter(due.rows)
    held = list(islice(source, BUFFER))
    if len(held) < BUFFER:
        yield case_lists.due_text(Listed(due.as_of, due.within, due.role, tuple(held))) + "\n"
        return
    counts = {"total": 0, "overdue": 0, "due_soon": 0}

    def cells(row: Any) -> tuple[Any, ...]:
        counts["total"] += 1
        if row.status in ("overdue", "due_soon"):
            counts[row.status] += 1
        return case_lists.due_cells(row)

    yield case_lists.due_scope(due) + ":\n"
    first = [cells(r) for r in held]
    yield from _lines(_DUE_HEADERS, (cells(r) for r in source), first, indent="  ")
    yield (f"{plural(counts['total'], 'deadline')}: {counts['overdue']} overdue, "
           f"{counts['due_soon']} due soon.\n")


def due_json(due: DueList) -> Iterator[str]:
    counts = {"total": 0, "overdue": 0, "due_soon": 0}

    def items() -> Iterator[dict[str, Any]]:
        for row in due.rows:
            item = case_lists.due_item(row, due.as_of)
            counts["total"] += 1
            if item["status"] in ("overdue", "due_soon"):
                counts[item["status"]] += 1
            yield item

    head = {"as_of": due.as_of.isoformat(), "within": due.within, "role": due.role}
    yield from _json_object(head, "deadlines", items(),
                            lambda: {"summary": {"total": counts["total"], "overdue": counts["overdue"],
                                                 "due_soon": counts["due_soon"]}})


__all__ = ["BUFFER", "cases_json", "cases_text", "due_json", "due_text"]
