"""A partnership's repository, from an installed wheel: #9's whole story as a business unit lives it.

The wheel is installed into a fresh venv (tests/installed.py). Everything below runs in a temporary git
repository outside the checkout, through the installed `reviewflow` and `pre-commit`, and no command is
given a path into the checkout or into site-packages.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from installed import ROOT, Installed, source_copy

pytestmark = pytest.mark.slow

TEN_WORKING_DAYS = "    due: {working_days: 10, after: notified_panel}\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Business Unit", "-c", "user.email=bu@example.org", *args],
                   cwd=repo, check=True, capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "devon-procedures"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    return folder


def no_paths_into_the_install(*outputs: str) -> None:
    for output in outputs:
        assert str(ROOT) not in output and "site-packages" not in output, output


def test_a_partnership_repository_from_new_to_a_decided_case(installed: Installed, repo: Path) -> None:
    rf = installed.run
    created = rf("reviewflow", "new", "devon", "--extends", "wt2023-national", cwd=repo, check=True)
    assert "created processes/devon/devon.yaml" in created.stdout
    assert "created .pre-commit-config.yaml" in created.stdout and "created README.md" in created.stdout
    modeline = (repo / "processes" / "devon" / "devon.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert modeline == "# yaml-language-server: $schema=../../schemas/process.schema.json"

    validated = rf("reviewflow", "validate", cwd=repo, check=True)
    assert validated.stdout.strip().endswith("2 files checked: 0 errors, 0 warnings (ok)")
    tested = rf("reviewflow", "test", cwd=repo, check=True)
    assert tested.stdout.splitlines() == [
        "PASS processes/devon/scenarios/starter.yaml  Devon starter: a case opens  (on processes/devon/devon.yaml)",
        "1 passed, 0 failed"]
    listed = rf("reviewflow", "processes", cwd=repo, check=True)
    devon = next(line for line in listed.stdout.splitlines() if line.startswith("devon "))
    assert "workspace" in devon and devon.rstrip().endswith("processes/devon/devon.yaml")
    no_paths_into_the_install(created.stdout, validated.stdout, tested.stdout, listed.stdout)

    # A scenario with a wrong date fails, and says where.
    wrong = (repo / "processes" / "devon" / "scenarios" / "wrong.yaml")
    wrong.write_text((repo / "processes" / "devon" / "scenarios" / "starter.yaml").read_text(encoding="utf-8")
                     .replace("stage: aware", "stage: notification").replace("ref: DEVON-STARTER-1", "ref: W-1"),
                     encoding="utf-8")
    failing = rf("reviewflow", "test", cwd=repo)
    assert failing.returncode == 1 and "FAIL processes/devon/scenarios/wrong.yaml" in failing.stdout
    assert failing.stdout.splitlines()[-1] == "1 passed, 1 failed"
    wrong.unlink()

    # A case of the workspace's own process, driven to a decision; dates over Christmas 2024.
    db = ["--db", "cases.db"]
    rf("reviewflow", "case", "open", "devon", "DEVON-2024-7", "--at", "2024-12-19", "--by", "local_authority",
       "--pseudonym", "Child A", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true", *db,
       cwd=repo, check=True)
    decided = rf("reviewflow", "case", "decide", "DEVON-2024-7", "notification_decision", "notify",
                 "--at", "2024-12-20", "--by", "local_authority", "--rationale", "s16C(1) criteria met", *db,
                 cwd=repo, check=True)
    assert "notify" in decided.stdout
    shown = rf("reviewflow", "case", "show", "DEVON-2024-7", *db, cwd=repo, check=True)
    # Aware Thu 19 Dec 2024: Fri 20 (1), Mon 23 (2), Tue 24 (3), Fri 27 (4), Mon 30 Dec (5).
    assert "2024-12-30" in shown.stdout and "(opened from processes/devon/devon.yaml)" in shown.stdout
    counted = rf("reviewflow", "calendar", "add", "2024-12-19", "5", "--process", "devon", cwd=repo, check=True)
    assert counted.stdout.startswith("2024-12-30 (Mon) is 5 working days after 2024-12-19 (Thu).")

    # A newer version of the definition is noticed; the case stays on its own.
    definition = repo / "processes" / "devon" / "devon.yaml"
    definition.write_text(definition.read_text(encoding="utf-8").replace('version: "0.1.0"', 'version: "0.2.0"'),
                          encoding="utf-8")
    again = rf("reviewflow", "case", "show", "DEVON-2024-7", *db, cwd=repo, check=True)
    assert "A newer version of this definition exists in processes/devon/devon.yaml (version 0.2.0" in again.stdout
    no_paths_into_the_install(decided.stdout, shown.stdout, again.stdout, counted.stdout)


def test_the_generated_pre_commit_config_checks_definitions_and_ignores_other_yaml(
        installed: Installed, repo: Path) -> None:
    rf = installed.run
    rf("reviewflow", "new", "devon", "--extends", "wt2023-national", cwd=repo, check=True)
    rf("python", "-m", "pip", "install", "--quiet", "pre-commit", cwd=repo, check=True)
    home = {"PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    git(repo, "add", "-A")
    clean = rf("pre-commit", "run", "--all-files", cwd=repo, **home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "reviewflow validate" in clean.stdout and "Passed" in clean.stdout

    # A slip in the definition is stopped; the CI workflow and the pre-commit config (YAML too) are not
    # mistaken for definitions.
    definition = repo / "processes" / "devon" / "devon.yaml"
    definition.write_text(definition.read_text(encoding="utf-8") + "\ndeadlnes: {}\n", encoding="utf-8")
    git(repo, "add", "-A")
    broken = rf("pre-commit", "run", "--all-files", cwd=repo, **home)
    assert broken.returncode == 1
    assert "processes/devon/devon.yaml:" in broken.stdout and "S101" in broken.stdout
    assert ".pre-commit-config.yaml:" not in broken.stdout and "reviewflow.yml:" not in broken.stdout

    # Only other YAML changed: both hooks have nothing to do.
    definition.write_text(definition.read_text(encoding="utf-8").replace("\ndeadlnes: {}\n", ""), encoding="utf-8")
    (repo / "notes.yaml").write_text("meeting: tuesday\n", encoding="utf-8")
    git(repo, "add", "-A")
    only_other = rf("pre-commit", "run", "--files", "notes.yaml", cwd=repo, **home)
    assert only_other.returncode == 0, only_other.stdout


def test_the_published_hooks_work_from_a_tagged_release(installed: Installed, repo: Path, tmp_path: Path) -> None:
    """The remote-hook configuration docs/ci.md documents, against a tagged copy of this repository."""
    rf = installed.run
    release = source_copy(tmp_path / "release-src")
    git(release, "init", "-q", "-b", "main")
    git(release, "add", "-A")
    git(release, "commit", "-q", "-m", "release")
    git(release, "tag", "v0.2.0")
    rf("reviewflow", "new", "devon", "--extends", "wt2023-national", cwd=repo, check=True)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {release.as_uri()}\n    rev: v0.2.0\n    hooks:\n"
        "      - id: reviewflow-validate\n      - id: reviewflow-test\n", encoding="utf-8")
    rf("python", "-m", "pip", "install", "--quiet", "pre-commit", cwd=repo, check=True)
    git(repo, "add", "-A")
    run = rf("pre-commit", "run", "--all-files", cwd=repo, PRE_COMMIT_HOME=str(tmp_path / "pc-home"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Passed") == 2


def test_a_copied_bundled_definition_is_what_its_scenarios_run_on(installed: Installed, repo: Path) -> None:
    rf = installed.run
    copied = rf("reviewflow", "copy", "leeds-rapid-review", cwd=repo, check=True)
    assert "created processes/leeds/leeds-rapid-review.yaml" in copied.stdout
    validated = rf("reviewflow", "validate", cwd=repo)
    assert validated.returncode == 0 and "L107" in validated.stdout and "L103" not in validated.stdout
    passing = rf("reviewflow", "test", cwd=repo, check=True)
    lines = passing.stdout.splitlines()
    assert lines[-1] == "8 passed, 0 failed"  # the bundled Leeds scenarios
    assert all(line.endswith("(on processes/leeds/leeds-rapid-review.yaml)") for line in lines[:-1])

    copy = repo / "processes" / "leeds" / "leeds-rapid-review.yaml"
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace("  rapid_review_due:\n", "  rapid_review_due:\n" + TEN_WORKING_DAYS, 1),
                    encoding="utf-8")
    failing = rf("reviewflow", "test", cwd=repo)
    assert failing.returncode == 1
    assert "rapid_review_due" in failing.stdout and "FAIL processes/leeds/scenarios/" in failing.stdout
    no_paths_into_the_install(copied.stdout, validated.stdout, passing.stdout, failing.stdout)
    shutil.rmtree(repo / "processes")
