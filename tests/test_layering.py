"""The import rules of docs/architecture.md, read from the source with `ast`.

Every import counts: module level, inside functions, and type-only (`if TYPE_CHECKING:`) alike, because
a type-only import is still a dependency a reader has to follow.

- each third-party library has one home;
- the engine never imports the CLI, never prints, never exits, never reads the clock;
- packages import one another only downwards (PACKAGE_LAYERS), and no modules import each other in a
  loop, inside a package or across packages.
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
PACKAGE = "reviewflow"

# Lower numbers are more basic. A module may import its own package, or a package of a lower layer.
PACKAGE_LAYERS: dict[str, int] = {
    "reviewflow.engine": 0,  # the package itself, errors, paths, events: the shared vocabulary
    "reviewflow.engine.calendar": 1,
    "reviewflow.engine.definition.guards": 1,
    "reviewflow.engine.store": 1,
    "reviewflow.engine.definition": 2,
    "reviewflow.engine.lint": 3,
    "reviewflow.engine.cases": 3,
    "reviewflow.engine.reports": 3,
    "reviewflow.engine.validation": 4,
    "reviewflow.engine.workspace": 4,
    "reviewflow.engine.service": 4,
    "reviewflow.engine.scenarios": 5,
    "reviewflow.engine.oversight": 5,
    "reviewflow.engine.integrity": 5,
    "reviewflow.engine.render": 6,
}
TOP_MODULES = {"reviewflow.engine.errors", "reviewflow.engine.paths", "reviewflow.engine.events",
               "reviewflow.engine.dates", "reviewflow.engine.output", "reviewflow.engine.values"}

THIRD_PARTY_HOMES: dict[str, tuple[str, ...]] = {
    "yaml": ("engine/definition/yamlio.py", "engine/definition/yamlsyntax.py",
             "engine/definition/yamlconstruct.py"),
    "jsonschema": ("engine/definition/schema.py",),
    "jsonschema_rs": ("engine/definition/schema.py",),
    "transitions": ("engine/cases/machine.py",),
    # Each backend's modules share a name: engine/store/sqlite*.py, engine/store/postgres*.py.
    "sqlite3": ("engine/store/sqlite*",),
    "psycopg": ("engine/store/postgres*",),
    "holidays": ("engine/calendar/source.py",),
    "pendulum": ("engine/calendar/workdays.py",),
    "click": ("cli.py", "commands/"),
    "icalendar": ("engine/render/ics.py",),
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
    files = [ROOT / "cli.py", ROOT / "launch.py", ROOT / "__main__.py", *sorted((ROOT / "commands").glob("*.py")),
             *sorted(ENGINE.rglob("*.py"))]
    return [f for f in files if "__pycache__" not in f.parts]


def engine_files() -> list[Path]:
    return [f for f in sorted(ENGINE.rglob("*.py")) if "__pycache__" not in f.parts]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE, *parts])


MODULES = {module_name(p) for p in python_files()}


def imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every module `path` imports (module level, in functions and type-only), with its line.

    `from pkg import name` counts as importing `pkg.name` when that is a module of this tree.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            submodules = [f"{name}.{a.name}" for a in node.names if f"{name}.{a.name}" in MODULES]
            if submodules:
                yield from ((s, node.lineno) for s in submodules)
                if len(submodules) == len(node.names):
                    continue
            yield name, node.lineno


def package_of(module: str) -> str | None:
    if module in TOP_MODULES:
        return "reviewflow.engine"
    probe = module
    while probe:
        if probe in PACKAGE_LAYERS:
            return probe
        probe = probe.rpartition(".")[0]
    return None


def engine_graph() -> dict[str, dict[str, int]]:
    """module -> {imported engine module: line}."""
    graph: dict[str, dict[str, int]] = {}
    for path in engine_files():
        source = module_name(path)
        graph[source] = {n: line for n, line in imports(path) if n.startswith("reviewflow.engine") and n != source}
    return graph


@pytest.mark.parametrize("library,homes", sorted(THIRD_PARTY_HOMES.items()))
def test_each_third_party_library_has_one_home(library: str, homes: tuple[str, ...]) -> None:
    offenders = []
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        if any(rel == h or (h.endswith(("/", "*")) and rel.startswith(h.rstrip("*"))) for h in homes):
            continue
        for name, line in imports(path):
            if name == library or name.startswith(library + "."):
                offenders.append(f"{rel}:{line}")
    assert not offenders, f"{library} may only be imported by {', '.join(homes)}; found in {offenders}"


def test_engine_never_imports_the_cli() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}:{line} imports {name}"
        for p in engine_files()
        for name, line in imports(p)
        if name.split(".")[0] == "click" or name.startswith(("reviewflow.cli", "reviewflow.commands"))
    ]
    assert not offenders


def test_the_library_uses_only_its_installed_name() -> None:
    """No `import engine...` or `from commands...`: only `reviewflow.…`, so nothing collides in site-packages."""
    offenders = [f"{p.relative_to(ROOT)}:{line} imports {name}"
                 for p in python_files() for name, line in imports(p)
                 if name.split(".")[0] in {"engine", "commands", "cli", "processes", "schemas"}]
    assert not offenders


def test_engine_never_prints_exits_or_reads_the_clock() -> None:
    offenders = []
    for path in engine_files():
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


def test_every_engine_module_belongs_to_a_layered_package() -> None:
    missing = [m for m in engine_graph() if package_of(m) is None]
    assert not missing, f"add {missing} to PACKAGE_LAYERS in tests/test_layering.py (and to docs/architecture.md)"


def test_packages_import_only_downwards() -> None:
    offenders = []
    for source, targets in engine_graph().items():
        home = package_of(source)
        for target, line in targets.items():
            there = package_of(target)
            if home is None or there is None or there == home:
                continue
            if PACKAGE_LAYERS[there] >= PACKAGE_LAYERS[home]:
                offenders.append(f"{source}:{line} ({home}, layer {PACKAGE_LAYERS[home]}) imports {target} "
                                 f"({there}, layer {PACKAGE_LAYERS[there]})")
    assert not offenders, "\n".join(offenders)


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
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
    return cycles


def test_no_import_cycles_type_only_imports_included() -> None:
    modules = set(engine_graph())
    # A package's __init__ is executed by every import of one of its modules: it is not a dependency.
    graph = {m: {t for t in targets if t in modules and t not in PACKAGE_LAYERS}
             for m, targets in engine_graph().items()}
    cycles = find_cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom reviewflow.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('jsonschema', 'holidays', 'pendulum', 'transitions', 'sqlite3', 'psycopg',\n"
        "                     'icalendar') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in result.stdout or result.stdout.rstrip().endswith("HEAVY="), result.stdout
