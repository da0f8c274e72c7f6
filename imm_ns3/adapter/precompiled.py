"""The C++ shims compiled once per code version into a shared library, reused by every process.

Cling compiles each function of the shims, and every ns-3 template it instantiates, the first
time Python calls it: about 3.5 s of a first run's 10 s (2026-11-28, two cores). The same
headers compiled by the system's C++ compiler into one shared library and loaded *before* Cling
reads them take that away: Cling does not emit an inline function or an inline variable that a
loaded library already defines (its ``ReuseExistingWeakSymbols`` pass, one definition rule), so
every call from Python, and from the JIT-compiled call wrappers, lands in the library's code.

What this needs from the headers (``tests/test_precompiled.py`` checks it): every function and
variable at namespace scope is ``inline`` (a non-inline one would exist twice, the library's
and Cling's, with two states), and the headers of :data:`HEADERS` compile in that order.

The library lives in ``$IMM_NS3_CACHE_DIR`` (default ``$XDG_CACHE_HOME/imm-ns3``, else
``~/.cache/imm-ns3``) under a key hashing the headers' text, the ns-3 headers Cling is given,
the ns-3 and cppyy versions and the compiler's version: another code version gets another
library, never a stale one. ``IMM_NS3_PRECOMPILED`` chooses what happens when a process needs
the shims:

- ``auto`` (default): load the library if it is there; if it is not and a compiler is found,
  build it in a background process (about 30 s of one core, at low priority) for the processes
  that come later, and let Cling compile this one's as before;
- ``build``: build it now if it is missing (``imm-sim prepare`` does this), then load it;
- ``off``: never; Cling compiles everything (the behaviour before this module).

A library that fails to load is reported once on stderr and ignored (Cling compiles instead).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from . import ns3_loader

# Every header of the package's C++, in an order in which each compiles after those before it.
HEADERS = ("shims.h", "traffic.h", "mmp_host.h", "mmp_routing.h", "mip_tunnel.h", "mip_hook.h",
           "attack.h", "assoc_guard.h", "propagation.h")

MODES = ("auto", "build", "off")
LIBRARY = "libimm_shims.so"
# -fkeep-inline-functions: emit every inline function of the headers, also those only Python
# calls. ISO C++20 as Cling (GCC then contracts no floating-point expression, like the JIT).
FLAGS = ("-std=c++20", "-O2", "-fPIC", "-shared", "-fkeep-inline-functions", "-w")
STALE_LOCK_S = 900.0

# What this process did: the library loaded, or why none was.
status: dict[str, Any] = {"library": None, "reason": "not attempted"}


def mode() -> str:
    m = os.environ.get("IMM_NS3_PRECOMPILED", "auto").strip().lower() or "auto"
    if m not in MODES:
        raise ValueError(f"IMM_NS3_PRECOMPILED={m!r}: allowed values are {', '.join(MODES)}")
    return m


def cache_root() -> Path:
    if os.environ.get("IMM_NS3_CACHE_DIR"):
        return Path(os.environ["IMM_NS3_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imm-ns3"


def compiler() -> str | None:
    for c in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if c and shutil.which(c):
            return shutil.which(c)
    return None


def _compiler_version(cxx: str) -> str:
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.splitlines()[0] if out.stdout else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def ns3_includes() -> list[str]:
    """The ns-3 headers Cling is given (ns3_loader), which the library must be compiled with."""
    return [f"ns3/{h}" for m in ns3_loader.MODULES
            for h in ns3_loader.HEADERS.get(m, (f"{m}-module.h",))]


def header_texts() -> dict[str, str]:
    pkg = resources.files("imm_ns3.adapter")
    return {h: (pkg / h).read_text() for h in HEADERS}


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("ns3", "cppyy", "cppyy-cling"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=?")
    return " ".join(parts)


def key(texts: dict[str, str], cxx: str) -> str:
    h = hashlib.sha256()
    for part in (_versions(), str(ns3_loader.wheel_root()), _compiler_version(cxx), " ".join(FLAGS),
                 *ns3_includes(), sys.platform):
        h.update(part.encode() + b"\0")
    for name in HEADERS:
        h.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return h.hexdigest()[:20]


def library_path(cxx: str | None = None, texts: dict[str, str] | None = None) -> Path | None:
    cxx = cxx or compiler()
    if cxx is None:
        return None
    return cache_root() / f"shims-{key(texts or header_texts(), cxx)}" / LIBRARY


def build(cxx: str | None = None) -> Path:
    """Compile the headers into the cached library (if it is not there yet); return its path.
    Raises RuntimeError with the compiler's first lines of output if compiling fails."""
    cxx = cxx or compiler()
    if cxx is None:
        raise RuntimeError("no C++ compiler found (set CXX, or install g++)")
    texts = header_texts()
    dest = library_path(cxx, texts)
    assert dest is not None
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    root = ns3_loader.wheel_root()
    libs = ns3_loader.load_order(root / "lib64", ns3_loader.MODULES)
    with tempfile.TemporaryDirectory(prefix="build-", dir=dest.parent) as d:
        work = Path(d)
        for name, text in texts.items():
            (work / name).write_text(text)
        src = work / "shims_library.cc"
        src.write_text("".join(f"#include \"{h}\"\n" for h in ns3_includes())
                       + "".join(f"#include \"{h}\"\n" for h in HEADERS))
        out = work / LIBRARY
        cmd = [cxx, *FLAGS, f"-I{root / 'include'}", str(src), "-o", str(out),
               *map(str, libs), f"-Wl,-rpath,{root / 'lib64'}"]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
        if res.returncode != 0:
            first = "\n".join((res.stderr or res.stdout).splitlines()[:20])
            raise RuntimeError(f"compiling the shims library failed ({' '.join(cmd[:6])} ...):\n{first}")
        os.replace(out, dest)  # atomic: another process sees the whole library or none
    return dest


def _lock(dest: Path) -> bool:
    """Claim the right to build ``dest`` in the background (False: another process is)."""
    lock = dest.parent / ".building"
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            if time.time() - lock.stat().st_mtime < STALE_LOCK_S:
                return False
            lock.unlink()
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except OSError:
            return False
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))
    return True


def _build_in_background(dest: Path) -> bool:
    if not _lock(dest):
        return False
    try:
        subprocess.Popen([sys.executable, "-m", "imm_ns3.adapter.precompiled", "--background"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        (dest.parent / ".building").unlink(missing_ok=True)
        return False
    return True


def attach(cppyy: Any) -> Path | None:
    """Load the library into the process if the mode allows and it exists (building it first
    with ``build``, or starting a background build with ``auto``). Must run after the ns-3
    libraries are loaded and before Cling reads any of :data:`HEADERS`."""
    m = mode()
    if m == "off":
        status.update(library=None, reason="IMM_NS3_PRECOMPILED=off")
        return None
    cxx = compiler()
    if cxx is None:
        status.update(library=None, reason="no C++ compiler")
        return None
    try:
        dest = build(cxx) if m == "build" else library_path(cxx)
    except (RuntimeError, OSError) as e:
        status.update(library=None, reason=str(e).splitlines()[0])
        print(f"imm-ns3: {e}\nimm-ns3: Cling compiles the shims instead.", file=sys.stderr)
        return None
    assert dest is not None
    failed = dest.parent / "build-error.txt"
    if not dest.exists() and failed.exists():
        status.update(library=None, reason=f"building it failed earlier: {failed}")
        return None
    if not dest.exists():
        started = _build_in_background(dest)
        status.update(library=None, reason="being built in the background" if started
                      else "being built by another process")
        return None
    try:
        cppyy.load_library(str(dest))
    except Exception as e:  # noqa: BLE001 - any failure means: compile with Cling instead
        status.update(library=None, reason=f"failed to load: {e}")
        print(f"imm-ns3: ignoring the shims library {dest}: {e}", file=sys.stderr)
        return None
    status.update(library=str(dest), reason="loaded")
    return dest


def _main(argv: list[str]) -> int:
    if argv == ["--background"]:
        try:
            os.nice(10)
        except OSError:
            pass
        dest = library_path()
        try:
            build()
        except (RuntimeError, OSError) as e:
            if dest is not None:
                (dest.parent / "build-error.txt").write_text(str(e))
            return 1
        finally:
            if dest is not None:
                (dest.parent / ".building").unlink(missing_ok=True)
        return 0
    t = time.perf_counter()
    path = build()
    print(f"{path} ({time.perf_counter() - t:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))


def declarations_only(text: str) -> str:
    """``text`` with the body of every function defined at namespace scope (a line starting with
    ``inline`` and ending in ``{``... up to its matching brace) replaced by ``;``: what Cling needs
    when the library defines them. Classes keep their bodies (Cling needs their layout)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("\ninline ", i)
        if j < 0:
            out.append(text[i:])
            break
        start = j + 1
        out.append(text[i:start])
        # the signature runs to the first '{' or ';' at depth 0 of parentheses
        k, depth = start, 0
        while k < n:
            ch = text[k]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif depth == 0 and ch in "{;=":
                break
            k += 1
        before = text[:j].rstrip().rsplit("\n", 1)[-1]
        if (k >= n or text[k] != "{" or "(" not in text[start:k]  # a variable, a declaration
                or before.lstrip().startswith("template")):  # a template keeps its body
            i = start + 1
            out.append(text[start])
            continue
        out.append(text[start + len("inline "):k].rstrip() + ";")  # defined in the library
        k = _matching_brace(text, k)
        i = k + 1
    return "".join(out)


def _matching_brace(text: str, k: int) -> int:
    depth, n = 0, len(text)
    while k < n:
        ch = text[k]
        if ch == "/" and text.startswith("//", k):
            k = text.find("\n", k)
            k = n if k < 0 else k
            continue
        if ch == "/" and text.startswith("/*", k):
            k = text.find("*/", k) + 2
            continue
        if ch in "\"'":
            k += 1
            while k < n and text[k] != ch:
                k += 2 if text[k] == "\\" else 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return k
        k += 1
    raise ValueError("unbalanced braces in a header")
