"""`events.decoded_event` (a read's way of making an event from a payload it just decoded) gives what
`Event.from_json_dict` gives, and never shares anything with its caller but the dict it was handed."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from datetime import date
from typing import Any

import pytest
from reviewflow.engine.events import Event, decoded_event

STORED = {"actor": None, "agency": "police", "at": "2024-01-14", "by": "relevant_agency",
          "data": {"agencies": ["police", "health"], "note": {"deep": [1, 2]}}, "kind": "recorded",
          "name": "scoping_template_returned"}


@pytest.mark.parametrize("payload", [
    STORED,
    {**STORED, "data": {}},
    {**STORED, "data": None},  # not an object: the general route, which makes it {}
    {k: v for k, v in STORED.items() if k not in ("actor", "agency")},  # members missing: defaults
    {**STORED, "extra": 1},  # an unknown member is ignored, as from_json_dict ignores it
    {**STORED, "data": [["a", 1]]},  # pairs: dict() of them, as from_json_dict does
])
def test_decoded_event_is_from_json_dict(payload: dict[str, Any]) -> None:
    text = json.dumps(payload)
    expected = Event.from_json_dict(json.loads(text), seq=6)
    made = decoded_event(json.loads(text), 6)
    assert type(made) is Event and made == expected and repr(made) == repr(expected)
    assert dataclasses.astuple(made) == dataclasses.astuple(expected)
    assert made.at == date(2024, 1, 14) and made.seq == 6
    assert pickle.loads(pickle.dumps(made)) == expected and copy.deepcopy(made) == expected
    assert dataclasses.replace(made, seq=7) == dataclasses.replace(expected, seq=7)


@pytest.mark.parametrize("payload, error", [
    ({**STORED, "at": "14 January 2024"}, ValueError),
    ({**STORED, "at": 20240114}, TypeError),
    ({k: v for k, v in STORED.items() if k != "kind"}, KeyError),
    ({**STORED, "data": "text"}, ValueError),
])
def test_decoded_event_refuses_what_from_json_dict_refuses(payload: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        Event.from_json_dict(dict(payload), seq=1)
    with pytest.raises(error):
        decoded_event(dict(payload), 1)


def test_a_decoded_event_is_frozen_and_its_own() -> None:
    made = decoded_event(json.loads(json.dumps(STORED)), 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.kind = "noted"  # type: ignore[misc]
    other = decoded_event(json.loads(json.dumps(STORED)), 1)
    assert made == other and made.data is not other.data  # each read decodes its own
