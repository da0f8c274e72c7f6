"""The trimmed ns-3 import (pure parts: which libraries, in which order; no ns-3 import)."""

from __future__ import annotations

import pytest

import ast
from pathlib import Path

from imm_ns3.adapter import ns3_loader
from imm_ns3.adapter.ns3_loader import MODULES, NS3_MODULE_HEADERS, load_order, requested_modules, wheel_root


def _name(p) -> str:
    return p.name.split("-", 1)[1][:-3]


def test_every_module_is_loaded_after_the_libraries_it_links():
    order = load_order(wheel_root() / "lib64", MODULES)
    names = [_name(p) for p in order]
    assert set(MODULES) <= set(names)
    assert names[0] == "core"
    for earlier, later in (("network", "internet"), ("mobility", "wifi"), ("propagation", "wifi"),
                           ("spectrum", "wifi"), ("traffic-control", "internet"),
                           ("bridge", "internet"), ("network", "csma")):
        assert names.index(earlier) < names.index(later), (earlier, later)
    assert "lte" not in names and "mesh" not in names  # what the trimmed import leaves out
    assert len(names) == len(set(names))


def test_modules_can_be_added_or_the_whole_wheel_asked_for(monkeypatch):
    monkeypatch.setenv("IMM_NS3_MODULES", "flow-monitor, lte")
    assert requested_modules() == (*MODULES, "flow-monitor", "lte")
    monkeypatch.setenv("IMM_NS3_MODULES", "all")
    assert requested_modules() is None
    monkeypatch.delenv("IMM_NS3_MODULES")
    assert requested_modules() == MODULES


def test_an_unknown_module_is_one_clear_error():
    with pytest.raises(ImportError, match="IMM_NS3_MODULES: ns-3 has no module 'nope'; modules: .*wifi"):
        load_order(wheel_root() / "lib64", ("core", "nope"))



def test_the_loader_imports_nothing_of_the_package():
    """precompiled.py imports the loader; the loader must not import it back (nor anything of
    the package): runtime.ns3 sets up the precompiled header before calling load()."""
    tree = ast.parse(Path(ns3_loader.__file__).read_text())
    ours = [n for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and (n.level or "imm_ns3" in (n.module or ""))]
    assert ours == []
    assert not hasattr(ns3_loader, "HEADERS")  # ns-3's headers have their own name


def test_the_ns3_headers_exist_in_the_wheel():
    include = wheel_root() / "include" / "ns3"
    for module, headers in NS3_MODULE_HEADERS.items():
        assert module in MODULES
        for h in headers:
            assert (include / h).exists(), h
