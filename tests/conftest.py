"""Shared fixtures. ns-3 is imported at most once per test process (it costs 10-20 s)."""

from __future__ import annotations

import copy
import os
import pathlib
import sys

import pytest

from imm_ns3.scenario import read_scenario_dict

TESTS = pathlib.Path(__file__).resolve().parent
ROOT = TESTS.parent
SIM = TESTS / "sim"  # every test that runs ns-3, and only those

# The shared helpers (fakes, golden, pcaputil, scenario_dicts, ...) sit beside this file and the
# tests in sim/, cores/ and package/ import them by name: this directory is on sys.path (pytest
# puts it there in its default "prepend" import mode; this keeps it so in the others too).
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


# What this process's ns-3 import and first shims did with the precompiled artefacts
# (precompiled.status then: tests of precompiled.py's functions may change it later).
IMPORT_STATUS: dict = {}


@pytest.fixture(scope="session")
def ns3_ready():
    """Import ns-3 and compile the shims once for the whole session."""
    from imm_ns3.adapter import precompiled
    from imm_ns3.adapter.runtime import ns3, shims

    ns3()
    shims()  # the library is loaded (or not) here
    IMPORT_STATUS.update(precompiled.status)
    return True


_PRECOMPILED: dict = {}


def precompiled_ready() -> None:
    """The precompiled ns-3 header and the shims library of this code version
    (imm_ns3/adapter/precompiled.py), built before the first test that runs ns-3 imports it or
    starts a process that does (pytest_runtest_setup below): every test process, sweep worker
    and CLI run of the suite then reaches its first simulated event in seconds, not after
    Cling has compiled the shims again. A fresh machine (CI) builds them once, the two test
    workers sharing the work (one artefact each, precompiled.build_all); a machine that has them
    builds nothing. (Otherwise the first process would build them in the background at low
    priority while the suite keeps both cores busy, and every process started meanwhile would
    go without.) A failed build is reported and changes nothing else: Cling compiles instead,
    and test_precompiled_runs.py's check of the workers' library fails with the reason.
    IMM_NS3_PRECOMPILED=off: nothing is built."""
    if _PRECOMPILED:
        return
    _PRECOMPILED["asked"] = True
    from imm_ns3.adapter import precompiled

    if precompiled.mode() == "off" or precompiled.compiler() is None:
        return
    try:
        precompiled.build_all()
    except (RuntimeError, OSError) as e:
        print(f"imm-ns3 tests: building the precompiled artefacts failed: {e}", file=sys.stderr)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.get_closest_marker("ns3"):  # before its fixtures (ns3_ready, a sweep's workers)
        precompiled_ready()


@pytest.fixture
def walk_dict():
    """A fresh, mutable copy of the built-in patent-walk scenario."""
    data, _ = read_scenario_dict("patent-walk")
    return copy.deepcopy(data)


@pytest.fixture(scope="session")
def walk_run(ns3_ready, tmp_path_factory):
    """One patent-walk run with pcap, shared by the tests that only read its results."""
    from imm_ns3.adapter import run_scenario
    from imm_ns3.scenario import load_scenario

    out = tmp_path_factory.mktemp("walk") / "run"
    return run_scenario(load_scenario("patent-walk"), out_dir=out, pcap=True)


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (pyproject's addopts): one worker per core, at most two. Each worker imports
    ns-3 once; the tiny sweeps start two worker processes of their own (the reproduction check
    reruns its runs in its test worker)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


# Files whose tests take a minute or more: under xdist they are handed out first, so that
# neither worker is left with one of them at the end while the other has finished. (A file not
# listed runs in collection order after these; this only orders, it selects nothing.) The first
# two go one to each worker: a file that needs no ns-3 beside the first that does, so that on a
# fresh machine one worker draws figures while the other builds the precompiled artefacts
# (precompiled_ready), instead of waiting for them.
LONG_FIRST = (
    "tests/package/test_artifact.py",         # every figure from a clean clone (no ns-3)
    "tests/sim/test_artifact_reproduce.py",   # a stored run of every committed sweep, again
    "tests/package/test_results_readme.py",   # no ns-3
    "tests/sim/test_experiments.py",          # the tiny sweeps, then every notebook on them
    "tests/package/test_notebooks.py",        # every notebook on the committed results
)


def pytest_collection_modifyitems(config, items):
    # What runs ns-3 lives in tests/sim/ and is marked ns3 there, by its place: -m "not ns3" runs
    # everything else. A test elsewhere that asks for ns-3 (its fixture closure holds ns3_ready,
    # or it is marked ns3) is an error naming it: move it to tests/sim/.
    misplaced = []
    for item in items:
        in_sim = SIM in pathlib.Path(str(item.path)).resolve().parents
        if in_sim:
            item.add_marker(pytest.mark.ns3)
        elif "ns3_ready" in getattr(item, "fixturenames", ()) or item.get_closest_marker("ns3"):
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError(
            "these tests need ns-3 (the ns3_ready fixture or the ns3 marker) and belong in "
            f"{SIM.relative_to(ROOT)}/:\n  " + "\n  ".join(misplaced))
    # Pure-logic tests first: a failure there is found in seconds, before ns-3 is imported.
    # In xdist's worker processes (--dist loadscope: a file's tests go to one worker, so its
    # module-scoped runs are made once), the long files first instead: the run lasts until its
    # last test ends.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        def where(it):
            path = pathlib.Path(str(it.path)).resolve()
            rel = path.relative_to(ROOT).as_posix() if ROOT in path.parents else ""
            return LONG_FIRST.index(rel) if rel in LONG_FIRST else len(LONG_FIRST)
        items.sort(key=where)
    else:
        items.sort(key=lambda it: 1 if it.get_closest_marker("ns3") else 0)


os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
