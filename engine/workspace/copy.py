"""`reviewflow copy`: a bundled definition and its scenarios, copied into the workspace to adapt.

The copy keeps its id, so it shadows the bundled definition: cases opened and scenarios run with that id
use the partnership's file (`validate` says so once, L107). The scenarios come along so that an edit which
moves a date is caught at once: change 15 working days to 10 and the copied scenarios fail.
"""

from __future__ import annotations

import re
from pathlib import Path

from reviewflow.engine.definition.loader import SCENARIOS_DIR, Registry
from reviewflow.engine.definition.searchpath import WORKSPACE_FOLDER, bundled_only
from reviewflow.engine.errors import EngineError, NotFoundError, did_you_mean
from reviewflow.engine.paths import processes_dir
from reviewflow.engine.workspace import files
from reviewflow.engine.workspace.files import Planned

_PROCESS_LINE = re.compile(r"""^process:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)


def copy_bundled(process_id: str, workspace: Path) -> list[Planned]:
    """Copy the bundled definition `process_id` and the bundled scenarios that run it into `workspace`."""
    registry = Registry(bundled_only().roots)
    source = registry.path_for(process_id)
    if source is None:
        raise NotFoundError(f'no bundled process has the id "{process_id}"',
                            did_you_mean(process_id, registry.ids()) or "see `reviewflow processes`")
    relative = source.resolve().relative_to(processes_dir().resolve())
    target = workspace / WORKSPACE_FOLDER / relative
    copies = [Planned(target, source.read_text(encoding="utf-8"))]
    for scenario in sorted((source.parent / SCENARIOS_DIR).glob("*.yaml")):
        text = scenario.read_text(encoding="utf-8")
        found = _PROCESS_LINE.search(text)
        if found is not None and found.group(1) == process_id:
            copies.append(Planned(target.parent / SCENARIOS_DIR / scenario.name, text))
    taken = [c.path for c in copies if c.path.exists()]
    if taken:
        raise EngineError(f"{taken[0]} already exists; nothing was copied",
                          "remove or rename it first: a copy never overwrites the workspace's own files")
    written = [files.write_if_absent(c) for c in copies]
    # The copies' schema modelines point at the workspace's schemas/ folder, as the bundled files' do.
    schemas = [files.write_if_absent(s) for s in files.schema_files(workspace / files.SCHEMA_FOLDER)]
    return [*written, *schemas]
