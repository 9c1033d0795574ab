"""Strict YAML loading: every hazard is a diagnostic at the right line:col, with either loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from reviewflow.engine.definition import yamlio
from reviewflow.engine.definition.yamlio import CODES, load_yaml_file, load_yaml_text
from reviewflow.engine.errors import Location

HERE = Path(__file__).parent
VALID = sorted((HERE / "definitions" / "valid").glob("*.yaml"))
INVALID_Y = sorted((HERE / "definitions" / "invalid").glob("Y*.yaml"))

LOADERS = [
    pytest.param(True, id="SafeLoader"),
    pytest.param(False, id="CSafeLoader", marks=pytest.mark.skipif(
        not yaml.__with_libyaml__, reason="libyaml not available")),
]


def codes_at(text: str | bytes, pure: bool) -> list[tuple[str, int, int]]:
    _, diags = load_yaml_text(text, "t.yaml", pure_python=pure)
    return [(d.code, d.location.line, d.location.col) for d in diags]


@pytest.fixture(params=LOADERS)
def pure(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_codes_are_unique_stable_and_y1xx() -> None:
    codes = [c.code for c in CODES]
    assert len(set(codes)) == len(codes)
    assert all(c.startswith("Y1") and len(c) == 4 for c in codes)
    assert len({c.slug for c in CODES}) == len(CODES)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_definitions_load_without_diagnostics(path: Path, pure: bool) -> None:
    doc, diags = load_yaml_file(path, pure_python=pure)
    assert diags == []
    assert doc is not None and isinstance(doc.data, dict)
    assert doc.data["reviewflow"] == 1


def test_dates_stay_strings_and_on_is_a_key(pure: bool) -> None:
    doc, _ = load_yaml_file(HERE / "definitions/valid/full_language.yaml", pure_python=pure)
    assert doc is not None
    assert doc.data["effective_from"] == "2023-01-01"
    assert doc.data["version"] == "1.0.0"
    assert doc.data["stages"]["aware"]["on"][0]["to"] == "rapid_review"
    assert doc.data["roles"]["review_group"]["chair"]["starting"] == "2023-04-01"
    assert doc.data["deadlines"]["review_target"]["authority"]["waive"] == []


def test_positions_of_nested_keys_and_list_items(pure: bool) -> None:
    path = HERE / "definitions/valid/full_language.yaml"
    doc, _ = load_yaml_file(path, "full.yaml", pure_python=pure)
    assert doc is not None
    lines = path.read_text(encoding="utf-8").split("\n")

    def where(needle: str, start: int = 0) -> tuple[int, int]:
        for number, line in enumerate(lines[start:], start=start + 1):
            if needle in line:
                return number, line.index(needle.lstrip()) + 1
        raise AssertionError(needle)

    aware_on = where("    on:", where("  aware:")[0])
    assert doc.key_location(["stages", "aware", "on"]) == Location("full.yaml", *aware_on)
    line, col = where("{event: notified_panel")
    assert doc.location(["stages", "aware", "on", 0]) == Location("full.yaml", line, col)
    assert doc.location(["stages", "aware", "on", 0, "when"]).line == line
    assert doc.location(["stages", "aware", "on", 0, "when"]).col == lines[line - 1].index("'harm") + 1
    line, col = where("[health, local_authority, police]")
    assert doc.location(["roles", "review_group", "chair", "rotates", 1]) == Location("full.yaml", line, col + 9)
    assert doc.key_location(["roles", "police"]) == Location("full.yaml", *where("  police:"))


def test_missing_path_falls_back_to_nearest_ancestor(pure: bool) -> None:
    doc, _ = load_yaml_text("a:\n  b:\n    c: 1\n", "t", pure_python=pure)
    assert doc is not None
    assert doc.location(["a", "b", "nope", 3]) == Location("t", 3, 5)  # the mapping under b
    assert doc.key_location(["a", "b"]) == Location("t", 2, 3)
    assert doc.key_location(["a", "b", "zz"]) == Location("t", 3, 5)
    assert doc.location([]) == Location("t", 1, 1)


def test_columns_count_characters_not_bytes(pure: bool) -> None:
    doc, _ = load_yaml_text("title: Café – “ok”\nlist: [é, ü, x]\n", "t", pure_python=pure)
    assert doc is not None
    assert doc.location(["list", 2]) == Location("t", 2, 14)


def test_bom_is_fine_and_does_not_shift_columns(pure: bool) -> None:
    doc, diags = load_yaml_text("\ufeffid: x\n".encode(), "t", pure_python=pure)
    assert diags == [] and doc is not None
    assert doc.data == {"id": "x"}
    assert doc.location(["id"]) == Location("t", 1, 5)


def test_null_and_tilde_are_none(pure: bool) -> None:
    doc, diags = load_yaml_text("a: null\nb: ~\nc:\nd: 'null'\n", "t", pure_python=pure)
    assert diags == [] and doc is not None
    assert doc.data == {"a": None, "b": None, "c": None, "d": "null"}


def test_plain_numbers_and_booleans_load(pure: bool) -> None:
    doc, diags = load_yaml_text("a: 5\nb: -3\nc: 0.5\nd: true\ne: False\nf: '010'\n", "t", pure_python=pure)
    assert diags == [] and doc is not None
    assert doc.data == {"a": 5, "b": -3, "c": 0.5, "d": True, "e": False, "f": "010"}


HAZARDS = [
    ("Y101", "a: 1\nb: 2\na: 3\n", 3, 1),
    ("Y101", "roles:\n  x:\n    title: A\n    kind: body\n    title: B\n", 5, 5),
    ("Y102", "a:\n  required: yes\n", 2, 13),
    ("Y102", "a: [true, Off]\n", 1, 11),
    ("Y102", "flag: N\n", 1, 7),
    ("Y103", "effective_from: 2024-01-02\n", 1, 17),
    ("Y103", "a:\n  - {date: 2024-12-24, name: x}\n", 2, 12),
    ("Y103", "2024-01-02: x\n", 1, 1),
    ("Y104", "a: !!python/object/apply:os.system ['ls']\n", 1, 4),
    ("Y104", "a:\n  b: !secret x\n", 2, 6),
    ("Y104", "a: !!set {x}\n", 1, 4),
    ("Y105", "a:\n\tb: 1\n", 2, 1),
    ("Y105", "a:\n  b:\n  \t c: 1\n", 3, 3),
    ("Y107", "", 1, 1),
    ("Y107", "# just a comment\n\n", 1, 1),
    ("Y108", "- a\n- b\n", 1, 1),
    ("Y108", "just text\n", 1, 1),
    ("Y109", "a: &a [*a]\n", 1, 8),  # the alias inside the value it names
    ("Y111", "a: b\n  c: d: e\n", 2, 4),
    ("Y111", "title: 'not closed\n", 1, 8),  # where the quote opens, not where the file ends
    ("Y111", "a: *nowhere\n", 1, 4),
    ("Y112", "base: &b {x: 1}\nc:\n  <<: *b\n", 3, 3),
    ("Y113", "1: one\n", 1, 1),
    ("Y113", "a:\n  ? [x, y]\n  : z\n", 2, 5),
    ("Y113", "a:\n  null: 1\n", 2, 3),
    ("Y114", "n: 010\n", 1, 4),
    ("Y114", "at: 12:30\n", 1, 5),
    ("Y114", "x: 0x1F\n", 1, 4),
    ("Y114", "x: 1_000\n", 1, 4),
    ("Y114", "x: .inf\n", 1, 4),
    ("Y115", "version: 1.10\n", 1, 10),
    ("Y115", "version: 2\n", 1, 10),
    ("Y116", "a: 1\n---\nb: 2\n", 2, 1),
    ("Y117", "a: 1\nb: x\x00y\n", 2, 5),
    ("Y117", "a: 1\nb: x\x0by\n", 2, 5),
]


@pytest.mark.parametrize(("code", "text", "line", "col"), HAZARDS,
                         ids=[f"{h[0]}-{i}" for i, h in enumerate(HAZARDS)])
def test_each_hazard_is_reported_at_its_line_and_col(code: str, text: str, line: int, col: int,
                                                     pure: bool) -> None:
    assert codes_at(text, pure) == [(code, line, col)]


def test_every_diagnostic_has_a_hint_and_a_known_code(pure: bool) -> None:
    known = {c.code: c.slug for c in CODES}
    for code, text, _, _ in HAZARDS:
        _, diags = load_yaml_text(text, "t", pure_python=pure)
        for d in diags:
            assert known[d.code] == d.slug
            if d.code != "Y107" or code == "Y107":
                assert d.hint, d


def test_hazards_are_all_collected_not_just_the_first(pure: bool) -> None:
    text = "a: yes\nb: 2024-01-01\nc: 1\nc: 2\nversion: 1.0\n"
    assert [c for c, _, _ in codes_at(text, pure)] == ["Y102", "Y103", "Y101", "Y115"]


def test_flagged_values_keep_their_source_text(pure: bool) -> None:
    doc, diags = load_yaml_text("a: yes\nb: 2024-01-01\nversion: 1.10\nn: 010\n", "t", pure_python=pure)
    assert doc is not None and len(diags) == 4
    assert doc.data == {"a": "yes", "b": "2024-01-01", "version": "1.10", "n": "010"}


def test_duplicate_key_names_the_first_line(pure: bool) -> None:
    _, diags = load_yaml_text("a: 1\nb: 2\na: 3\n", "t", pure_python=pure)
    assert "first on line 1" in diags[0].message


def test_python_tags_are_never_constructed(pure: bool) -> None:
    doc, diags = load_yaml_text("a: !!python/object/apply:os.system ['echo hacked']\n", "t", pure_python=pure)
    assert [d.code for d in diags] == ["Y104"]
    assert "tags" in (diags[0].hint or "")
    assert doc is not None and doc.data == {"a": ["echo hacked"]}


def test_tab_inside_a_block_scalar_is_content(pure: bool) -> None:
    doc, diags = load_yaml_text("d: |\n  one\n  \ttwo\n", "t", pure_python=pure)
    assert diags == [] and doc is not None
    assert doc.data["d"] == "one\n\ttwo\n"


def test_tab_syntax_error_is_reported_once_as_tab(pure: bool) -> None:
    assert codes_at("a: 1\n\tb: 2\n", pure) == [("Y105", 2, 1)]


def test_not_utf8_points_at_the_byte(pure: bool) -> None:
    _, diags = load_yaml_text("title: ok\nname: Caf\xe9 \x96 x\n".encode("latin-1"), "t", pure_python=pure)
    assert [(d.code, d.location.line, d.location.col) for d in diags] == [("Y106", 2, 10)]
    assert "UTF-8" in (diags[0].hint or "")


def test_billion_laughs_is_refused_quickly(pure: bool) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = chr(96 + i)
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{prev}"] * 9) + "]")
    doc, diags = load_yaml_text("\n".join(lines) + "\n", "t", pure_python=pure)
    assert doc is None and [d.code for d in diags] == ["Y109"]


def test_expansion_size_is_guarded_even_under_the_alias_limit(pure: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_VALUES", 50)
    text = "a: &a [" + ",".join(["x"] * 20) + "]\nb: [*a, *a, *a]\n"
    doc, diags = load_yaml_text(text, "t", pure_python=pure)
    assert doc is None and [d.code for d in diags] == ["Y109"]


def test_deep_nesting_is_refused(pure: bool) -> None:
    _, diags = load_yaml_text("a: " + "[" * 200 + "]" * 200 + "\n", "t", pure_python=pure)
    assert [d.code for d in diags] == ["Y118"]
    block = "".join(" " * i + f"k{i}:\n" for i in range(80)) + " " * 80 + "v: 1\n"
    _, diags = load_yaml_text(block, "t", pure_python=pure)
    assert [d.code for d in diags] == ["Y118"]


def test_too_large_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("notes:\n" + "  - x\n" * 200_000, encoding="utf-8")
    doc, diags = load_yaml_file(big, "big.yaml")
    assert doc is None and [(d.code, str(d.location)) for d in diags] == [("Y110", "big.yaml:1:1")]


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    doc, diags = load_yaml_file(tmp_path / "missing.yaml", "missing.yaml")
    assert doc is None and [d.code for d in diags] == ["Y119"]
    assert diags[0].location == Location("missing.yaml")


def test_display_name_is_used_in_locations() -> None:
    doc, _ = load_yaml_file(HERE / "definitions/valid/local_extends.yaml", "processes/x.yaml")
    assert doc is not None and doc.file == "processes/x.yaml"
    assert doc.location(["id"]).file == "processes/x.yaml"


def test_both_loaders_agree_on_every_position() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("libyaml not available")
    for path in VALID:
        fast, _ = load_yaml_file(path)
        slow, _ = load_yaml_file(path, pure_python=True)
        assert fast is not None and slow is not None
        assert fast.data == slow.data
        assert fast._values == slow._values and fast._keys == slow._keys


@pytest.mark.parametrize("path", INVALID_Y, ids=lambda p: p.name)
def test_invalid_corpus_file_reports_its_expected_code(path: Path, pure: bool) -> None:
    expected = path.read_bytes().split(b"\n", 1)[0].decode().removeprefix("# expect: ").strip()
    _, diags = load_yaml_file(path, pure_python=pure)
    assert {d.code for d in diags} == {expected}


def test_the_bad_character_class_is_the_complement_of_what_yaml_reads() -> None:
    """`_BAD_CHAR` lists the complement's ranges (fast to compile); it must be exactly the old class."""
    import re

    from reviewflow.engine.definition import yamltext

    allowed = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    every = "".join(map(chr, range(0x110000)))
    assert yamltext._BAD_CHAR.findall(every) == allowed.findall(every)
