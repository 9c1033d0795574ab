"""Build the wheel once per test session and install it into a fresh venv, as a partnership would.

Used by the tests that prove the installed tool: nothing they run may reach into the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.db", "build", "dist", "*.egg-info",
                                 ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "demo-output")


def source_copy(work: Path) -> Path:
    """A copy of the tree to build from, so a build never leaves build/ or *.egg-info in the checkout."""
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    return source


def build(source: Path, kind: str, out: Path) -> Path:
    """`python -m build` in an isolated environment, as a release is built."""
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, "-m", "build", f"--{kind}", "--outdir", str(out), str(source)],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"building the {kind} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return next(out.glob("reviewflow-*.whl" if kind == "wheel" else "reviewflow-*.tar.gz"))


@dataclass(frozen=True)
class Installed:
    """A fresh venv holding the wheel and its dependencies (from the package index, not this venv)."""

    venv: Path
    wheel: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "VIRTUAL_ENV", "REVIEWFLOW_DB", "REVIEWFLOW_PATH")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env.update(extra)
        return env

    def run(self, *args: str, cwd: Path, check: bool = False, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run a program of the venv (`reviewflow`, `python`, ...) in `cwd`."""
        program = str(self.bin / args[0]) if (self.bin / args[0]).exists() else args[0]
        result = subprocess.run([program, *args[1:]], cwd=cwd, env=self.env(**extra), capture_output=True,
                                text=True, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result


def install(work: Path) -> Installed:
    wheel = build(source_copy(work), "wheel", work / "dist")
    target = work / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                   check=True, capture_output=True, text=True, timeout=600)
    return Installed(target, wheel)
