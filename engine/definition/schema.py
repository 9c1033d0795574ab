"""Structural validation against schemas/<name>.schema.json: the only module that imports `jsonschema`.

Every schema error becomes a plain-English Diagnostic at the line:col of the offending key or value.
Messages for the rules jsonschema cannot phrase well (exactly-one-of, id patterns, null in a base
definition) live next to the rule in the schema itself, under the non-standard keyword
`x-messages: {<keyword>: <message>}`, so the schema stays the single structural truth.
`jsonschema` is imported lazily so that `reviewflow --help` never pays for it.

A document is first checked by `jsonschema_rs` (a compiled Draft 2020-12 validator, ~100x faster):
when it says the document fits, it fits (tests/test_schema_fast.py holds the two validators to the
same verdict over the corpus and over thousands of mutated definitions); only a document that does
not fit is walked by `jsonschema`, whose errors carry the paths the located messages are made from.
Without `jsonschema_rs` installed, every document is checked by `jsonschema` alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from reviewflow.engine import paths
from reviewflow.engine.definition.yamldocument import Document
from reviewflow.engine.errors import CodeInfo, Diagnostic, Location, Severity, did_you_mean, nearest

Path = tuple[str | int, ...]

_E = Severity.ERROR
S101 = CodeInfo("S101", "unknown-key", _E, "a key the language does not have at this place")
S102 = CodeInfo("S102", "missing-key", _E, "a required key is missing")
S103 = CodeInfo("S103", "wrong-type", _E, "a value of the wrong type (text, number, list, mapping, true/false)")
S104 = CodeInfo("S104", "not-allowed-value", _E, "a value that is not one of the allowed values")
S105 = CodeInfo("S105", "bad-pattern", _E, "an id, date or reference not written the way the language requires")
S106 = CodeInfo("S106", "bad-shape", _E, "a combination of keys that does not fit (e.g. both due and window)")
S107 = CodeInfo("S107", "out-of-range", _E, "a number too small or large, or an empty text, list or mapping")
S108 = CodeInfo("S108", "duplicate-item", _E, "the same item listed twice")

CODES: tuple[CodeInfo, ...] = (S101, S102, S103, S104, S105, S106, S107, S108)

_SECTION_ELEMENT = {"sources": "source", "roles": "role", "fields": "field", "events": "event",
                    "stages": "stage", "deadlines": "deadline", "gates": "gate"}
_NESTED_ELEMENT = {"tasks": "task", "options": "option"}
_LIST_ITEM = {"on": "transition", "deviations": "deviation", "closures": "closure",
              "extra_holidays": "extra holiday", "reminders": "reminder"}
_TYPE_WORDS = {"string": "text", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "object": "a mapping of keys (key: value lines)",
               "array": "a list", "null": "null"}


@cache
def load_schema(name: str = "process") -> dict[str, Any]:
    """The parsed schema; a missing or broken schema file is a packaging bug and raises."""
    with open(paths.schema_path(name), encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(name))


@cache
def fast_validator(name: str) -> Any | None:
    """The compiled validator of a schema, or None when `jsonschema_rs` is not installed or refuses it."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        return jsonschema_rs.validator_for(load_schema(name))
    except Exception:  # noqa: BLE001 - a schema it cannot compile is checked by jsonschema alone
        return None


def fits(data: Any, schema_name: str = "process") -> bool:
    """Whether `data` is valid by the compiled validator; False when there is none (then ask
    `validate_document`, which always answers)."""
    fast = fast_validator(schema_name)
    return fast is not None and bool(fast.is_valid(data))


def validate_document(doc: Document, schema_name: str = "process") -> list[Diagnostic]:
    """Every structural problem of `doc`, in file order, each once."""
    fast = fast_validator(schema_name)
    if fast is not None and fast.is_valid(doc.data):
        return []
    schema = load_schema(schema_name)
    mapper = _Mapper(doc, schema, schema_name)
    found: dict[tuple[str, Location, str], Diagnostic] = {}
    # With `extends` misspelt, the base-definition rules would bury the one real mistake under
    # "missing key" noise; report the misspelling (S101) and skip those rules.
    known = schema.get("properties", {})
    skip_base_rules = not mapper.local and isinstance(doc.data, dict) and any(
        key not in known and nearest(str(key), ["extends"]) for key in doc.data)
    for error in _validator(schema_name).iter_errors(doc.data):
        if skip_base_rules and error.absolute_schema_path and error.absolute_schema_path[0] == "else":
            continue
        for diagnostic, subject in mapper.diagnose(error):
            # The base-definition rules (`else:` in the schema) repeat some checks of the shape rules.
            found.setdefault((diagnostic.code, diagnostic.location, subject), diagnostic)
    return sorted(found.values(), key=Diagnostic.sort_key)


def describe(path: Path) -> str:
    """A business-unit name for the place `path` points at, e.g. 'role "police"'."""
    if not path:
        return "the definition"
    last = path[-1]
    if len(path) == 1:
        return f'"{last}"'
    if len(path) == 2 and path[0] in _SECTION_ELEMENT:
        return f'{_SECTION_ELEMENT[str(path[0])]} "{last}"'
    if len(path) == 4 and path[2] in _NESTED_ELEMENT:
        return f'{_NESTED_ELEMENT[str(path[2])]} "{last}" of {describe(path[:2])}'
    if isinstance(last, int):
        noun = _LIST_ITEM.get(str(path[-2]), "item")
        owner = "" if len(path) == 2 and noun != "item" else f" of {describe(path[:-1] if noun == 'item' else path[:-2])}"
        return f"{noun} {last + 1}{owner}"
    return f'"{last}" of {describe(path[:-1])}'


def _id_kind(path: Path) -> str:
    """What the keys of the mapping at `path` are ids of."""
    if len(path) == 1 and path[0] in _SECTION_ELEMENT:
        return f"{_SECTION_ELEMENT[str(path[0])]} id"
    if path and path[-1] in _NESTED_ELEMENT:
        return f"{_NESTED_ELEMENT[str(path[-1])]} id"
    return "key"


def _found(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "…"
        return f'the text "{shown}"'
    if isinstance(value, list):
        return "a list"
    return "a mapping of keys"


class _Mapper:
    """Turns jsonschema errors into Diagnostics for one document."""

    def __init__(self, doc: Document, schema: Mapping[str, Any], schema_name: str = "process") -> None:
        self.doc = doc
        self.schema = schema
        self.schema_name = schema_name
        self.local = isinstance(doc.data, dict) and "extends" in doc.data

    # `error` is a jsonschema ValidationError; typed Any because its stubs mark every attribute
    # as possibly unset, which never happens for errors from iter_errors.
    def diagnose(self, error: Any) -> Iterator[tuple[Diagnostic, str]]:
        path: Path = tuple(error.absolute_path)
        rule = error.validator
        custom = None
        if isinstance(error.schema, Mapping):
            custom = error.schema.get("x-messages", {}).get(rule)
        if "propertyNames" in error.absolute_schema_path:
            yield self._bad_id(path, str(error.instance), custom)
            return
        handler = getattr(self, f"_on_{rule}", None)
        if handler is not None:
            yield from handler(error, path, custom)
        elif rule in ("oneOf", "anyOf") and not custom and error.context:
            from jsonschema.exceptions import best_match

            yield from self.diagnose(best_match(error.context))  # the branch that got furthest
        elif not self._fixed_by_spelling(error, path):
            message = custom or f"{describe(path)} does not fit the language here"
            yield S106.diagnostic(message, self.doc.key_location(path), self._help(path)), str(rule)

    def _fixed_by_spelling(self, error: Any, path: Path) -> bool:
        """Whether the value would fit this rule with its unknown keys spelt as their nearest known ones: the
        unknown-key diagnostic (S101) then says "did you mean", and the shape message would only repeat the
        one mistake (`working_day: 2` is an unknown key, not a due rule "without a unit")."""
        instance = error.instance
        known = list((self.subschema(path) or {}).get("properties", {}))
        if not isinstance(instance, dict) or not known:
            return False
        respelt = {}
        for key, value in instance.items():
            guess = key if key in known else nearest(str(key), known)
            if guess is None or guess in respelt:
                return False
            respelt[guess] = value
        if respelt.keys() == instance.keys():
            return False  # nothing was misspelt: the shape itself is wrong
        return bool(_validator(self.schema_name).evolve(schema=error.schema).is_valid(respelt))

    def _help(self, path: Path) -> str | None:
        node = self.subschema(path)
        description = node.get("description") if node else None
        return f"{describe(path)}: {description}" if description else None

    def subschema(self, path: Path) -> Mapping[str, Any] | None:
        """The shape schema of the value at `path` (following $ref, properties, items)."""
        node: Any = self.schema
        for step in path:
            node = self._deref(node)
            if isinstance(step, int):
                node = node.get("items")
            elif step in node.get("properties", {}):
                node = node["properties"][step]
            else:
                node = node.get("additionalProperties")
            if not isinstance(node, Mapping):
                return None
        return self._deref(node)

    def _deref(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            target: Any = self.schema
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def _bad_id(self, path: Path, key: str, custom: str | None) -> tuple[Diagnostic, str]:
        where = self.doc.key_location((*path, key))
        kind = _id_kind(path)
        return S105.diagnostic(f'{kind} "{key}" is not in the required form', where, custom), key

    def _on_additionalProperties(self, error: Any, path: Path, custom: str | None
                                 ) -> Iterator[tuple[Diagnostic, str]]:
        allowed = list(error.schema.get("properties", {}))
        instance = error.instance if isinstance(error.instance, dict) else {}
        unknown = [key for key in instance if key not in allowed]
        listed = did_you_mean("", allowed)  # the list of allowed keys
        for number, key in enumerate(unknown):
            where = self.doc.key_location((*path, key))
            message = f'unknown key "{key}" in {describe(path)}'
            # Past a screenful, a guess per key costs more than it helps (a pasted file can hold thousands).
            hint = did_you_mean(key, allowed) if number < 50 else listed
            yield S101.diagnostic(message, where, hint), key

    def _on_required(self, error: Any, path: Path, custom: str | None
                     ) -> Iterator[tuple[Diagnostic, str]]:
        instance = error.instance if isinstance(error.instance, dict) else {}
        shape = self.subschema(path) or {}
        unknown = [k for k in instance if k not in shape.get("properties", {})]
        for key in error.validator_value:
            if key in instance or any(nearest(str(k), [key]) for k in unknown):
                continue  # missing because misspelt: the unknown-key diagnostic says "did you mean"
            if custom:
                yield S106.diagnostic(custom, self.doc.key_location(path), self._help(path)), key
                continue
            node = self.subschema((*path, key))
            description = node.get("description") if node else None
            hint = f"add {key}: … ({description})" if description else f"add {key}: …"
            message = f'{describe(path)} is missing the key "{key}"'
            yield S102.diagnostic(message, self.doc.key_location(path), hint), key

    def _on_type(self, error: Any, path: Path, custom: str | None
                 ) -> Iterator[tuple[Diagnostic, str]]:
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        if not self.local and len(names) > 1 and "null" in names:
            names.remove("null")  # null is only meaningful in a local definition
        wanted = " or ".join(_TYPE_WORDS.get(n, n) for n in names)
        message = f"{describe(path)} must be {wanted}, not {_found(error.instance)}"
        hint = custom or self._help(path)
        yield S103.diagnostic(message, self.doc.location(path), hint), ""

    def _on_enum(self, error: Any, path: Path, custom: str | None
                 ) -> Iterator[tuple[Diagnostic, str]]:
        allowed = [str(v) for v in error.validator_value]
        value = error.instance
        message = custom or f"{describe(path)} cannot be {_found(value)}"
        hint = did_you_mean(value, allowed) if isinstance(value, str) else f"allowed: {', '.join(allowed)}"
        yield S104.diagnostic(message, self.doc.location(path), hint), ""

    def _on_const(self, error: Any, path: Path, custom: str | None
                  ) -> Iterator[tuple[Diagnostic, str]]:
        message = f"{describe(path)} cannot be {_found(error.instance)}"
        yield S104.diagnostic(message, self.doc.location(path), custom or f"write {error.validator_value}"), ""

    def _on_pattern(self, error: Any, path: Path, custom: str | None
                    ) -> Iterator[tuple[Diagnostic, str]]:
        message = f"{describe(path)}: {_found(error.instance)} is not in the required form"
        yield S105.diagnostic(message, self.doc.location(path), custom or self._help(path)), ""

    def _on_uniqueItems(self, error: Any, path: Path, custom: str | None
                        ) -> Iterator[tuple[Diagnostic, str]]:
        seen: list[Any] = []
        for index, item in enumerate(error.instance):
            if item in seen:
                message = f"{describe(path)} lists {_found(item)} more than once"
                yield S108.diagnostic(message, self.doc.location((*path, index)), "remove the repeat"), str(index)
            seen.append(item)

    def _range(self, path: Path, what: str, custom: str | None) -> Iterator[tuple[Diagnostic, str]]:
        location = self.doc.location(path)
        yield S107.diagnostic(custom or f"{describe(path)} {what}", location, self._help(path)), ""

    def _on_minimum(self, error: Any, path: Path, custom: str | None
                    ) -> Iterator[tuple[Diagnostic, str]]:
        yield from self._range(path, f"must be at least {error.validator_value}, not {error.instance}", custom)

    def _on_maximum(self, error: Any, path: Path, custom: str | None
                    ) -> Iterator[tuple[Diagnostic, str]]:
        yield from self._range(path, f"must be at most {error.validator_value}, not {error.instance}", custom)

    def _on_minLength(self, error: Any, path: Path, custom: str | None
                      ) -> Iterator[tuple[Diagnostic, str]]:
        yield from self._range(path, "must not be empty", custom)

    def _on_minItems(self, error: Any, path: Path, custom: str | None
                     ) -> Iterator[tuple[Diagnostic, str]]:
        count = error.validator_value
        yield from self._range(path, f"needs at least {count} item{'s' if count != 1 else ''}", custom)

    def _on_maxItems(self, error: Any, path: Path, custom: str | None
                     ) -> Iterator[tuple[Diagnostic, str]]:
        count = error.validator_value
        yield from self._range(path, f"may have at most {count} item{'s' if count != 1 else ''}", custom)

    def _on_minProperties(self, error: Any, path: Path, custom: str | None
                          ) -> Iterator[tuple[Diagnostic, str]]:
        yield from self._range(path, "needs at least one entry", custom)
