"""Benchmark: the whole stack against a plain C++ ns-3 program of the same network.

Two kinds of rows, for 1, 10 and 40 mobile hosts by default (``--hosts``):

- ``traffic: false``: patent-walk with N hosts walking the specification's path, signalling
  only (probe, TCP and calls off). The C++ program (``baseline_wifi.cc``, built here against the
  wheel's headers) has the same radio network and walks and puts the stack's periodic frames on
  the air at the same rates and sizes (beacons, advertisements, route-updates), as IPv4/UDP
  datagrams that every station's socket reads: ``cpp_wall_s``. ``cpp_radio_only_s`` is the
  program without them, ``cpp_device_frames_s`` with them as frames nothing above the MAC
  takes (the baseline of the rows before 2026-11-29).
- ``traffic: true``: the ``crowd`` scenario with N hosts, compressed to ``--traffic-s``
  simulated seconds: random-waypoint walks; per host one call with RTP both ways and one
  download at 256 kbit/s, whose start spread, holding time and size shrink by
  traffic-s / 300 so that the load per host-second is the crowd's (about 0.07 Erlang per host).
  The C++ program carries the same flows with the project's own C++ generators over IP, over an
  802.11 extended service set (access points bridged to one Ethernet segment with the
  correspondent), with the same per-host call and download schedule and the same periodic
  frames: the ratio prices MMP's routing, DRCP, MIP-LR, SIP and the Python cores.

Both programs' times are the wall time of ``Simulator::Run`` only (start-up is measured by
``--sweep-overhead`` and in the README's start-up section). Timings live here, never in tests.

    .venv/bin/python benchmarks/bench_run.py [--repeat 1] [--hosts 1,10,40,100] [--json]
    .venv/bin/python benchmarks/bench_run.py --sweep-overhead
    .venv/bin/python benchmarks/bench_run.py --startup [--repeat 3]

``--json`` prints one JSON object per row: ``{"hosts", "traffic", "sim_s", "imm_wall_s",
"cpp_wall_s", "ratio", "python_events", "python_wall_s", "peak_rss_mb", ...}`` (``peak_rss_mb``:
the benchmark process's peak resident memory so far, ns-3 import included; traffic rows add
what each program delivered, to show they carried the same load).
``--sweep-overhead`` measures what a warm sweep worker costs per run beyond the simulation
itself (runs of 1 simulated second), and the speed-up of two workers over one. ``--startup``
measures fresh processes with and without the cache of ``imm_ns3/adapter/precompiled.py``:
the ns-3 import, the shims, the time from the end of the import to the first simulated event
of a first run, and two runs of 1 simulated second.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CROWD_S = 300.0  # the crowd scenario's length (imm_ns3/scenarios/crowd.toml)
LIBS = ["core", "network", "mobility", "wifi", "propagation", "spectrum", "antenna", "energy", "csma",
        "internet", "point-to-point", "traffic-control", "stats", "config-store"]


def signalling_frames(s) -> list[str]:
    """The stack's periodic frames, for the baseline: interval and IPv4 datagram bytes of a
    base-station beacon, a DRCP advertisement and a mobile host's route-update."""
    from imm_ns3.adapter.env import IP_UDP_HEADER
    from imm_ns3.mmp.messages import BaseStationBeacon, DrcpAdvertisement, RouteUpdate

    return ["--frames=1", f"--bsBeaconS={s.mmp.bs_beacon_interval_s}",
            f"--bsBeaconBytes={len(BaseStationBeacon(0, 0, 0, 0)) + IP_UDP_HEADER}",
            f"--advS={s.drcp.advertisement_interval_s}",
            f"--advBytes={len(DrcpAdvertisement(0, 0, 0, 0)) + IP_UDP_HEADER}",
            f"--ruS={s.mmp.route_update_interval_s}",
            f"--ruBytes={len(RouteUpdate(0, 0, 0)) + IP_UDP_HEADER}"]


def build_baseline(workdir: Path) -> Path:
    import ns3 as wheel  # the wheel's package directory holds include/ and lib64/

    root = Path(wheel.__path__[0])
    exe = workdir / "baseline_wifi"
    libs = [f"-lns3.44-{m}" for m in LIBS if (root / "lib64" / f"libns3.44-{m}.so").exists()]
    cmd = ["g++", "-std=c++20", "-O2", f"-I{root / 'include'}", str(HERE / "baseline_wifi.cc"),
           "-o", str(exe), f"-L{root / 'lib64'}", *libs, f"-Wl,-rpath,{root / 'lib64'}"]
    subprocess.run(cmd, check=True)
    return exe


def radio_args(s, topo) -> list[str]:
    """The radio network and the mobility of scenario ``s``, as the baseline's options."""
    from imm_ns3.topology import reference_loss_db

    w, m = s.wifi, s.mobility
    aps = ";".join(f"{r.position_m[0]},{r.position_m[1]}" for r in topo.radios.values())
    out = [f"--duration={s.simulation.duration_s}", f"--txDbm={w.tx_power_dbm}",
           f"--exponent={w.propagation.exponent}", f"--refLoss={reference_loss_db(topo)}",
           f"--beaconUs={round(w.beacon_interval_s * 1e6)}", f"--maxMissed={w.max_missed_beacons}",
           f"--aps={aps}", f"--stations={s.mobile_hosts.count}", f"--run={s.simulation.seed}"]
    if any(r.channel != 1 for r in topo.radios.values()):  # the baseline's default: all on 1
        # The same channel per access point; with several, the stations scan them.
        out.append("--apChannels=" + ",".join(str(r.channel) for r in topo.radios.values()))
    if m.model == "random_waypoint":
        out += ["--mobility=rwp", "--area=" + ",".join(str(v) for v in m.area_m),
                f"--speed={m.speed_mps}", f"--minSpeed={m.min_speed_mps or m.speed_mps}",
                f"--pause={m.pause_s}"]
    else:
        out += ["--mobility=walk", f"--x0={m.waypoints_m[0][0]}", f"--x1={m.waypoints_m[-1][0]}",
                f"--speed={m.speed_mps}", f"--start={m.start_s}",
                f"--stagger={s.mobile_hosts.start_stagger_s}"]
    return out


def traffic_args(s, topo) -> list[str]:
    """The data flows of scenario ``s`` with the stack's own per-host schedule."""
    from imm_ns3.schedule import call_plan, spread_start

    names = [mh.name for mh in topo.mobile_hosts]
    end = s.simulation.duration_s - 1.0  # the stack's RTP senders stop 1 s before the end
    q, t = s.sip, s.tcp
    calls = call_plan(names, s.simulation.seed, call_at_s=q.call_at_s, spread_s=q.call_spread_s,
                      holding_s=q.holding_s, holding=q.holding, run_end_s=end)
    out = ["--traffic=1", f"--rtpInterval={q.rtp_interval_s}", f"--rtpPayload={q.rtp_payload_bytes}"]
    if q.enabled:
        out.append("--calls=" + ",".join(f"{calls[n].start_s}:{calls[n].end_s}" for n in names))
    if t.enabled:
        out += [f"--tcpBytes={t.size_bytes}", f"--tcpRateBps={t.rate_mbps * 1e6}",
                f"--tcpSegment={t.segment_bytes}", "--tcpStarts=" + ",".join(
                    str(spread_start(s.simulation.seed, "tcp", n, t.start_s, t.start_spread_s))
                    for n in names)]
    if s.probe.enabled:
        out += [f"--probePps={s.probe.rate_pps}", f"--probeBytes={s.probe.size_bytes}",
                f"--probeStart={s.probe.start_s}"]
    return out


def run_baseline(exe: Path, args: list[str]) -> list[float]:
    out = subprocess.run([str(exe), *args], check=True, capture_output=True, text=True)
    return [float(v) for v in out.stdout.split()]


def delivered(out_dir: Path) -> dict:
    """What the stack delivered, from its tables: RTP packets each way, TCP bytes acknowledged."""
    import pandas as pd

    f = pd.read_parquet(out_dir / "flows.parquet")
    rtp = f[f.name == "rtp"]
    return {"rtp_rx_down": int(rtp[rtp.src == "ch"].received_packets.sum()),
            "rtp_rx_up": int(rtp[rtp.dst == "ch"].received_packets.sum()),
            "tcp_acked": int(f[f.name == "tcp"].acked_bytes.fillna(0).sum())}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--hosts", default="1,10,40", help="comma-separated host counts")
    ap.add_argument("--signalling-s", type=float, default=50.0,
                    help="simulated seconds of the signalling-only rows")
    ap.add_argument("--traffic-s", type=float, default=60.0,
                    help="simulated seconds of the rows with traffic")
    ap.add_argument("--only", choices=("signalling", "traffic"), help="one kind of row")
    ap.add_argument("--json", action="store_true", help="one JSON object per row")
    ap.add_argument("--sweep-overhead", action="store_true",
                    help="measure the per-run overhead of warm sweep workers instead")
    ap.add_argument("--startup", action="store_true",
                    help="measure a fresh process's start-up instead, with and without the cache")
    ap.add_argument("--startup-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.startup_child:
        return startup_child(args.startup_child)
    if args.startup:
        return startup(args.repeat, args.json)
    if args.sweep_overhead:
        return sweep_overhead()
    hosts = [int(h) for h in args.hosts.split(",")]
    say = (lambda *a, **k: None) if args.json else print

    from imm_ns3.adapter import run_scenario
    from imm_ns3.adapter.runtime import ns3
    from imm_ns3.scenario import load_scenario
    from imm_ns3.topology import build_topology

    t0 = time.perf_counter()
    ns3()
    say(f"ns-3 import: {time.perf_counter() - t0:.1f} s (once per process)")
    kinds = [k for k in ("signalling", "traffic") if args.only in (None, k)]
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_baseline(Path(tmp))
        say(f"{'hosts':>5} {'traffic':>7} {'sim s':>6} {'imm-ns3 s':>10} {'C++ s':>8} {'ratio':>7}"
            f" {'py events':>9} {'in Python s':>11} {'C++ radio-only s':>16}")
        for kind in kinds:
            for n in hosts:
                if kind == "signalling":
                    s = load_scenario("patent-walk", [
                        f"mobile_hosts.count={n}", "mobile_hosts.start_stagger_s=0.25",
                        f"simulation.duration_s={args.signalling_s}", "probe.enabled=false",
                        "tcp.enabled=false", "sip.call_at_s=1000.0"])
                else:
                    # The crowd scenario compressed in time: calls, downloads and their spread
                    # shrink with the run, so the load per host-second is the crowd's.
                    k = args.traffic_s / CROWD_S
                    s = load_scenario("crowd", [
                        f"mobile_hosts.count={n}", f"simulation.duration_s={args.traffic_s}",
                        f"sip.call_at_s={5 * k:.6g}", f"sip.call_spread_s={240 * k:.6g}",
                        f"sip.holding_s={20 * k:.6g}", f"tcp.start_s={5 * k:.6g}",
                        f"tcp.start_spread_s={280 * k:.6g}",
                        f"tcp.size_bytes={round(250_000 * k)}"])
                topo = build_topology(s)
                base = radio_args(s, topo) + signalling_frames(s)
                if kind == "traffic":
                    base += traffic_args(s, topo)
                ours, cpp, radio, device = [], [], [], []
                for _ in range(args.repeat):
                    with tempfile.TemporaryDirectory() as out:
                        r = run_scenario(s, out_dir=Path(out) / "run")
                        got = delivered(Path(out) / "run") if kind == "traffic" else {}
                    ours.append(r.summary["wall_time_s"])
                    b = run_baseline(exe, base)
                    cpp.append(b[0])
                    if kind == "signalling":
                        radio.append(run_baseline(exe, radio_args(s, topo))[0])
                        device.append(run_baseline(exe, base + ["--ipFrames=0"])[0])
                sim = s.simulation.duration_s
                o, c = statistics.median(ours), statistics.median(cpp)
                ro = statistics.median(radio) if radio else None
                say(f"{n:>5} {kind == 'traffic'!s:>7} {sim:>6.0f} {o:>10.2f} {c:>8.2f} {o / c:>6.2f}x"
                    f" {r.summary['python_events']:>9} {r.summary['python_wall_s']:>11.2f}"
                    f" {'' if ro is None else f'{ro:.2f}':>16}")
                if args.json:
                    row = {"hosts": n, "traffic": kind == "traffic", "sim_s": sim,
                           "imm_wall_s": round(o, 3), "cpp_wall_s": round(c, 3),
                           "ratio": round(o / c, 2), "python_events": r.summary["python_events"],
                           "python_wall_s": r.summary["python_wall_s"],
                           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
                    if ro is not None:
                        row["cpp_radio_only_s"] = round(ro, 3)
                        row["cpp_device_frames_s"] = round(statistics.median(device), 3)
                    if kind == "traffic":
                        row.update({f"imm_{k}": v for k, v in got.items()})
                        row.update({"cpp_rtp_rx_down": int(b[4]), "cpp_rtp_rx_up": int(b[5]),
                                    "cpp_tcp_acked": int(b[6])})
                    print(json.dumps(row), flush=True)
    return 0


def startup_child(label: str) -> int:
    """One fresh process: import ns-3, compile or load the shims, run patent-walk for 1 simulated
    second twice; print the times as one JSON object."""
    t0 = time.perf_counter()
    from imm_ns3.adapter import precompiled, run_scenario
    from imm_ns3.adapter.runtime import ns3, shims
    from imm_ns3.scenario import load_scenario

    ns3()
    t_import = time.perf_counter()
    shims()
    t_shims = time.perf_counter()
    first_event: list[float] = []

    def mark(ctx):  # the first event of the run: scheduled at t = 0 once everything is set up
        ctx.bridge.call_later(0.0, lambda: first_event.append(time.perf_counter()), name="mark")

    s = load_scenario("patent-walk", ["simulation.duration_s=1.0"])
    t1 = time.perf_counter()
    run_scenario(s, setup=mark)
    t2 = time.perf_counter()
    run_scenario(s)
    t3 = time.perf_counter()
    print(json.dumps({"mode": label, "import_s": round(t_import - t0, 2),
                      "shims_s": round(t_shims - t_import, 2),
                      "first_event_after_import_s": round(first_event[0] - t_import, 2),
                      "first_run_s": round(t2 - t1, 2), "second_run_s": round(t3 - t2, 2),
                      "library": bool(precompiled.status["library"]),
                      "pch": bool(precompiled.status["pch"])}))
    return 0


def startup(repeat: int, as_json: bool) -> int:
    """Fresh processes with IMM_NS3_PRECOMPILED=off (Cling parses and compiles everything) and
    with the cache (built first if missing, in a temporary directory unless IMM_NS3_CACHE_DIR
    is set), alternated ``repeat`` times."""
    import os

    with tempfile.TemporaryDirectory() as d:
        cache = os.environ.get("IMM_NS3_CACHE_DIR", d)
        env = dict(os.environ, IMM_NS3_CACHE_DIR=cache)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "imm_ns3.adapter.precompiled"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        if not as_json:
            print(f"cache ready in {time.perf_counter() - t:.1f} s ({cache})")
        for _ in range(max(repeat, 1)):
            for m in ("off", "build"):
                out = subprocess.run([sys.executable, __file__, "--startup-child", m],
                                     env=dict(env, IMM_NS3_PRECOMPILED=m), check=True,
                                     capture_output=True, text=True).stdout
                row = json.loads(out.strip().splitlines()[-1])
                if as_json:
                    print(json.dumps(row), flush=True)
                else:
                    print(f"{'cached' if m == 'build' else 'no cache':>8}: import {row['import_s']:5.2f} s,"
                          f" shims {row['shims_s']:4.2f} s, first event {row['first_event_after_import_s']:5.2f} s"
                          f" after the import, first 1 s run {row['first_run_s']:5.2f} s,"
                          f" second {row['second_run_s']:4.2f} s", flush=True)
    return 0


def sweep_overhead(n: int = 20, m: int = 24) -> int:
    """What a warm worker costs per run beyond Simulator::Run: the median time between two
    consecutive runs finishing in one worker (start-up excluded) minus the median simulation
    wall time, over ``n`` runs of 1 simulated second. Then the speed-up of two workers over one
    on ``m`` runs of 10 simulated seconds with the default traffic: for the whole sweep, and
    once the workers have started (:func:`steady_rate`)."""
    import os

    from imm_ns3.analysis import load
    from imm_ns3.sweep import load_sweep, run_sweep

    def sweep(tmp: Path, name: str, seeds: int, workers: int, base: str) -> tuple[float, Path]:
        f = tmp / f"{name}.toml"
        f.write_text(f'name = "{name}"\nscenario = "patent-walk"\nseeds = {seeds}\n[base]\n{base}')
        out = tmp / name
        t = time.perf_counter()
        rep = run_sweep(load_sweep(f), out, workers=workers, progress=False)
        assert not rep.failed, rep.failed
        return time.perf_counter() - t, out

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        _, out = sweep(tmp, "short", n, 1, '"simulation.duration_s" = 1.0\n"tcp.enabled" = false\n')
        done = sorted(os.path.getmtime(p) for p in out.glob("runs/*/summary.json"))
        gaps = [b - a for a, b in zip(done, done[1:])]
        sim = statistics.median(load(out).runs.wall_time_s)
        per_run = statistics.median(gaps)
        print(f"warm worker, {n} runs of 1 simulated s: {per_run:.3f} s per run, of which"
              f" Simulator::Run {sim:.3f} s: overhead {per_run - sim:.3f} s per run"
              " (building the network, collecting, writing the tables)")
        base = '"simulation.duration_s" = 10.0\n'
        t1, out1 = sweep(tmp, "one", m, 1, base)
        t2, out2 = sweep(tmp, "two", m, 2, base)
        r1, r2 = steady_rate(out1, 1), steady_rate(out2, 2)
    print(f"{m} runs of 10 simulated s with traffic: one worker {t1:.1f} s, two workers {t2:.1f} s"
          f" -> {t1 / t2:.2f}x (each worker pays its own start-up: ns-3 import and first-run JIT)")
    print(f"  after start-up (from each worker's first completed run on): one worker {r1:.2f}"
          f" runs/s, two workers {r2:.2f} runs/s -> {r2 / r1:.2f}x")
    return 0


def steady_rate(out: Path, workers: int) -> float:
    """Runs completed per second once every worker has finished its first run (start-up and
    first-run compilation excluded): from the ``workers``-th completion to the last."""
    import os

    done = sorted(os.path.getmtime(p) for p in out.glob("runs/*/summary.json"))
    first = done[workers - 1]
    return (len(done) - workers) / (done[-1] - first)


if __name__ == "__main__":
    sys.exit(main())
