"""Runs with the precompiled header and the shims library (imm_ns3/adapter/precompiled.py), in a
fresh process, compute exactly the golden records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imm_ns3.adapter import precompiled

from conftest import ROOT


_RUN = """
import json, sys
sys.path.insert(0, {tests!r})
from golden import CASES, run_case
from imm_ns3.adapter import precompiled
out = {{c.name: run_case(c) for c in CASES if c.name in {names!r}}}
print(json.dumps({{"status": precompiled.status, "records": out}}))
"""


@pytest.mark.skipif(precompiled.compiler() is None, reason="no C++ compiler")
def test_runs_with_the_library_compute_the_golden_records():
    """With the artefacts the suite built (tests/conftest.py, precompiled_ready: on a fresh
    machine, as CI's, built from nothing before the first test that runs ns-3; ``build`` here
    builds them if they are not there)."""
    env = dict(os.environ, IMM_NS3_PRECOMPILED="build")
    names = ["patent-walk-seed1", "shadowing-fading", "local-detection"]
    code = _RUN.format(tests=str(ROOT / "tests"), names=names)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["status"]["reason"] == "loaded", got["status"]
    assert Path(got["status"]["library"]) == precompiled.library_path()
    assert got["status"]["pch"] and Path(got["status"]["pch"]) == precompiled.pch_path(), (
        got["status"], res.stderr[-2000:])  # the ns-3 headers came from it
    golden = json.loads((ROOT / "tests" / "golden" / "fingerprints.json").read_text())
    for name in names:
        want = {k: v for k, v in golden[name].items() if k not in ("scenario", "overrides", "seed", "why")}
        assert got["records"][name] == want, name
