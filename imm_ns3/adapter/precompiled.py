"""What Cling would otherwise redo in every process, prepared once per code version and cached.

A process's first run used to spend about 14 s before its first simulated event (2026-11-28,
two cores): 3.8 s parsing the ns-3 headers, 1 s the shims, 10 s compiling the shims' functions
and every ns-3 template they instantiate when Python first calls them. Two artefacts, built
once per code version, take most of it away:

- **a precompiled header** of the C++ standard library and the ns-3 headers the loader includes
  (``ns3_loader``), built with cppyy's own ``rootcling`` (about 7 s) and given to Cling as its
  standard PCH before cppyy is imported: the ns-3 import then costs about 0.5 s instead of 4;
- **the shims library**: the package's headers compiled by the system's C++ compiler into one
  shared library (about 30 s), loaded before Cling reads them. Cling does not emit an inline
  function or inline variable that a loaded library already defines (its
  ``ReuseExistingWeakSymbols`` pass, the one-definition rule), and is given the headers with
  the bodies of their namespace-scope functions removed (:func:`declarations_only`): every call
  from Python lands in the library's code, and nothing is compiled at run time but cppyy's
  call wrappers.

What this needs from the headers (``tests/package/test_precompiled.py`` checks it): every function and
variable at namespace scope is ``inline`` (a non-inline one would exist twice, the library's
and Cling's, with two states), and the headers of ``adapter/cpp/`` compile in the order
:func:`package_headers` computes from their ``// requires:`` lines (:mod:`.cpp_headers`).

Both live in ``$IMM_NS3_CACHE_DIR`` (default ``$XDG_CACHE_HOME/imm-ns3``, else
``~/.cache/imm-ns3``) under keys hashing what they were made from (headers' text, ns-3 and
cppyy versions and paths, the compiler, Cling's flags, the processor's features): another code
version or machine gets other files, never stale ones. ``IMM_NS3_PRECOMPILED`` says what a
process does with them:

- ``auto`` (default): use them if they are there; if one is missing, build the missing ones in
  a background process at low priority, for the processes that come later;
- ``build``: build what is missing now (``imm-sim prepare`` does this), then use them;
- ``off``: never; Cling parses and compiles everything (the behaviour before this module).

A library that fails to load is reported once on stderr and ignored (Cling compiles instead);
a precompiled header is checked in a separate process before it is stored. A failed build
leaves ``build-error.txt`` beside where its result would be and is not retried in ``auto``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import cpp_headers, ns3_loader
from .cpp_headers import declarations_only  # what Cling is given of a header with the library


def package_headers() -> tuple[str, ...]:
    """Every header of the package's C++ (``adapter/cpp/``), each after those it requires.
    (Not ns-3's: those are ``ns3_loader.NS3_MODULE_HEADERS``, see :func:`ns3_includes`.)"""
    return cpp_headers.compile_order()


MODES = ("auto", "build", "off")
LIBRARY = "libimm_shims.so"
PCH = "ns3.pch"
# -fkeep-inline-functions: emit every inline function of the headers, also those only Python
# calls. ISO C++20 as Cling (GCC then contracts no floating-point expression, like the JIT).
FLAGS = ("-std=c++20", "-O2", "-fPIC", "-shared", "-fkeep-inline-functions", "-w")
# What cppyy sets when EXTRA_CLING_ARGS is unset (cppyy_backend.loader), needed before import.
_DEFAULT_CLING_ARGS = " -O2 -march=native"
STALE_LOCK_S = 900.0
# Marks CLING_STANDARD_PCH as set by this module (not by the user): child processes inherit both.
_OURS = "IMM_NS3_PCH_IN_USE"

# What this process did: the library loaded (or why none was), the precompiled header used.
status: dict[str, Any] = {"library": None, "reason": "not attempted", "pch": None}


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


@functools.lru_cache(maxsize=None)  # one subprocess per compiler and process
def _compiler_version(cxx: str) -> str:
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.splitlines()[0] if out.stdout else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def ns3_includes() -> list[str]:
    """The ns-3 headers Cling is given (ns3_loader), which the library must be compiled with."""
    return [f"ns3/{h}" for m in ns3_loader.MODULES
            for h in ns3_loader.NS3_MODULE_HEADERS.get(m, (f"{m}-module.h",))]


def header_texts() -> dict[str, str]:
    """The package's headers by name, in :func:`package_headers` order."""
    texts = cpp_headers.texts()
    return {h: texts[h] for h in package_headers()}


@functools.lru_cache(maxsize=1)  # the keys need it several times at start-up
def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("ns3", "cppyy", "cppyy-cling", "cppyy-backend"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=?")
    return " ".join(parts)


@functools.lru_cache(maxsize=1)
def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line
    except OSError:
        pass
    return ""


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:20]


def key(texts: dict[str, str], cxx: str) -> str:
    return _digest(_versions(), str(ns3_loader.wheel_root()), _compiler_version(cxx), " ".join(FLAGS),
                   *ns3_includes(), sys.platform,
                   *(f"{name}\0{texts[name]}" for name in package_headers()))


def library_path(cxx: str | None = None, texts: dict[str, str] | None = None) -> Path | None:
    cxx = cxx or compiler()
    if cxx is None:
        return None
    return cache_root() / f"shims-{key(texts or header_texts(), cxx)}" / LIBRARY


def cling_args() -> str:
    """EXTRA_CLING_ARGS as cppyy will have it (it sets a default when unset)."""
    return os.environ["EXTRA_CLING_ARGS"] if "EXTRA_CLING_ARGS" in os.environ else _DEFAULT_CLING_ARGS


def pch_path(texts: dict[str, str] | None = None) -> Path:
    texts = texts or header_texts()
    return cache_root() / ("pch-" + _digest(_versions(), str(ns3_loader.wheel_root()), cling_args(),
                                            _cpu_flags(), *ns3_includes(), sys.platform,
                                            *(f"{n}\0{texts[n]}" for n in package_headers()))) / PCH


def _backend_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("cppyy_backend")
    if spec is None or spec.origin is None:
        raise RuntimeError("cppyy_backend is not installed")
    return Path(spec.origin).parent


def build_pch() -> Path:
    """Build the precompiled header (if it is not there yet) and return its path: the headers of
    cppyy's own standard PCH (its ``etc/dictpch``), the ns-3 headers, and the package's headers
    as :func:`declarations_only` gives them (so it is used only with the library), with cppyy's
    ``rootcling``; then checked by importing cppyy with it in another process."""
    texts = header_texts()
    dest = pch_path(texts)
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The declarations stay beside the PCH: Cling checks that the files it was built from exist.
    decl_dir = dest.parent / "imm"
    decl_dir.mkdir(exist_ok=True)
    for name in package_headers():
        (decl_dir / name).write_text(declarations_only(texts[name]))
    bk = _backend_dir()
    flags = [ln.strip() for ln in (bk / "etc" / "dictpch" / "allCppflags.txt").read_text().splitlines()
             if ln.strip() and ln.strip() not in ("-isystem", "-fno-plt")]
    include = ns3_loader.wheel_root() / "include"
    env = dict(os.environ, EXTRA_CLING_ARGS=cling_args(),
               LD_LIBRARY_PATH=f"{bk / 'lib'}:{os.environ.get('LD_LIBRARY_PATH', '')}")
    with tempfile.TemporaryDirectory(prefix="build-", dir=dest.parent) as d:
        work = Path(d)
        cmd = [str(bk / "bin" / "rootcling"), "-rootbuild", "-generate-pch", "-f", str(work / "allDict.cxx"),
               "-noDictSelection", "-D__CLING__", "-DROOT_PCH", f"-I{bk / 'include'}", f"-I{bk / 'etc'}",
               f"-I{bk / 'etc' / 'dictpch'}", f"-I{bk / 'etc' / 'cling'}", f"-I{include}",
               f"-I{dest.parent}", "-cxxflags", " ".join(flags), "etc/dictpch/allHeaders.h",
               *ns3_includes(), *(f"imm/{h}" for h in package_headers()), "etc/dictpch/allLinkDefs.h"]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=bk, env=env)
        built = work / "allDict_rdict.pch"
        if res.returncode != 0 or not built.exists():
            first = "\n".join((res.stderr or res.stdout).splitlines()[:20])
            raise RuntimeError(f"building the ns-3 precompiled header failed:\n{first}")
        check = ("import cppyy\ncppyy.add_include_path(%r)\ncppyy.include('ns3/core-module.h')\n"
                 "cppyy.cppdef('int imm_pch_check() { return 1 + (int)sizeof(ns3::Time); }')\n"
                 "print(cppyy.gbl.imm_pch_check() - 1)" % str(include))
        env_check = dict(os.environ, CLING_STANDARD_PCH=str(built), CLING_REBUILD_PCH="0",
                         EXTRA_CLING_ARGS=cling_args())
        ok = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            env=env_check, timeout=300)
        if ok.returncode != 0 or ok.stdout.strip().splitlines()[-1:] != ["8"]:
            raise RuntimeError("the ns-3 precompiled header was built but Cling cannot use it:\n"
                               + "\n".join((ok.stderr or ok.stdout).splitlines()[-10:]))
        os.replace(built, dest)
    return dest


def use_pch_for_import() -> Path | None:
    """Before cppyy is imported: point Cling at the precompiled header if there is one, with
    its library (and the user has not chosen another PCH). With ``build``, build both first.
    Returns the header's path."""
    m = mode()
    inherited = os.environ.get(_OURS)
    if inherited and os.environ.get("CLING_STANDARD_PCH") == inherited and "cppyy" not in sys.modules:
        # Set by a parent process (a sweep's worker, a test's subprocess): this process decides
        # for itself, its cache directory or code version may be another.
        del os.environ["CLING_STANDARD_PCH"]
        os.environ.pop("CLING_REBUILD_PCH", None)
    os.environ.pop(_OURS, None)
    if (Path(os.environ.get("CLING_STANDARD_PCH", "")).name.startswith("allDict.cxx.pch")
            and "cppyy" not in sys.modules):
        # cppyy's own standard PCH, which cppyy writes into the environment of every process
        # that imports it without one: a parent's, not the user's choice.
        del os.environ["CLING_STANDARD_PCH"]
    if "cppyy" in sys.modules or "CLING_STANDARD_PCH" in os.environ or m == "off":
        return None
    if os.environ.get("IMM_NS3_MODULES", "").strip().lower() == "all":
        return None
    if m == "build" and compiler() is not None:
        try:
            build_all()
        except (RuntimeError, OSError) as e:
            print(f"imm-ns3: {e}", file=sys.stderr)
            return None
    texts = header_texts()
    p, lib = pch_path(texts), library_path(texts=texts)
    if not p.exists() or lib is None or not lib.exists():
        return None
    os.environ["CLING_STANDARD_PCH"] = os.environ[_OURS] = str(p)
    # cppyy rebuilds a standard PCH older than its include directory, with its headers only:
    # ours is keyed by cppyy's version and checked when built, it is never to be rebuilt so.
    os.environ["CLING_REBUILD_PCH"] = "0"
    status["pch"] = str(p)
    return p


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
                       + "".join(f"#include \"{h}\"\n" for h in package_headers()))
        out = work / LIBRARY
        cmd = [cxx, *FLAGS, f"-I{root / 'include'}", str(src), "-o", str(out),
               *map(str, libs), f"-Wl,-rpath,{root / 'lib64'}"]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
        if res.returncode != 0:
            first = "\n".join((res.stderr or res.stdout).splitlines()[:20])
            raise RuntimeError(f"compiling the shims library failed ({' '.join(cmd[:6])} ...):\n{first}")
        os.replace(out, dest)  # atomic: another process sees the whole library or none
    return dest


def build_once(dest: Path, make: Any, *, wait: bool) -> bool:
    """``make()`` unless ``dest`` exists, by one process at a time: a lock file beside ``dest``
    (``flock``: released when its holder ends, however it ends). Returns False, having done
    nothing, if another process holds it and ``wait`` is False; else True once ``dest`` is
    there (built here or by the process waited for; if that one failed, built here, raising
    its error)."""
    import fcntl

    if dest.exists():
        return True
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dest.parent / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        if not dest.exists():
            make()
        return True
    finally:
        os.close(fd)  # releases the lock


def build_all() -> list[Path]:
    """Both artefacts (what is missing of them), the precompiled header first. Processes that
    ask at once share the work (a test suite's workers, a sweep's workers with ``build``):
    each builds what no other is building, then waits for the rest."""
    texts = header_texts()
    cxx = compiler()
    lib = library_path(cxx, texts) if cxx is not None else None
    targets = [(pch_path(texts), build_pch)] + ([(lib, build)] if lib is not None else [])
    left = [(dest, make) for dest, make in targets if not build_once(dest, make, wait=False)]
    for dest, make in left:
        build_once(dest, make, wait=True)
    if lib is None:
        raise RuntimeError("no C++ compiler found (set CXX, or install g++)")
    return [dest for dest, _ in targets]


def current_dirs() -> set[Path]:
    """The cache directories of this code version (the library's only with a compiler)."""
    texts = header_texts()
    lib = library_path(texts=texts)
    return {pch_path(texts).parent} | ({lib.parent} if lib is not None else set())


def prune() -> list[tuple[Path, int]]:
    """Delete the artefacts of other code versions from the cache: every ``pch-*`` and
    ``shims-*`` directory but this version's (each about 90 MB; a version that needs one again
    rebuilds it). Without a compiler the library's key is unknown and every ``shims-*`` stays.
    Refuses while a background build holds the lock. Returns the (directory, bytes) removed."""
    root = cache_root()
    lock = root / ".building"
    if lock.exists() and time.time() - lock.stat().st_mtime < STALE_LOCK_S:
        raise RuntimeError(f"a build is running ({lock} exists); prune when it has finished")
    keep = current_dirs()
    prefixes = ("pch-", "shims-") if compiler() is not None else ("pch-",)
    removed = []
    for d in sorted(root.iterdir()) if root.is_dir() else []:
        if d.is_dir() and not d.is_symlink() and d.name.startswith(prefixes) and d not in keep:
            size = sum(f.stat().st_size for f in d.rglob("*") if f.is_file() and not f.is_symlink())
            shutil.rmtree(d)
            removed.append((d, size))
    return removed


def _failed(dest: Path) -> Path | None:
    f = dest.parent / "build-error.txt"
    return f if f.exists() else None


def _lock() -> bool:
    """Claim the right to build in the background (False: another process is)."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    lock = root / ".building"
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


def _build_in_background() -> bool:
    try:
        if not _lock():
            return False
    except OSError:  # no writable cache directory: no background build, nothing else changes
        return False
    try:
        subprocess.Popen([sys.executable, "-m", "imm_ns3.adapter.precompiled", "--background"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        (cache_root() / ".building").unlink(missing_ok=True)
        return False
    return True


def attach(cppyy: Any) -> Path | None:
    """Load the library into the process if the mode allows and it exists (building it first
    with ``build``; with ``auto``, starting a background build of what is missing). Must run
    after the ns-3 libraries are loaded and before Cling reads any of :func:`package_headers`."""
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
    if m == "auto":
        missing = [p for p in (dest, pch_path()) if not p.exists() and not _failed(p)]
        started = bool(missing) and _build_in_background()
    else:
        started = False
    if not dest.exists():
        failed = _failed(dest)
        status.update(library=None, reason=f"building it failed: {failed}" if failed
                      else "not built yet" + (" (building in the background)" if started else ""))
        return None
    try:
        cppyy.load_library(str(dest))
    except Exception as e:  # noqa: BLE001 - any failure means: compile with Cling instead
        if status["pch"]:  # Cling has the declarations only: nothing can define them now
            raise RuntimeError(f"the shims library {dest} failed to load ({e}) and the precompiled"
                               f" header {status['pch']} declares its functions: delete"
                               f" {cache_root()} or set IMM_NS3_PRECOMPILED=off") from e
        status.update(library=None, reason=f"failed to load: {e}")
        print(f"imm-ns3: ignoring the shims library {dest}: {e}", file=sys.stderr)
        return None
    status.update(library=str(dest), reason="loaded")
    return dest


def _background() -> int:
    """The background build: each missing artefact, a failure recorded beside it."""
    try:
        os.nice(10)
    except OSError:
        pass
    rc = 0
    try:
        for dest, make in ((pch_path(), build_pch), (library_path(), build)):
            if dest is None or dest.exists() or _failed(dest):
                continue
            try:
                build_once(dest, make, wait=True)  # a process with ``build`` may be at it
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                dest.parent.mkdir(parents=True, exist_ok=True)
                (dest.parent / "build-error.txt").write_text(str(e))
                rc = 1
    finally:
        (cache_root() / ".building").unlink(missing_ok=True)
    return rc


if __name__ == "__main__":
    if sys.argv[1:] == ["--background"]:
        sys.exit(_background())
    for p in build_all():
        print(p)
