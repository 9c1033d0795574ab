"""Issue #10 item 14: the bundled definitions cite their sources, and the national bases cite Working
Together itself, the Regulations or the Panel - never a partnership's manual."""

from __future__ import annotations

import pytest
from reviewflow.engine.definition.loader import default_registry, load_path
from reviewflow.engine.definition.model import Process
from reviewflow.engine.paths import processes_dir
from reviewflow.engine.validation import validate_paths

NATIONAL = ("wt2018-national", "wt2023-national")
NATIONAL_SOURCES = {"wt2018-national": {"WT-2018", "REG", "PANEL-FAQ"},
                    "wt2023-national": {"WT-2023", "REG", "PANEL-FAQ"}}


def _process(process_id: str) -> Process:
    registry = default_registry()
    path = registry.path_for(process_id)
    assert path is not None
    result = load_path(path, registry)
    assert result.process is not None, result.diagnostics
    return result.process


def _citations(process: Process) -> list[tuple[str, str]]:
    out = []
    for section in ("roles", "events", "stages", "deadlines", "gates", "holds"):
        for element in getattr(process, section).values():
            if element.cite is not None:
                out.append((f"{section}.{element.id}", element.cite.source))
    return out


@pytest.mark.parametrize("process_id", NATIONAL)
def test_national_bases_cite_working_together_the_regulations_or_the_panel(process_id: str) -> None:
    process = _process(process_id)
    assert set(process.sources) == NATIONAL_SOURCES[process_id]
    wrong = [(where, source) for where, source in _citations(process) if source not in NATIONAL_SOURCES[process_id]]
    assert wrong == []


def test_every_bundled_definition_validates_with_no_warning() -> None:
    """R108 (uncited elements), C408 (a dropped notification recipient) and every other warning."""
    report = validate_paths([processes_dir()], registry=default_registry())
    problems = [str(d) for f in report.files for d in f.diagnostics]
    assert problems == []
