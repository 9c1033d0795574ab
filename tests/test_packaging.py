"""The released artefacts: a wheel that installs one top-level name, and an sdist that carries the tests.

The wheel is installed into a fresh venv (dependencies from the package index) and run from a folder
that has its own `engine/` and `cli.py`: reviewflow must neither break them nor be broken by them.
"""

from __future__ import annotations

import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from installed import ROOT, Installed, build, source_copy

pytestmark = pytest.mark.slow


def test_the_wheel_installs_nothing_at_the_top_level_but_reviewflow(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"reviewflow"}
    assert "reviewflow/py.typed" in names
    assert "reviewflow/processes/leeds/leeds-rapid-review.yaml" in names
    assert "reviewflow/schemas/process.schema.json" in names
    assert not [n for n in names if n.startswith(("reviewflow/tests/", "reviewflow/bench/", "reviewflow/scripts/"))]


def test_every_python_package_of_the_tree_is_in_the_wheel(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = {n for n in wheel.namelist() if n.endswith(".py")}
    tree = {"reviewflow/" + p.relative_to(ROOT).as_posix()
            for folder in ("engine", "commands") for p in (ROOT / folder).rglob("*.py")
            if "__pycache__" not in p.parts}
    tree |= {"reviewflow/cli.py", "reviewflow/launch.py", "reviewflow/__init__.py", "reviewflow/__main__.py"}
    assert tree - shipped == set(), "add the missing packages to [tool.setuptools] packages in pyproject.toml"


def test_the_installed_tool_works_beside_a_project_with_its_own_engine_and_cli(
        installed: Installed, tmp_path: Path) -> None:
    folder = tmp_path / "their-project"
    (folder / "engine").mkdir(parents=True)
    (folder / "engine" / "__init__.py").write_text("raise ImportError('this is their engine, not reviewflow')\n")
    (folder / "cli.py").write_text("raise ImportError('this is their cli, not reviewflow')\n")
    (folder / "commands.py").write_text("raise ImportError('their commands')\n")

    help_text = installed.run("python", "-m", "reviewflow", "--help", cwd=folder, check=True)
    assert "Usage: python -m reviewflow" in help_text.stdout or "Usage: reviewflow" in help_text.stdout
    validated = installed.run("reviewflow", "validate", cwd=folder, check=True)
    assert "0 errors" in validated.stdout + validated.stderr
    db = str(folder / "cases.db")
    installed.run("reviewflow", "case", "open", "leeds-rapid-review", "LEEDS-T-1", "--at", "2023-12-21",
                  "--by", "local_authority", "--pseudonym", "Child T", "--set", "harm=seriously_harmed",
                  "--set", "abuse_or_neglect=true", "--set", "agencies=police,health", "--db", db,
                  cwd=folder, check=True)
    shown = installed.run("python", "-m", "reviewflow", "case", "show", "LEEDS-T-1", "--as-of", "2023-12-22",
                          "--db", db, cwd=folder, check=True)
    assert "2024-01-02" in shown.stdout  # notify the Panel: 5 working days over Christmas (facts.md WE-01)


def test_python_dash_m_reviewflow_is_the_same_command_line(installed: Installed, tmp_path: Path) -> None:
    via_module = installed.run("python", "-m", "reviewflow", "calendar", "add", "2023-12-21", "5", cwd=tmp_path)
    via_script = installed.run("reviewflow", "calendar", "add", "2023-12-21", "5", cwd=tmp_path)
    assert via_module.returncode == via_script.returncode == 0, via_module.stderr
    assert via_module.stdout == via_script.stdout


def test_the_sdist_carries_everything_the_tests_need(tmp_path: Path) -> None:
    sdist = build(source_copy(tmp_path), "sdist", tmp_path / "dist")
    with tarfile.open(sdist) as archive:
        shipped = {"/".join(m.name.split("/")[1:]) for m in archive.getmembers() if m.isfile()}
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.split())
    if not tracked:
        pytest.skip("not a git checkout")
    missing = sorted(t for t in tracked - shipped if (ROOT / t).exists() and not t.startswith(".github/"))
    assert not missing, f"MANIFEST.in leaves out: {missing[:20]}"


def test_the_version_printed_is_the_distribution_s(installed: Installed, tmp_path: Path) -> None:
    """`reviewflow --version` reads reviewflow.__version__ (cheap); it must be what the wheel says it is."""
    metadata = installed.run("python", "-c", "import importlib.metadata as m; print(m.version('reviewflow'))",
                             cwd=tmp_path, check=True).stdout.strip()
    printed = installed.run("reviewflow", "--version", cwd=tmp_path, check=True).stdout.strip()
    assert printed == f"reviewflow, version {metadata}"
    assert metadata == tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
