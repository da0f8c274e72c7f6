"""What Cling would redo in every process, prepared once (imm_ns3/adapter/precompiled.py): what
the headers must obey for it, the declarations Cling is given, the cache's keys and background
builds. That runs with the precompiled header and the shims library compute exactly what the
golden fingerprints pin (written with Cling compiling everything): tests/sim/test_precompiled_runs.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from imm_ns3.adapter import cpp_headers, precompiled

from conftest import ROOT


@pytest.fixture(autouse=True)
def _own_status(monkeypatch):
    """attach() records what it did in the module's status: these tests' calls leave this
    process's record (what its own ns-3 import did) as it was."""
    monkeypatch.setattr(precompiled, "status", dict(precompiled.status))


# At namespace scope (column 0 in these headers) only these may start a line: anything else is
# a non-inline function or variable, which would exist twice (library and Cling) with two states.
_ALLOWED = re.compile(r"(class |struct |template|namespace|using |enum |inline |static_assert|typedef)")


def test_every_namespace_scope_definition_is_inline():
    bad = []
    for name, text in precompiled.header_texts().items():
        for no, line in enumerate(text.splitlines(), 1):
            if line and line[0] not in " /#}\t" and not _ALLOWED.match(line):
                bad.append(f"{name}:{no}: {line}")
    assert not bad, "define these inline (see precompiled.py):\n" + "\n".join(bad)


def test_every_package_header_is_in_the_library():
    on_disk = {p.name for p in (ROOT / "imm_ns3" / "adapter" / "cpp").glob("*.h")}
    assert on_disk == set(precompiled.package_headers())
    assert len(precompiled.package_headers()) == len(on_disk)  # each once
    assert not list((ROOT / "imm_ns3" / "adapter").glob("*.h"))  # none left beside the .py files


def test_the_compile_order_puts_each_header_after_what_it_requires():
    order = precompiled.package_headers()
    assert list(precompiled.header_texts()) == list(order)
    graph = cpp_headers.graph()
    for name in order:
        for dep in graph[name]:
            assert order.index(dep) < order.index(name), (dep, name)
    assert graph["mip_hook.h"] == ("bridge.h", "records.h")
    assert graph["mip_tunnel.h"] == ("bridge.h", "records.h")
    assert cpp_headers.closure("mip_hook.h") == ("bridge.h", "records.h", "mip_hook.h")
    assert cpp_headers.closure("bridge.h") == ("bridge.h",)


def test_every_header_has_its_guard_and_includes_no_other_package_header():
    for name, text in precompiled.header_texts().items():
        guard = "IMM_" + name[:-2].upper() + "_H"
        assert f"\n#ifndef {guard}\n#define {guard}\n" in text, name
        assert text.rstrip().endswith(f"#endif  // {guard}"), name
        # the order is Python's (requires lines): an #include of a sibling would bypass it
        included = re.findall(r'^#include "([^"/]+)"', text, re.MULTILINE)
        assert not set(included) & set(cpp_headers.names()), (name, included)


def test_a_missing_or_cyclic_requirement_is_one_clear_error():
    with pytest.raises(cpp_headers.HeaderGraphError, match=r"a\.h requires gone\.h, which is not a header"):
        cpp_headers.topological_order({"a.h": ("gone.h",), "b.h": ()})
    with pytest.raises(cpp_headers.HeaderGraphError, match=r"in a cycle: a\.h -> b\.h -> c\.h -> a\.h"):
        cpp_headers.topological_order({"a.h": ("b.h",), "b.h": ("c.h",), "c.h": ("a.h",)})
    with pytest.raises(cpp_headers.HeaderGraphError, match=r"'nope\.h' is not a header"):
        cpp_headers.text("nope.h")
    assert cpp_headers.topological_order({"c.h": ("a.h", "b.h"), "b.h": ("a.h",), "a.h": ()}) == (
        "a.h", "b.h", "c.h")
    assert cpp_headers.requires("// x\n// requires: a.h, b.h\n// requires: c.h a.h\nint x;\n") == (
        "a.h", "b.h", "c.h")


def test_declarations_only_keeps_variables_classes_and_templates():
    text = """namespace imm {
inline std::function<void(uint64_t)> g_fire;
class A {
 public:
  int f() { return 1; }
};
inline int Twice(int x,
                 int y = 2) {
  const char* s = "}{";  // a } in a comment
  /* and { here */
  return x * y + s[0] * 0 + '}' * 0;
}
template <typename T>
inline T Same(T x) { return x; }
inline void Last() { if (true) { } }
}  // namespace imm
"""
    out = precompiled.declarations_only(text)
    assert "inline std::function<void(uint64_t)> g_fire;" in out
    assert "int f() { return 1; }" in out
    assert "int Twice(int x,\n                 int y = 2);" in out
    assert "return x * y" not in out
    assert "inline T Same(T x) { return x; }" in out
    assert "void Last();\n}  // namespace imm" in out


def test_declarations_only_of_every_header_balances():
    for name, text in precompiled.header_texts().items():
        out = precompiled.declarations_only(text)
        assert out.count("{") == out.count("}"), name
        assert len(out) < len(text) or "inline" not in text, name


def test_a_bad_mode_names_the_variable_and_the_allowed_values(monkeypatch):
    monkeypatch.setenv("IMM_NS3_PRECOMPILED", "fast")
    with pytest.raises(ValueError, match=r"IMM_NS3_PRECOMPILED='fast': allowed values are auto, build, off"):
        precompiled.mode()


def test_the_key_follows_the_headers(monkeypatch, tmp_path):
    monkeypatch.setenv("IMM_NS3_CACHE_DIR", str(tmp_path))
    texts = precompiled.header_texts()
    a = precompiled.library_path("/usr/bin/true", texts)
    changed = dict(texts, **{"bridge.h": texts["bridge.h"] + "\n// another version\n"})
    b = precompiled.library_path("/usr/bin/true", changed)
    assert a != b and a.parent.parent == b.parent.parent == tmp_path


def test_a_failed_background_build_is_recorded_and_not_retried(monkeypatch, tmp_path):
    monkeypatch.setenv("IMM_NS3_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("IMM_NS3_PRECOMPILED", "auto")
    monkeypatch.setenv("CXX", "/bin/false")  # a "compiler" that fails at once

    def no_pch():
        raise RuntimeError("no precompiled header here")

    monkeypatch.setattr(precompiled, "build_pch", no_pch)
    assert precompiled._lock()
    assert precompiled._background() == 1
    assert not (tmp_path / ".building").exists()
    lib = precompiled.library_path()
    assert (lib.parent / "build-error.txt").exists()
    assert "no precompiled header here" in (precompiled.pch_path().parent / "build-error.txt").read_text()
    started = []
    monkeypatch.setattr(precompiled, "_build_in_background", lambda: started.append(1))
    assert precompiled.attach(cppyy=None) is None
    assert started == [] and precompiled.status["reason"].startswith("building it failed")


def test_an_unusable_cache_directory_changes_nothing(monkeypatch, tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    monkeypatch.setenv("IMM_NS3_CACHE_DIR", str(not_a_dir / "imm-ns3"))
    monkeypatch.setenv("IMM_NS3_PRECOMPILED", "auto")
    monkeypatch.setenv("CXX", "/bin/false")
    assert precompiled.attach(cppyy=None) is None
    assert precompiled.status["reason"] == "not built yet"  # no background build was started


def test_one_background_build_at_a_time(monkeypatch, tmp_path):
    monkeypatch.setenv("IMM_NS3_CACHE_DIR", str(tmp_path))
    assert precompiled._lock()
    assert not precompiled._lock()
    old = 2 * precompiled.STALE_LOCK_S
    os.utime(tmp_path / ".building", (os.path.getmtime(tmp_path / ".building") - old,) * 2)
    assert precompiled._lock()  # a lock left by a build that died long ago


def test_prune_removes_other_versions_only(monkeypatch, tmp_path):
    monkeypatch.setenv("IMM_NS3_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CXX", "/bin/false")  # a compiler: the library's key is known
    keep = precompiled.current_dirs()
    assert len(keep) == 2
    for d in keep:
        d.mkdir(parents=True)
        (d / "artefact").write_bytes(b"x" * 10)
    for name in ("pch-0123456789abcdef0123", "shims-0123456789abcdef0123"):
        (tmp_path / name / "imm").mkdir(parents=True)
        (tmp_path / name / "imm" / "bridge.h").write_bytes(b"y" * 7)
    (tmp_path / "notes").mkdir()  # not the cache's: left alone
    (tmp_path / ".building").write_text("1")
    with pytest.raises(RuntimeError, match="build is running"):
        precompiled.prune()
    (tmp_path / ".building").unlink()
    removed = precompiled.prune()
    assert sorted(d.name for d, _ in removed) == ["pch-0123456789abcdef0123", "shims-0123456789abcdef0123"]
    assert [size for _, size in removed] == [7, 7]
    assert all(d.exists() for d in keep) and (tmp_path / "notes").exists()
    assert precompiled.prune() == []


def test_prune_without_a_compiler_keeps_every_library(monkeypatch, tmp_path):
    monkeypatch.setenv("IMM_NS3_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(precompiled, "compiler", lambda: None)
    (tmp_path / "shims-0123456789abcdef0123").mkdir()
    (tmp_path / "pch-0123456789abcdef0123").mkdir()
    assert [d.name for d, _ in precompiled.prune()] == ["pch-0123456789abcdef0123"]
    assert (tmp_path / "shims-0123456789abcdef0123").exists()


def test_a_parents_precompiled_header_is_not_taken_for_the_users(tmp_path):
    """A sweep worker inherits the environment of the process that set CLING_STANDARD_PCH: it
    must decide for itself (its cache may be another), not take it for the user's own choice
    (then it would give Cling the headers a second time)."""
    code = ("import os, sys\nfrom imm_ns3.adapter import precompiled\n"
            "precompiled.use_pch_for_import()\n"
            "print(os.environ.get('CLING_STANDARD_PCH'), 'cppyy' in sys.modules)")
    env = dict(os.environ, IMM_NS3_CACHE_DIR=str(tmp_path), IMM_NS3_PRECOMPILED="auto",
               CLING_STANDARD_PCH="/elsewhere/ns3.pch", IMM_NS3_PCH_IN_USE="/elsewhere/ns3.pch")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["None", "False"], out.stderr
    env2 = dict(env, CLING_STANDARD_PCH="/venv/cppyy/allDict.cxx.pch.6.32.8")
    del env2["IMM_NS3_PCH_IN_USE"]  # what cppyy leaves in the environment of a parent
    out = subprocess.run([sys.executable, "-c", code], env=env2, capture_output=True, text=True)
    assert out.stdout.split() == ["None", "False"], out.stderr
    env["IMM_NS3_PCH_IN_USE"] = "/another/ns3.pch"  # the user's own choice: kept
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["/elsewhere/ns3.pch", "False"], out.stderr


_FAKE_BUILD = """
import os, sys, time
from pathlib import Path
from imm_ns3.adapter import precompiled as P

def fake(name, dest_of):
    def make(*_):
        with open(sys.argv[1], "a") as f:
            f.write(f"{os.getpid()} {name}\\n")
        time.sleep(1.5)  # long enough for the other process to ask meanwhile
        dest = dest_of()
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(name)
        return dest
    return make

P.build_pch = fake("pch", P.pch_path)
P.build = fake("library", P.library_path)
print(" ".join(p.read_text() for p in P.build_all()))
"""


def test_processes_building_at_once_build_each_artefact_once(tmp_path):
    """Two processes that need the artefacts at once (a suite's two workers, a sweep's workers
    with ``build``): each artefact is built by one of them, the other waits for it."""
    env = dict(os.environ, IMM_NS3_CACHE_DIR=str(tmp_path / "cache"), CXX="/bin/false")
    log = tmp_path / "built.txt"
    procs = [subprocess.Popen([sys.executable, "-c", _FAKE_BUILD, str(log)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [o.split() for o, _ in outs] == [["pch", "library"]] * 2
    assert sorted(line.split()[1] for line in log.read_text().splitlines()) == ["library", "pch"]
