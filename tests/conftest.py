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


@pytest.fixture(scope="session")
def ns3_ready():
    """Import ns-3 and compile the shims once for the whole session."""
    from imm_ns3.adapter.runtime import ns3, shims

    ns3()
    shims()
    return True


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
    items.sort(key=lambda it: 1 if it.get_closest_marker("ns3") else 0)


os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
