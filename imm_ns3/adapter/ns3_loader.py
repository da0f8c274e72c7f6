"""Load only the ns-3 modules the simulator uses (a faster replacement for ``from ns import ns``).

The ``ns3`` wheel's ``ns`` package parses the headers of every one of its 42 modules (LTE,
mesh, UAN, ...) when it is imported: about 16 of its 18 s. imm-ns3 needs eight of them. This
loader does what the wheel's does, for those modules only:

- registers ``ns3::Ptr`` as a smart pointer with cppyy;
- adds the wheel's ``lib64`` and ``include`` directories;
- includes ``ns3/<module>-module.h`` for each module asked for (for wifi, the few headers of
  :data:`NS3_MODULE_HEADERS`);
- loads the ns-3 libraries those modules need (the ``libns3.*`` names each library's file
  carries, transitively), dependencies first;
- applies the wheel's adjustments to the bindings: ``Time`` comparisons, ``Node`` objects kept
  alive until ns-3 destroys them, ``LookupByNameFailSafe``.

More modules for an extension (``compile_extension`` of your own header): set
``IMM_NS3_MODULES=lte,flow-monitor`` (added to :data:`MODULES`), or ``IMM_NS3_MODULES=all`` to
use the wheel's own import of everything.

This module knows ns-3 only: the precompiled header of ``precompiled.py`` (which builds on
:data:`MODULES` and :data:`NS3_MODULE_HEADERS`) is set up by the caller before :func:`load`
(``runtime.ns3``): this module never imports ``precompiled`` (which imports it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

# What imm-ns3 and its C++ shims use. (wifi brings spectrum, antenna and energy; internet brings
# traffic-control, stats and bridge: their libraries load as dependencies.)
MODULES = ("core", "network", "internet", "mobility", "propagation", "wifi", "point-to-point",
           "csma")

# Modules whose umbrella header costs much more than what is used of it: these headers instead.
# (wifi-module.h parses every 802.11 amendment's model: 4.6 s of the 7 s these modules take.)
# ns-3's headers; the package's own are adapter/cpp/ (cpp_headers.py).
NS3_MODULE_HEADERS = {
    "wifi": ("yans-wifi-helper.h", "wifi-mac-helper.h", "wifi-net-device.h", "sta-wifi-mac.h",
             "ap-wifi-mac.h", "ssid.h", "mac-rx-middle.h", "wifi-mpdu.h", "wifi-mac-header.h"),
}

_NS3_LIB = re.compile(rb"(libns3[\w.+-]*?\.so)(?=\x00)")


def wheel_root() -> Path:
    import ns3 as wheel  # the ns3 distribution's package: include/ and lib64/

    return Path(wheel.__path__[0])


def requested_modules() -> tuple[str, ...] | None:
    """MODULES plus IMM_NS3_MODULES; None when it says 'all'."""
    extra = [m.strip() for m in os.environ.get("IMM_NS3_MODULES", "").split(",") if m.strip()]
    if "all" in extra:
        return None
    return tuple(dict.fromkeys([*MODULES, *extra]))


def _library(lib_dir: Path, module: str) -> Path:
    found = sorted(lib_dir.glob(f"libns3*-{module}.so"))
    if not found:
        known = sorted(p.name.split("-", 1)[1][:-3] for p in lib_dir.glob("libns3*-*.so"))
        raise ImportError(f"IMM_NS3_MODULES: ns-3 has no module {module!r}; modules: {', '.join(known)}")
    return found[0]


def load_order(lib_dir: Path, modules: tuple[str, ...]) -> list[Path]:
    """The libraries of ``modules`` and of every ns-3 library they link, dependencies first."""
    order: list[Path] = []
    state: dict[Path, str] = {}

    def visit(lib: Path) -> None:
        if state.get(lib) == "done":
            return
        if state.get(lib) == "visiting":  # pragma: no cover - ns-3 libraries form no cycle
            raise ImportError(f"ns-3 libraries link each other in a cycle at {lib.name}")
        state[lib] = "visiting"
        for name in sorted(set(_NS3_LIB.findall(lib.read_bytes()))):
            dep = lib_dir / name.decode()
            if dep != lib and dep.exists():
                visit(dep)
        state[lib] = "done"
        order.append(lib)

    for m in modules:
        visit(_library(lib_dir, m))
    return order


def load(modules: tuple[str, ...]) -> Any:
    """Load ``modules`` into cppyy and return the ``ns3`` namespace (what ``from ns import ns``
    returns). A precompiled header for Cling, if any, is chosen before this is called
    (``precompiled.use_pch_for_import``, from ``runtime.ns3``)."""
    import cppyy
    import libcppyy

    root = wheel_root()
    lib_dir = root / "lib64"
    libs = load_order(lib_dir, modules)
    libcppyy.AddSmartPtrType("Ptr")
    cppyy.add_library_path(str(lib_dir))
    cppyy.add_include_path(str(root / "include"))
    for m in modules:
        for header in NS3_MODULE_HEADERS.get(m, (f"{m}-module.h",)):
            cppyy.include(f"ns3/{header}")
    for lib in libs:
        cppyy.load_library(str(lib))
    ns = cppyy.gbl.ns3
    setattr(ns, "cppyy", cppyy)
    cppyy.cppdef("""
        namespace imm_loader {
        bool Time_ge(ns3::Time& a, ns3::Time& b) { return a >= b; }
        bool Time_eq(ns3::Time& a, ns3::Time& b) { return a == b; }
        bool Time_ne(ns3::Time& a, ns3::Time& b) { return a != b; }
        bool Time_le(ns3::Time& a, ns3::Time& b) { return a <= b; }
        bool Time_gt(ns3::Time& a, ns3::Time& b) { return a > b; }
        bool Time_lt(ns3::Time& a, ns3::Time& b) { return a < b; }
        std::tuple<bool, ns3::TypeId> LookupByNameFailSafe(std::string name) {
          ns3::TypeId id;
          bool ok = ns3::TypeId::LookupByNameFailSafe(name, &id);
          return std::make_tuple(ok, id);
        }
        }
    """)
    g = cppyy.gbl.imm_loader
    ns.Time.__ge__, ns.Time.__eq__, ns.Time.__ne__ = g.Time_ge, g.Time_eq, g.Time_ne
    ns.Time.__le__, ns.Time.__gt__, ns.Time.__lt__ = g.Time_le, g.Time_gt, g.Time_lt
    # A Node belongs to ns-3's NodeList: Python must not delete it when its proxy goes away.
    pending: list[Any] = []
    setattr(ns, "_imm_nodes_pending_deletion", pending)
    ns.Node.__del__ = lambda self: pending.append(self)
    setattr(ns, "LookupByNameFailSafe", g.LookupByNameFailSafe)
    return ns


def load_more(modules: tuple[str, ...]) -> None:
    """Load ns-3 modules beyond :data:`MODULES` into a process whose ns-3 is loaded already
    (:func:`load` ran): their libraries, then their umbrella headers. Only the observers of
    ``adapter/observe.py`` call it, when a run asks for them (``imm-sim run --netanim``,
    ``--flowmon``): a normal run loads nothing more and is unchanged."""
    import cppyy

    root = wheel_root()
    for lib in load_order(root / "lib64", modules):
        cppyy.load_library(str(lib))
    for m in modules:
        for header in NS3_MODULE_HEADERS.get(m, (f"{m}-module.h",)):
            cppyy.include(f"ns3/{header}")
