"""The shims compiled ahead of time (imm_ns3/adapter/precompiled.py): what the headers must obey
for it, the declarations Cling is given, and that runs with the library compute exactly what
the golden fingerprints pin (which were written with Cling compiling everything)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from imm_ns3.adapter import precompiled

ROOT = Path(__file__).resolve().parent.parent

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
    on_disk = {p.name for p in (ROOT / "imm_ns3" / "adapter").glob("*.h")}
    assert on_disk == set(precompiled.HEADERS)


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
    changed = dict(texts, **{"shims.h": texts["shims.h"] + "\n// another version\n"})
    b = precompiled.library_path("/usr/bin/true", changed)
    assert a != b and a.parent.parent == b.parent.parent == tmp_path


_RUN = """
import json, sys
sys.path.insert(0, {tests!r})
from golden import CASES, run_case
from imm_ns3.adapter import precompiled
out = {{c.name: run_case(c) for c in CASES if c.name in {names!r}}}
print(json.dumps({{"status": precompiled.status, "records": out}}))
"""


@pytest.mark.ns3
@pytest.mark.skipif(precompiled.compiler() is None, reason="no C++ compiler")
def test_runs_with_the_library_compute_the_golden_records(tmp_path):
    env = dict(os.environ, IMM_NS3_CACHE_DIR=str(tmp_path), IMM_NS3_PRECOMPILED="build")
    names = ["patent-walk-seed1", "shadowing-fading", "local-detection"]
    code = _RUN.format(tests=str(ROOT / "tests"), names=names)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["status"]["reason"] == "loaded", got["status"]
    assert Path(got["status"]["library"]).parent.parent == tmp_path
    golden = json.loads((ROOT / "tests" / "golden" / "fingerprints.json").read_text())
    for name in names:
        want = {k: v for k, v in golden[name].items() if k not in ("scenario", "overrides", "seed", "why")}
        assert got["records"][name] == want, name
