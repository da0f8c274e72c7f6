"""Runs and processes on ns-3: Ctrl-C inside a simulation is an interruption, a late association
response is ignored, a real signal stops a real run within seconds."""

from __future__ import annotations

import os

import pytest

from imm_ns3.scenario import load_scenario

from conftest import ROOT


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


def _run_until_simulating(tmp_path, out="runs/long"):
    """``imm-sim run`` of a 300 s walk in a child process, returned once its progress bar
    shows it is inside Simulator::Run (and the stderr it printed so far)."""
    import subprocess
    import sys
    import threading
    import time

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # As from a terminal: Ctrl-C's default action. A child inherits an ignored SIGINT, and a
    # run that starts with SIGINT ignored rightly goes on (a sweep worker's runs do). The test
    # processes ignore it when the suite is started as a background job of a script (such a
    # job ignores SIGINT and SIGQUIT; a notebook test's event loop happens to reset SIGINT);
    # this test is about the user who presses Ctrl-C.
    start = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
             " sys.argv = ['imm-sim'] + sys.argv[1:]; runpy.run_module('imm_ns3', run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-c", start, "run", "--out", out,
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


def _signal_status(pid: int) -> str:
    """The signals a process ignores and catches (its /proc status masks), for a failure."""
    try:
        lines = open(f"/proc/{pid}/status").read().splitlines()
    except OSError as e:
        return f"signal masks unreadable ({e})"
    return ", ".join(ln.replace("\t", " ") for ln in lines if ln.startswith(("SigIgn", "SigCgt")))


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_real_signal_stops_a_real_run_within_seconds(tmp_path, sig):
    import signal
    import subprocess
    import time

    proc, seen = _run_until_simulating(tmp_path)
    t0 = time.monotonic()
    proc.send_signal(getattr(signal, sig))
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        status = _signal_status(proc.pid)
        proc.kill()
        proc.wait()
        pytest.fail(f"{sig} did not stop the run in 30 s; the child's {status}; this test"
                    f" process's {_signal_status(os.getpid())}; its stderr:\n"
                    + seen.decode(errors="replace")[-2000:])
    took = time.monotonic() - t0
    text = seen.decode(errors="replace")
    assert rc == 130, text
    assert took < 10, took
    assert "interrupted: nothing was written" in text and "Exception ignored" not in text
    assert not (tmp_path / "runs" / "long").exists()
    assert [p.name for p in (tmp_path / "runs").iterdir()] == []  # no staging directory left


_ABORT = r"""
import sys
sys.path.insert(0, {tests!r})
from imm_ns3.adapter import run_scenario
from imm_ns3.scenario import load_scenario
from sweep_faults import ns3_assertion

schedule_in_the_past = ns3_assertion()


def setup(ctx):
    ctx.bridge.call_at(0.5, schedule_in_the_past, name="assert")


run_scenario(load_scenario("patent-walk", ["simulation.duration_s=3", "tcp.enabled=false"]),
             out_dir="runs/r", setup=setup)
"""


def test_an_ns3_assertion_ends_the_run_with_a_line_saying_so_not_a_stack_dump(tmp_path):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", _ABORT.format(tests=str(ROOT / "tests"))],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == -6, (res.returncode, res.stderr[-3000:])  # SIGABRT, as ns-3 ends
    assert "NS_ASSERT failed" in res.stderr and "Negative delay" in res.stderr  # ns-3's line
    assert ("imm-ns3: ns-3 ended run patent-walk seed 1 (nothing was written to runs/r; the next"
            " run there removes the partial directory beside it) at an assertion or a fatal"
            " error in its C++") in res.stderr
    assert "Thread 1" not in res.stderr and "#0 " not in res.stderr, res.stderr[-3000:]
    assert not (tmp_path / "runs" / "r").exists()
