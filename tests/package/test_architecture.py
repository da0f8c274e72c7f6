"""The package's shape, checked from its source (no import, no ns-3): which module may import
which, no import cycle, what only the adapter may touch, files of a readable size.

docs/architecture.md draws the layers these tests hold the code to.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from imm_ns3.sweep.store import OUTSIDE_CODE_VERSION

from conftest import ROOT as REPO

ROOT = REPO / "imm_ns3"
LONG_FILE_LINES = 500
LONG_FILE_REASON = "Long on purpose:"  # within a long file's first 40 lines, then why


def _module_name(f: Path) -> str:
    parts = ["imm_ns3", *f.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(f): f for f in sorted(ROOT.rglob("*.py"))}


def _statements(tree: ast.Module):
    """Every statement of a module, inside functions too (a lazy import is still an import), but
    not the blocks under ``if TYPE_CHECKING:`` (they never run)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            todo.extend(node.orelse)
            continue
        yield node
        todo.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))


def imports_of(module: str) -> dict[str, int]:
    """The package's modules (and third-party top-level names) a module imports -> first line."""
    f = MODULES[module]
    package = module if f.name == "__init__.py" else module.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in _statements(ast.parse(f.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
            names = subs or [target]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name != module:
                found.setdefault(name, node.lineno)
    return found


GRAPH = {m: {t for t in imports_of(m) if t in MODULES} for m in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _outside(module: str) -> bool:
    rest = module.split(".")[1:]
    return bool(rest) and (rest[0] in OUTSIDE_CODE_VERSION or f"{rest[0]}.py" in OUTSIDE_CODE_VERSION)


def test_nothing_a_run_computes_with_imports_what_only_reads_results():
    """The code version (sweep keys) covers the package by location: everything but
    OUTSIDE_CODE_VERSION. That is only sound if no module inside it imports one outside it: then
    a change to load, the models, the statistics, the figures or the command line cannot change
    what a run computes."""
    bad = [f"{m} imports {t} (line {line})" for m in MODULES if not _outside(m) and m != "imm_ns3"
           for t, line in imports_of(m).items() if t in MODULES and _outside(t)]
    assert bad == []


def test_the_code_version_covers_the_simulation_by_location():
    inside = {m for m in MODULES if not _outside(m)}
    for m in ("imm_ns3.adapter.run", "imm_ns3.mmp.mobile", "imm_ns3.results", "imm_ns3.topology"):
        assert m in inside
    for m in ("imm_ns3.analysis.model", "imm_ns3.analysis.reader", "imm_ns3.sweep.store"):
        assert m not in inside


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith("imm_ns3.adapter")))
def test_only_the_adapter_imports_ns3_or_cppyy(module):
    assert not {t.split(".")[0] for t in imports_of(module)} & {"ns", "ns3", "cppyy"}


CORES = ("imm_ns3.mmp", "imm_ns3.miplr", "imm_ns3.sip", "imm_ns3.wire", "imm_ns3.security")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(CORES)))
def test_the_protocol_cores_import_no_adapter_and_no_analysis(module):
    """Sans-I/O cores: they import the standard library, each other, env.py and the codec."""
    bad = [t for t in imports_of(module) if t.startswith(("imm_ns3.adapter", "imm_ns3.analysis",
                                                         "imm_ns3.sweep", "imm_ns3.cli"))]
    assert bad == []


def test_no_file_is_long_without_a_reason_at_its_top():
    long = []
    for f in sorted(ROOT.rglob("*")):
        if f.suffix not in (".py", ".h") or "__pycache__" in f.parts:
            continue
        lines = f.read_text().splitlines()
        if len(lines) > LONG_FILE_LINES and LONG_FILE_REASON not in "\n".join(lines[:40]):
            long.append(f"{f.relative_to(ROOT)}: {len(lines)} lines")
    assert long == []


def test_every_import_of_the_package_names_a_module_that_exists():
    """A lazy import inside a function fails only when that function runs: a moved module must
    leave none behind."""
    missing = [f"{m} line {line}: {t}" for m in MODULES for t, line in imports_of(m).items()
               if t.split(".")[0] == "imm_ns3" and t not in MODULES]
    assert missing == []


def test_the_files_docs_architecture_names_exist():
    """docs/architecture.md (the layers, the tree, 'How to add a protocol') names files by path;
    each must exist, relative to the repository, to imm_ns3/ or to imm_ns3/adapter/ (the
    hypothetical paging protocol of the recipe excepted)."""
    import re

    repo = ROOT.parent
    text = (repo / "docs" / "architecture.md").read_text()
    missing = []
    for path in sorted(set(re.findall(r"`([\w./-]+\.(?:py|h|md|toml|json))[`:]", text))):
        if "paging" in path or path.startswith("ns3/") or path == "summary.json":
            continue  # the recipe's example, ns-3's own headers, a run's output
        bases = (repo, ROOT, ROOT / "adapter", ROOT / "adapter" / "cpp", repo / "docs")
        if not any((b / path).exists() for b in bases):
            missing.append(path)
    assert missing == []


def test_the_command_line_starts_without_pandas_or_ns3():
    """imm-sim's start-up (every command, bad input included) imports neither pandas nor ns-3:
    the commands that need them import them when they run."""
    import subprocess
    import sys

    code = ("import sys, imm_ns3.cli; "
            "print(sorted(m for m in ('pandas', 'ns', 'ns3', 'cppyy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
