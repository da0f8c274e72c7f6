"""Runs and processes: a run directory is never replaced by a different run; Ctrl-C is 130."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner

from imm_ns3 import cli
from imm_ns3.scenario import load_scenario


def _fake_run(d: Path, scenario, seed: int) -> None:
    d.mkdir(parents=True)
    (d / "summary.json").write_text(json.dumps({"seed": seed}))
    (d / "scenario.toml").write_text(tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True)))


def test_default_run_directory_names_the_overrides():
    s = load_scenario("patent-walk")
    assert cli.default_run_dir(s, 1, ()) == Path("runs/patent-walk-seed1")
    a = cli.default_run_dir(s, 1, ("mobility.speed_mps=20",))
    b = cli.default_run_dir(s, 1, ("mobility.speed_mps=5",))
    assert a != b and a.name.startswith("patent-walk-seed1-") and len(a.name) == len("patent-walk-seed1-") + 8


def test_a_run_directory_is_rewritten_only_by_the_same_run(tmp_path):
    s = load_scenario("patent-walk")
    d = tmp_path / "r"
    assert cli.replaces_another_run(d, s, 1) is None  # nothing there
    _fake_run(d, s, 1)
    assert cli.replaces_another_run(d, s, 1) is None  # the same run again
    assert "holds another run" in cli.replaces_another_run(d, s, 2)
    other = load_scenario("patent-walk", ["mobility.speed_mps=20"])
    assert "holds another run" in cli.replaces_another_run(d, other, 1)
    (tmp_path / "x").mkdir()
    assert "is not an imm-ns3 run directory" in cli.replaces_another_run(tmp_path / "x", s, 1)


def test_run_refuses_to_replace_a_different_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _fake_run(tmp_path / "out", load_scenario("patent-walk"), 1)
    r = CliRunner().invoke(cli.main, ["run", "--out", "out", "--set", "mobility.speed_mps=20"])
    assert r.exit_code == 2 and "holds another run" in r.output
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == {"seed": 1}


def test_ctrl_c_during_a_run_exits_130(tmp_path, monkeypatch):
    import imm_ns3.adapter as adapter

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(adapter, "run_scenario", interrupted)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli.main, ["run", "-q"])
    assert r.exit_code == 130 and "interrupted" in r.output
    assert not (tmp_path / "runs" / "patent-walk-seed1").exists()


@pytest.mark.ns3
def test_ctrl_c_inside_a_simulation_is_an_interruption(ns3_ready, tmp_path):
    from imm_ns3.adapter import run_scenario

    def press_ctrl_c():
        raise KeyboardInterrupt

    s = load_scenario("patent-walk", ["simulation.duration_s=3", "tcp.enabled=false"])
    with pytest.raises(KeyboardInterrupt):
        run_scenario(s, out_dir=tmp_path / "r",
                     setup=lambda ctx: ctx.bridge.call_at(0.5, press_ctrl_c, name="ctrl-c"))
    assert not (tmp_path / "r").exists() and not list(tmp_path.iterdir())
    # The process goes on: the next run is whole.
    r = run_scenario(s)
    assert r.summary["sim_time_s"] == 3.0


_FORGE = r"""
namespace imm {  // tags beside imm::Reach: the friend it defines is found through them
struct TestIsWaitTag { friend constexpr auto reach(TestIsWaitTag); };
template struct Reach<TestIsWaitTag, &ns3::StaWifiMac::IsWaitAssocResp>;
}
namespace immtest {

// Poll a station until it waits for an association response, then deliver a (re)association
// response from an access point it never asked: the late response of the ns-3 assertion.
struct Forger {
  ns3::StaWifiMac* mac;
  int injected = 0;
  void Poll() {
    if ((mac->*reach(imm::TestIsWaitTag{}))()) {
      ns3::WifiMacHeader h;
      h.SetType(ns3::WIFI_MAC_MGT_ASSOCIATION_RESPONSE);
      h.SetAddr1(mac->GetAddress());
      h.SetAddr2(ns3::Mac48Address("02:00:00:00:99:99"));
      h.SetAddr3(ns3::Mac48Address("02:00:00:00:99:99"));
      auto mpdu = ns3::Create<ns3::WifiMpdu>(ns3::Create<ns3::Packet>(), h);
      ns3::Ptr<ns3::MacRxMiddle> rx = mac->*reach(imm::RxMiddleTag{});
      rx->Receive(mpdu, 0);
      ++injected;
      return;
    }
    ns3::Simulator::Schedule(ns3::MicroSeconds(100), &Forger::Poll, this);
  }
};
std::vector<std::unique_ptr<Forger>> g_forgers;
inline int ForgeLateAssocResponse(ns3::Ptr<ns3::NetDevice> dev) {
  auto mac = ns3::DynamicCast<ns3::StaWifiMac>(ns3::DynamicCast<ns3::WifiNetDevice>(dev)->GetMac());
  g_forgers.push_back(std::make_unique<Forger>());
  g_forgers.back()->mac = ns3::PeekPointer(mac);
  ns3::Simulator::ScheduleNow(&Forger::Poll, g_forgers.back().get());
  return (int)g_forgers.size() - 1;
}
inline int Injected(int i) { return g_forgers[i]->injected; }
}
"""


@pytest.mark.ns3
def test_a_late_association_response_is_ignored_not_fatal(ns3_ready):
    """Without the guard ns-3 ends the process here (NS_ASSERT in StaWifiMac::ReceiveAssocResp)."""
    from golden import load_golden
    from imm_ns3.adapter import run_scenario
    from imm_ns3.adapter import runtime

    runtime.compile_extension("assoc_guard.h")
    if not hasattr(runtime._cppyy.gbl, "immtest"):
        runtime._cppyy.cppdef(_FORGE)
    forge = runtime._cppyy.gbl.immtest
    seen = {}

    def inject(ctx):
        seen["i"] = forge.ForgeLateAssocResponse(ctx.net.sta_devices["mh1"])

    r = run_scenario(load_scenario("patent-walk"), setup=inject)
    assert forge.Injected(seen["i"]) == 1
    assert r.summary["radio"]["late_association_responses_ignored"] == 1
    # Ignored, not half-applied: the run is the same run as without the forged frame.
    assert r.summary["fingerprint"] == load_golden()["patent-walk-seed1"]["fingerprint"]


def test_list_and_show_the_built_in_scenarios():
    r = CliRunner().invoke(cli.main, ["list"])
    assert r.exit_code == 0
    assert r.output.startswith("patent-walk ") and "\nredundancy " in r.output
    shown = CliRunner().invoke(cli.main, ["show", "redundancy"])
    from imm_ns3.scenario import builtin_path

    assert shown.exit_code == 0 and shown.output == builtin_path("redundancy").read_text()
    bad = CliRunner().invoke(cli.main, ["show", "nope"])
    assert bad.exit_code == 2 and "built-in: patent-walk, redundancy, crowd" in bad.output


# ---- nothing of the user's is deleted; a real signal stops a real run ----------------------
def test_a_rerun_in_place_never_deletes_the_users_files(tmp_path, monkeypatch):
    from imm_ns3.adapter import run_scenario

    monkeypatch.chdir(tmp_path)
    s = load_scenario("patent-walk")
    _fake_run(tmp_path / "out", s, 1)
    (tmp_path / "out" / "notes.txt").write_text("mine")
    (tmp_path / "out" / "plots").mkdir()
    r = CliRunner().invoke(cli.main, ["run", "--out", "out", "-q"])
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert "files no run wrote (notes.txt, plots)" in r.output
    with pytest.raises(FileExistsError, match="notes.txt"):  # the library refuses too, before ns-3
        run_scenario(s, out_dir=tmp_path / "out")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine" and (tmp_path / "out" / "plots").is_dir()


@pytest.mark.parametrize("out", ["/proc/x", "FILE/x", "FILE"])
def test_run_out_that_cannot_be_a_directory_is_one_line(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("x")
    r = CliRunner().invoke(cli.main, ["run", "--out", out, "-q"])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and r.output.startswith("error: --out"), r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    import subprocess
    import sys

    from imm_ns3.results import remove_stale_staging

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    (tmp_path / f".r.{p.pid}.partial").mkdir()
    (tmp_path / f".other.{p.pid}.partial").mkdir()
    (tmp_path / f".r.{os.getppid()}.partial").mkdir()  # a live process's: not ours to remove
    (tmp_path / ".r.notapid.partial").mkdir()
    assert remove_stale_staging(tmp_path, "r") == [tmp_path / f".r.{p.pid}.partial"]
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(
        [f".other.{p.pid}.partial", f".r.{os.getppid()}.partial", ".r.notapid.partial"])


def _run_until_simulating(tmp_path, out="runs/long"):
    """``imm-sim run`` of a 300 s walk in a child process, returned once its progress bar
    shows it is inside Simulator::Run (and the stderr it printed so far)."""
    import subprocess
    import sys
    import threading
    import time

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "imm_ns3", "run", "--out", out,
                             "--set", "simulation.duration_s=300"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = bytearray()

    def read():
        while chunk := proc.stderr.read1(4096):
            seen.extend(chunk)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 240
    while b"sim-s" not in seen:
        assert proc.poll() is None, seen.decode(errors="replace")
        assert time.monotonic() < deadline, "the run never started simulating"
        time.sleep(0.2)
    return proc, seen


@pytest.mark.ns3
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_real_signal_stops_a_real_run_within_seconds(tmp_path, sig):
    import signal
    import time

    proc, seen = _run_until_simulating(tmp_path)
    t0 = time.monotonic()
    proc.send_signal(getattr(signal, sig))
    rc = proc.wait(timeout=30)
    took = time.monotonic() - t0
    text = seen.decode(errors="replace")
    assert rc == 130, text
    assert took < 10, took
    assert "interrupted: nothing was written" in text and "Exception ignored" not in text
    assert not (tmp_path / "runs" / "long").exists()
    assert [p.name for p in (tmp_path / "runs").iterdir()] == []  # no staging directory left
