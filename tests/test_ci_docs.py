"""docs/ci.md quotes the files `reviewflow new` writes exactly, and the published hooks it describes."""

from __future__ import annotations

from pathlib import Path

import yaml
from reviewflow.engine.workspace.files import CI_TEXT, PRE_COMMIT_TEXT

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def test_the_github_actions_job_is_quoted_verbatim() -> None:
    assert f"```yaml\n{CI_TEXT}```" in DOC, "copy engine.workspace.files.CI_TEXT into docs/ci.md"


def test_the_pre_commit_config_is_quoted_verbatim() -> None:
    assert f"```yaml\n{PRE_COMMIT_TEXT}```" in DOC, "copy engine.workspace.files.PRE_COMMIT_TEXT into docs/ci.md"


def test_the_published_hooks_are_the_ones_the_doc_names_at_the_released_version() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = yaml.safe_load(PRE_COMMIT_TEXT)["repos"][0]["hooks"]
    assert [h["id"] for h in hooks] == [h["id"] for h in local] == ["reviewflow-validate", "reviewflow-test"]
    assert [h["entry"] for h in hooks] == [h["entry"] for h in local]
    for hook in hooks:
        assert f"- id: {hook['id']}" in DOC and f"`{hook['entry']} FILE…`" in DOC
    version = next(line.split('"')[1] for line in (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines()
                   if line.startswith("version = "))
    assert f"rev: v{version}" in DOC and f"reviewflow=={version}" in DOC
