"""Failures of links and nodes during a run, and the delivery gap each one causes.

A failed link has both its interfaces set down; a failed node has all of its interfaces set
down. Nothing tells the MMP cores: as in [0040] and [0045], nodes notice that gateway-beacons
stop arriving on an up-link and switch to a secondary up-link or gateway, and the downlink
caches heal from the next packets the mobile hosts send up ([0040]).

For each failure the run reports, per mobile host with a probe flow, the longest interval
without probe packets from the failure until its end (or the end of the run): the delivery gap.
"""

from __future__ import annotations

from ..measure import delivery_gap
from .context import Collector, RunContext


def _interfaces(ctx: RunContext, f) -> list[tuple[str, int]]:
    net = ctx.net
    if f.link is not None:
        a, b = f.link
        return [(a, net.ipv4(a).GetInterfaceForDevice(net.p2p_devices[(a, b)])),
                (b, net.ipv4(b).GetInterfaceForDevice(net.p2p_devices[(b, a)]))]
    ipv4 = net.ipv4(f.node)
    return [(f.node, i) for i in range(1, ipv4.GetNInterfaces())]


def setup_failures(ctx: RunContext) -> Collector | None:
    s = ctx.scenario
    if not s.failures:
        return None
    bridge = ctx.bridge

    def what(f) -> str:
        return f"link {f.link[0]}-{f.link[1]}" if f.link is not None else f"node {f.node}"

    def set_state(f, up: bool) -> None:
        for node, iface in _interfaces(ctx, f):
            ipv4 = ctx.net.ipv4(node)
            if up:
                ipv4.SetUp(iface)
            else:
                ipv4.SetDown(iface)
        ctx.log.record(bridge.now_ns(), f.node or f.link[0], "failure",
                       "restored" if up else "failed", what(f))

    for i, f in enumerate(s.failures):
        bridge.call_at(f.at_s, set_state, f, False, name=f"failure {i}")
        if f.restore_s is not None and f.restore_s < s.simulation.duration_s:
            bridge.call_at(f.restore_s, set_state, f, True, name=f"restore {i}")

    def collect() -> None:
        # Runs after the MMP collector, which fills ctx.probe_arrivals (order: adapter/run.py).
        rows = []
        for f in s.failures:
            end = f.restore_s if f.restore_s is not None else s.simulation.duration_s
            gaps = {mh: delivery_gap(arrivals, f.at_s, end)
                    for mh, arrivals in ctx.probe_arrivals.items()}
            rows.append({"what": what(f), "at_s": f.at_s, "restore_s": f.restore_s,
                         "delivery_gap_s": gaps})
        ctx.extra_summary["failures"] = rows

    return collect
