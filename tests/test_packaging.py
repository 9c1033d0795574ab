"""A non-editable install still finds processes/ and schemas/ and can validate and run them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip install --no-deps --target` from a copy of the source tree (dependencies come from this venv)."""
    work = tmp_path_factory.mktemp("pkg")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.db", "build", "*.egg-info", ".pytest_cache", ".mypy_cache",
        ".ruff_cache", ".hypothesis", "demo-output"))
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(target), str(source)],
        check=True, capture_output=True, text=True,
    )
    return target


def run_installed(target: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(target), "REVIEWFLOW_CACHE": str(cwd / "cache")}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)


def test_installed_package_carries_the_bundled_definitions_and_schemas(installed: Path, tmp_path: Path) -> None:
    assert (installed / "processes" / "leeds" / "leeds-rapid-review.yaml").is_file()
    assert (installed / "schemas" / "process.schema.json").is_file()
    result = run_installed(installed, (
        "import engine.paths as p; print(p.processes_dir()); print(p.schema_path())"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert str(installed) in result.stdout
    assert "/src/" not in result.stdout  # never the source checkout


def test_installed_package_validates_every_bundled_definition(installed: Path, tmp_path: Path) -> None:
    result = run_installed(installed, (
        "from engine.validation import validate_paths\n"
        "from engine.paths import processes_dir\n"
        "report = validate_paths([processes_dir()])\n"
        "print(len(report.files), report.error_count)\n"), tmp_path)
    assert result.returncode == 0, result.stderr
    files, errors = map(int, result.stdout.split())
    assert files >= 10 and errors == 0


def test_installed_package_loads_a_process_by_id_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    result = run_installed(installed, (
        "from engine.loader import load_process_by_id\n"
        "p = load_process_by_id('leeds-rapid-review')\n"
        "print(p.id, p.extends, len(p.stages))\n"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("leeds-rapid-review wt2023-national ")
