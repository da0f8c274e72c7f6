"""Benchmark: how much faster than real time is a run, and what does the Python stack cost?

Prints, for patent-walk with 1, 10 and 40 mobile hosts, the wall time of Simulator::Run for
imm-ns3 (the whole stack: WiFi, MMP, DRCP, MIP-LR and SIP registrations; probe, TCP transfer
and calls off, so the rows compare signalling, not traffic) and for a plain C++ ns-3 program of
the same radio network (baseline_wifi.cc, built here against the wheel's headers), in the same
run: ``cpp_wall_s`` with the stack's periodic frames on the air at the same rates and sizes
(beacons, advertisements, route-updates: the fair comparison), ``cpp_radio_only_s`` without. The last rows are the default scenario as shipped (probe,
SIP call with RTP both ways, TCP transfer), and the same without the TCP transfer. Timings live
here, never in tests.

    .venv/bin/python benchmarks/bench_run.py [--repeat 3] [--hosts 1,10,40,100] [--json]
    .venv/bin/python benchmarks/bench_run.py --sweep-overhead

``--json`` prints one JSON object per row instead of the table: ``{"hosts", "traffic", "sim_s",
"imm_wall_s", "cpp_wall_s", "ratio", "python_events", "python_wall_s", "peak_rss_mb"}``
(``peak_rss_mb``: the benchmark process's peak resident memory so far, ns-3 import included).
``--sweep-overhead`` measures what a warm sweep worker costs per run beyond the simulation
itself (runs of 1 simulated second), and the speed-up of two workers over one.
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
LIBS = ["core", "network", "mobility", "wifi", "propagation", "spectrum", "antenna", "energy",
        "internet", "bridge", "traffic-control", "stats", "config-store"]


def signalling_frames(s) -> list[str]:
    """The periodic frames of the stack, for the baseline: (interval, IPv4 datagram bytes) of a
    base-station beacon, a DRCP advertisement and a mobile host's route-update."""
    from imm_ns3.adapter.env import IP_UDP_HEADER
    from imm_ns3.mmp.messages import BaseStationBeacon, DrcpAdvertisement, RouteUpdate

    return [str(s.mmp.bs_beacon_interval_s), str(len(BaseStationBeacon(0, 0, 0, 0)) + IP_UDP_HEADER),
            str(s.drcp.advertisement_interval_s), str(len(DrcpAdvertisement(0, 0, 0, 0)) + IP_UDP_HEADER),
            str(s.mmp.route_update_interval_s), str(len(RouteUpdate(0, 0, 0)) + IP_UDP_HEADER)]


def build_baseline(workdir: Path) -> Path:
    import ns3 as wheel  # the wheel's package directory holds include/ and lib64/

    root = Path(wheel.__path__[0])
    exe = workdir / "baseline_wifi"
    libs = [f"-lns3.44-{m}" for m in LIBS if (root / "lib64" / f"libns3.44-{m}.so").exists()]
    cmd = ["g++", "-std=c++20", "-O2", f"-I{root / 'include'}", str(HERE / "baseline_wifi.cc"),
           "-o", str(exe), f"-L{root / 'lib64'}", *libs, f"-Wl,-rpath,{root / 'lib64'}"]
    subprocess.run(cmd, check=True)
    return exe


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--hosts", default="1,10,40", help="comma-separated host counts")
    ap.add_argument("--json", action="store_true", help="one JSON object per row")
    ap.add_argument("--sweep-overhead", action="store_true",
                    help="measure the per-run overhead of warm sweep workers instead")
    args = ap.parse_args()
    if args.sweep_overhead:
        return sweep_overhead()
    hosts = [int(h) for h in args.hosts.split(",")]
    say = (lambda *a, **k: None) if args.json else print

    from imm_ns3.adapter import run_scenario
    from imm_ns3.adapter.builder import reference_loss_db
    from imm_ns3.adapter.runtime import ns3
    from imm_ns3.scenario import load_scenario
    from imm_ns3.topology import build_topology

    t0 = time.perf_counter()
    ns3()
    say(f"ns-3 import: {time.perf_counter() - t0:.1f} s (once per process)")
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_baseline(Path(tmp))
        say(f"{'hosts':>5} {'sim s':>6} {'imm-ns3 wall s':>15} {'x real time':>11}"
              f" {'C++ same-frames s':>17} {'x real time':>11} {'ratio':>8} {'py events':>9}"
              f" {'C++ radio-only s':>16}")
        for n in hosts:
            s = load_scenario("patent-walk", [f"mobile_hosts.count={n}",
                                              "mobile_hosts.start_stagger_s=0.25",
                                              "probe.enabled=false", "tcp.enabled=false",
                                              "sip.call_at_s=1000.0"])
            topo = build_topology(s)
            ours, base, radio = [], [], []
            for _ in range(args.repeat):
                r = run_scenario(s)
                ours.append(r.summary["wall_time_s"])
                w = s.wifi
                argv = [str(exe), str(s.simulation.duration_s), str(w.tx_power_dbm),
                        str(w.propagation.exponent), str(reference_loss_db(topo)),
                        str(round(w.beacon_interval_s * 1e6)), str(w.max_missed_beacons),
                        str(s.mobility.start_s), "0.25", str(s.mobility.speed_mps), str(n),
                        str(s.mobility.waypoints_m[0][0]), str(s.mobility.waypoints_m[-1][0])]
                aps = [f"{r_.position_m[0]},{r_.position_m[1]}" for r_ in topo.radios.values()]

                def baseline(frames: bool) -> float:
                    out = subprocess.run(argv + ["1" if frames else "0", *signalling_frames(s)]
                                         + aps, check=True, capture_output=True, text=True)
                    return float(out.stdout.split()[0])

                base.append(baseline(True))
                radio.append(baseline(False))
            sim = s.simulation.duration_s
            o, b, ro = statistics.median(ours), statistics.median(base), statistics.median(radio)
            say(f"{n:>5} {sim:>6.0f} {o:>15.3f} {sim / o:>11.1f} {b:>17.3f} {sim / b:>11.1f}"
                f" {o / b:>7.2f}x {r.extra['python_events']:>9} {ro:>16.3f}")
            if args.json:
                print(json.dumps({
                    "hosts": n, "traffic": False, "sim_s": sim, "imm_wall_s": round(o, 3),
                    "cpp_wall_s": round(b, 3), "ratio": round(o / b, 2),
                    "cpp_radio_only_s": round(ro, 3),
                    "python_events": r.summary["python_events"],
                    "python_wall_s": r.summary["python_wall_s"],
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                }), flush=True)
        if args.json:
            return 0
        for label, over in (("default patent-walk (probe, RTP, TCP)", []),
                            ("patent-walk without the TCP transfer", ["tcp.enabled=false"])):
            r = run_scenario(load_scenario("patent-walk", over))
            print(f"{label}: wall {r.summary['wall_time_s']:.3f} s, {r.summary['speedup']}x real"
                  f" time, {r.extra['python_events']} Python events")
    return 0


def sweep_overhead(n: int = 20, m: int = 12) -> int:
    """What a warm worker costs per run beyond Simulator::Run: the median time between two
    consecutive runs finishing in one worker (start-up excluded) minus the median simulation
    wall time, over ``n`` runs of 1 simulated second. Then the speed-up of two workers over one
    on ``m`` runs of 10 simulated seconds with the default traffic."""
    import os

    from imm_ns3.results import load
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
        t1, _ = sweep(tmp, "one", m, 1, base)
        t2, _ = sweep(tmp, "two", m, 2, base)
    print(f"{m} runs of 10 simulated s with traffic: one worker {t1:.1f} s, two workers {t2:.1f} s"
          f" -> {t1 / t2:.2f}x (each worker pays its own start-up: ns-3 import and first-run JIT)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
