"""Runs and processes: a run directory is never replaced by a different run; Ctrl-C is 130."""

from __future__ import annotations

import json
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
