"""The import rules of docs/architecture.md, read from the source with `ast`.

- each third-party library has one home;
- the engine never imports the CLI, never prints, never exits, never reads the clock;
- engine modules import one another only downwards (LAYERS), and there is no import cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"

# Lower numbers are more basic. A module may import modules of its own layer or below.
LAYERS: dict[str, int] = {
    "engine": 0,
    "engine.errors": 0,
    "engine.events": 0,
    "engine.paths": 0,
    "engine.workdays_table": 0,
    "engine.expression_parser": 0,
    "engine.model": 1,
    "engine.workdays_cache": 1,
    "engine.workdays_source": 1,
    "engine.workdays_reference": 1,
    "engine.store_types": 1,
    "engine.scenarios_model": 1,
    "engine.expressions": 2,
    "engine.workdays": 2,
    "engine.yamlio": 2,
    "engine.store_support": 2,
    "engine.schema": 3,
    "engine.overlay": 3,
    "engine.store": 3,
    "engine.machine": 3,
    "engine.deadlines": 3,
    "engine.gates": 3,
    "engine.tasks": 3,
    "engine.builder": 4,
    "engine.loader": 5,
    "engine.lint": 6,
    "engine.validation": 7,
    "engine.runtime": 5,
    "engine.allowed": 5,
    "engine.case_checks": 6,
    "engine.controls": 7,
    "engine.actions": 8,
    "engine.service": 9,
    "engine.scenarios_check": 3,
    "engine.scenarios_run": 3,
    "engine.scenarios": 10,
    "engine.scenarios_report": 11,
    "engine.render": 11,
}

THIRD_PARTY_HOMES: dict[str, tuple[str, ...]] = {
    "yaml": ("engine/yamlio.py",),
    "jsonschema": ("engine/schema.py",),
    "transitions": ("engine/machine.py",),
    "sqlite3": ("engine/store.py",),
    "holidays": ("engine/workdays_source.py", "engine/workdays_reference.py"),
    "pendulum": ("engine/workdays.py",),
    "click": ("cli.py", "commands/"),
}

FORBIDDEN_CALLS = {
    ("date", "today"): "reads the clock: pass the date in (at=, as_of=)",
    ("datetime", "now"): "reads the clock: pass the time in",
    ("datetime", "today"): "reads the clock: pass the time in",
    ("datetime", "utcnow"): "reads the clock: pass the time in",
    ("time", "time"): "reads the clock: pass the time in",
    ("sys", "exit"): "exits: raise an EngineError and let the CLI choose the exit code",
}


def python_files() -> list[Path]:
    files = [ROOT / "cli.py", *sorted((ROOT / "commands").glob("*.py")), *sorted(ENGINE.rglob("*.py"))]
    return [f for f in files if "__pycache__" not in f.parts]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, *, module_level_only: bool = False) -> Iterator[tuple[str, int]]:
    """Imported module names with their line, skipping `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)

    def visit(node: ast.AST, depth: int) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            if _type_checking_block(child):
                continue
            nested = depth + (1 if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) else 0)
            if isinstance(child, ast.Import) and not (module_level_only and depth):
                for alias in child.names:
                    yield alias.name, child.lineno
            elif isinstance(child, ast.ImportFrom) and not (module_level_only and depth):
                if child.level:
                    base = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    name = f"{base}.{child.module}" if child.module else base
                else:
                    name = child.module or ""
                yield name, child.lineno
                if child.module is None or child.level == 0 and child.module == "engine":
                    for alias in child.names:  # `from engine import store` imports engine.store
                        yield f"{name}.{alias.name}", child.lineno
            yield from visit(child, nested)

    yield from visit(tree, 0)


def layer_of(module: str) -> int | None:
    while module:
        if module in LAYERS:
            return LAYERS[module]
        module = module.rpartition(".")[0]
    return None


@pytest.mark.parametrize("library,homes", sorted(THIRD_PARTY_HOMES.items()))
def test_each_third_party_library_has_one_home(library: str, homes: tuple[str, ...]) -> None:
    offenders = []
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        if any(rel == h or (h.endswith("/") and rel.startswith(h)) for h in homes):
            continue
        for name, line in imports(path):
            if name == library or name.startswith(library + "."):
                offenders.append(f"{rel}:{line}")
    assert not offenders, f"{library} may only be imported by {', '.join(homes)}; found in {offenders}"


def test_engine_never_imports_the_cli() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}:{line} imports {name}"
        for p in ENGINE.rglob("*.py")
        for name, line in imports(p)
        if name.split(".")[0] in {"cli", "commands", "click"}
    ]
    assert not offenders


def test_engine_never_prints_exits_or_reads_the_clock() -> None:
    offenders = []
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"print", "input", "exit", "quit"}:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {func.id}()")
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                reason = FORBIDDEN_CALLS.get((func.value.id, func.attr))
                if reason:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {func.value.id}.{func.attr}(): {reason}")
    assert not offenders, "\n".join(offenders)


def test_every_engine_module_has_a_layer() -> None:
    missing = [module_name(p) for p in ENGINE.rglob("*.py")
               if "__pycache__" not in p.parts and layer_of(module_name(p)) is None]
    assert not missing, f"add {missing} to LAYERS in tests/test_layering.py (and to docs/architecture.md)"


def test_engine_imports_only_go_downwards() -> None:
    offenders = []
    for path in ENGINE.rglob("*.py"):
        source = module_name(path)
        source_layer = layer_of(source)
        for name, line in imports(path):
            if not name.startswith("engine"):
                continue
            target_layer = layer_of(name)
            if source_layer is not None and target_layer is not None and target_layer > source_layer:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {source} (layer {source_layer}) imports "
                                 f"{name} (layer {target_layer})")
    assert not offenders, "\n".join(offenders)


def test_no_import_cycles_between_engine_modules() -> None:
    graph: dict[str, set[str]] = {}
    modules = {module_name(p): p for p in ENGINE.rglob("*.py") if "__pycache__" not in p.parts}
    for module, path in modules.items():
        graph[module] = {n for n, _ in imports(path, module_level_only=True) if n in modules and n != module
                         and n != "engine"}
    visiting: set[str] = set()
    done: set[str] = set()
    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        if node in done:
            return
        if node in visiting:
            cycles.append([*trail[trail.index(node):], node])
            return
        visiting.add(node)
        for nxt in sorted(graph.get(node, ())):
            walk(nxt, [*trail, node])
        visiting.discard(node)
        done.add(node)

    for module in sorted(graph):
        walk(module, [])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('jsonschema', 'holidays', 'pendulum', 'transitions', 'sqlite3') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in result.stdout or result.stdout.rstrip().endswith("HEAVY="), result.stdout
