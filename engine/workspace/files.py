"""The files around a partnership's definitions: README, requirements, schemas, pre-commit and CI.

Each is written only when absent: a partnership's repository may already have a README or a CI set-up,
and those are theirs. The pre-commit hooks and the CI job run the `reviewflow` that requirements.txt
installs, so the checks on a laptop, in pre-commit and in CI are the same program at the same version.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from reviewflow.engine.paths import schema_path

SCHEMA_FOLDER = "schemas"
SCHEMA_NAMES = ("process", "scenario")
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
CI_WORKFLOW = ".github/workflows/reviewflow.yml"


@dataclass(frozen=True)
class Planned:
    """A file `new` writes, or keeps because it is already there."""

    path: Path
    text: str
    written: bool = False


def reviewflow_version() -> str:
    try:
        return metadata.version("reviewflow")
    except metadata.PackageNotFoundError:  # running from a tree that was never installed
        return "0"


def schema_files(folder: Path) -> list[Planned]:
    """The JSON Schemas of this reviewflow, to vendor into `folder` (editors read them from there)."""
    return [Planned(folder / f"{name}.schema.json", schema_path(name).read_text(encoding="utf-8"))
            for name in SCHEMA_NAMES]


def requirements_text() -> str:
    return ("# The reviewflow release this repository's definitions are checked with (README.md).\n"
            f"reviewflow=={reviewflow_version()}\n")


GITIGNORE_TEXT = """\
# Case records are about children: a case store never goes into this repository (README.md).
*.db
*.db-wal
*.db-shm
# Reports written by CI
scenario-results.xml
"""

PRE_COMMIT_TEXT = """\
# Checks before each commit, with the reviewflow that requirements.txt installs (README.md):
#   python -m pip install -r requirements.txt pre-commit && pre-commit install
# reviewflow-validate checks changed definitions and scenarios and ignores other YAML (this file,
# CI workflows); reviewflow-test runs every scenario of the workspace when a definition or a scenario
# changed, because a definition edit can break a scenario that did not change.
repos:
  - repo: local
    hooks:
      - id: reviewflow-validate
        name: reviewflow validate
        entry: reviewflow validate --skip-other-yaml
        language: system
        files: \\.ya?ml$
        require_serial: true
      - id: reviewflow-test
        name: reviewflow test
        entry: reviewflow test --if-changed
        language: system
        files: \\.ya?ml$
        require_serial: true
"""

CI_TEXT = """\
# Validates the definitions and runs every scenario on each push and pull request.
name: reviewflow
on:
  push:
  pull_request:
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install reviewflow
        run: python -m pip install -r requirements.txt
      - name: Validate the definitions
        run: reviewflow validate --format github
      - name: Run the scenarios
        run: reviewflow test --format junit --output scenario-results.xml
      - name: Keep the scenario report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: scenario-results
          path: scenario-results.xml
"""


def readme_text(name: str, partnership: str, base_id: str, definition: Path, starter: Path) -> str:
    return f"""\
# {name}: child safeguarding review procedures

This repository holds the {name} procedure for serious child safeguarding incidents (notification, rapid
review, the decision on a Child Safeguarding Practice Review, the review and its learning) as reviewflow
definitions, and the scenarios that prove them. reviewflow checks the procedure against the national
*Working Together* base it extends and runs cases through it with every working-day deadline worked out.

## What to edit
- `{definition.as_posix()}`: our procedure. It extends `{base_id}`: anything not written here is the
  base's. Change what is marked TODO (local role names, local steps and deadlines, sources). A local
  definition may tighten a statutory deadline, never loosen it; `reviewflow validate` says when it does.
- `{starter.parent.as_posix()}/`: scenarios. Each opens a case, records what happens and states the dates
  that must follow, counted by hand. Add one for every path of the procedure you rely on.
- `schemas/`: the JSON Schemas editors use to complete and check the YAML (refresh them after upgrading
  reviewflow with `reviewflow schema --write schemas`).

## The two checks
Run from this folder:

    reviewflow validate     # schema, semantics and conformance to the national base
    reviewflow test         # every scenario under processes/**/scenarios/

Both exit 0 when all is well and 1 otherwise, with the file, line and column of each problem. They run
before each commit (`.pre-commit-config.yaml`) and in CI (`.github/workflows/reviewflow.yml`).

## Setting up
    python -m pip install -r requirements.txt pre-commit
    pre-commit install

`requirements.txt` pins the reviewflow release; upgrade it deliberately, run both checks, and commit.

## Running a case
Case records are about children: keep the case store outside this repository (`.gitignore` refuses
`*.db` files here), e.g. on the business unit's protected drive or in the partnership's PostgreSQL:

    export REVIEWFLOW_DB=/secure/cases/{partnership}.db
    reviewflow case open {partnership} REF-2024-001 --at 2024-03-04 --by local_authority --pseudonym "Child A" \\
        --set harm=seriously_harmed --set abuse_or_neglect=true
    reviewflow case show REF-2024-001

A case keeps the exact text of the definition it was opened with; `reviewflow case show` says when this
repository has a newer version. Never put a child's name in a case: use a reference and a pseudonym.
"""


def write_if_absent(item: Planned) -> Planned:
    """Write the file unless something is already at its path (then it is the user's, and kept)."""
    if item.path.exists():
        return item
    item.path.parent.mkdir(parents=True, exist_ok=True)
    item.path.write_text(item.text, encoding="utf-8")
    return Planned(item.path, item.text, written=True)
