"""The golden records come out the same with and without the precompiled header and the shims
library (imm_ns3/adapter/precompiled.py): the suite's test processes run with them (built
before the first ns-3 test, tests/conftest.py: precompiled_ready), so test_golden checks the
library's path, and a fresh process with ``IMM_NS3_PRECOMPILED=off`` here checks Cling's (a
machine without a compiler, or whose build failed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imm_ns3.adapter import precompiled

from conftest import IMPORT_STATUS, ROOT


_RUN = """
import json, sys
sys.path.insert(0, {tests!r})
from golden import CASES, run_case
from imm_ns3.adapter import precompiled
out = {{c.name: run_case(c) for c in CASES if c.name in {names!r}}}
print(json.dumps({{"status": precompiled.status, "records": out}}))
"""


@pytest.mark.skipif(precompiled.compiler() is None or precompiled.mode() == "off",
                    reason="no C++ compiler, or IMM_NS3_PRECOMPILED=off")
def test_the_test_processes_run_with_this_versions_library(ns3_ready):
    """What test_golden's records are computed with, in this worker as in the other (both
    import ns-3 after precompiled_ready): a failed build shows here, with its reason."""
    status = IMPORT_STATUS  # what the import did (other tests call precompiled's functions later)
    assert status["reason"] == "loaded", status
    assert Path(status["library"]) == precompiled.library_path()
    assert status["pch"] and Path(status["pch"]) == precompiled.pch_path()


def test_runs_without_the_library_compute_the_golden_records():
    """Cling compiles every shim and ns-3 template itself, in a fresh process."""
    env = dict(os.environ, IMM_NS3_PRECOMPILED="off")
    names = ["patent-walk-seed1", "shadowing-fading", "local-detection"]
    code = _RUN.format(tests=str(ROOT / "tests"), names=names)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["status"] == {"library": None, "reason": "IMM_NS3_PRECOMPILED=off", "pch": None}
    golden = json.loads((ROOT / "tests" / "golden" / "fingerprints.json").read_text())
    for name in names:
        want = {k: v for k, v in golden[name].items() if k not in ("scenario", "overrides", "seed", "why")}
        assert got["records"][name] == want, name
