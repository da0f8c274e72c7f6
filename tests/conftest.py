"""Shared fixtures. ns-3 is imported at most once per test process (it costs 10-20 s)."""

from __future__ import annotations

import copy
import os
import pathlib

import pytest

from imm_ns3.scenario import read_scenario_dict

ROOT = pathlib.Path(__file__).resolve().parent.parent


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
    # Pure-logic tests first: a failure there is found in seconds, before ns-3 is imported.
    items.sort(key=lambda it: 1 if it.get_closest_marker("ns3") else 0)


os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
