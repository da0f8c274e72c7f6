"""Failures of links and nodes during a run, and the delivery gap each one causes.

A failed link has both its interfaces set down; a failed node has all of its interfaces set
down. By default nothing tells the MMP cores: as in [0040] and [0045], nodes notice that
gateway-beacons stop arriving on an up-link and switch to a secondary up-link or gateway, and
the downlink caches heal from the next packets the mobile hosts send up ([0040]). With
``mmp.failure_detection = "local"`` every node whose interface loses its carrier -- both ends
of a failed link, the neighbours of a failed node -- is also told, ``mmp.local_detection_delay_s``
after the failure (and again when it is restored), through ``ctx.interface_watchers``.

For each failure the run reports, per mobile host with a probe flow, the longest interval
without probe packets from the failure until the next failure (or the end of the run), so a
restoration and what follows it count: the delivery gap (None: no packet arrived after the
failure), and whether the failed element was on the host's path in use when it failed.
"""

from __future__ import annotations

from ..measure import delivery_gap
from ..schedule import spread_start
from .context import Collector, RunContext


def _interfaces(ctx: RunContext, f) -> list[tuple[str, int]]:
    net = ctx.net
    if f.link is not None:
        a, b = f.link
        return [(a, net.ipv4(a).GetInterfaceForDevice(net.p2p_devices[(a, b)])),
                (b, net.ipv4(b).GetInterfaceForDevice(net.p2p_devices[(b, a)]))]
    ipv4 = net.ipv4(f.node)
    return [(f.node, i) for i in range(1, ipv4.GetNInterfaces())]


def _carrier_lost(ctx: RunContext, f) -> list[tuple[str, int]]:
    """The (node, interface) pairs that lose their carrier: both ends of a failed link; for a
    failed node, its neighbours' interfaces towards it (the failed node itself notices nothing)."""
    net = ctx.net
    if f.link is not None:
        return _interfaces(ctx, f)
    return [(a, net.ipv4(a).GetInterfaceForDevice(dev))
            for (a, b), dev in net.p2p_devices.items() if b == f.node]


def setup_failures(ctx: RunContext) -> Collector | None:
    s = ctx.scenario
    if not s.failures:
        return None
    bridge = ctx.bridge

    def what(f) -> str:
        return f"link {f.link[0]}-{f.link[1]}" if f.link is not None else f"node {f.node}"

    on_path: list[dict[str, bool]] = [{} for _ in s.failures]

    def hits(f, path: list[str]) -> bool:
        if f.link is not None:
            a, b = f.link
            return any({path[i], path[i + 1]} == {a, b} for i in range(len(path) - 1))
        return f.node in path

    def set_state(f, up: bool, i: int | None = None) -> None:
        if not up and i is not None and ctx.domains is not None:
            # Whether the failure hits each host's path in use, judged just before it happens.
            on_path[i] = {mh: hits(f, ctx.domains.path_in_use(mh)) for mh in ctx.detectors}
        for node, iface in _interfaces(ctx, f):
            ipv4 = ctx.net.ipv4(node)
            if up:
                ipv4.SetUp(iface)
            else:
                ipv4.SetDown(iface)
        ctx.log.record(bridge.now_ns(), f.node or f.link[0], "failure",
                       "restored" if up else "failed", what(f))

    def tell(f, up: bool) -> None:
        for node, iface in _carrier_lost(ctx, f):
            watcher = ctx.interface_watchers.get(node)
            if watcher is not None:
                watcher(iface, up)

    delay = s.mmp.local_detection_delay_s
    # When each failure happens and ends: at_s (and restore_s) shifted by one draw per failure.
    times = []
    for i, f in enumerate(s.failures):
        at = spread_start(ctx.seed, "failure", str(i), f.at_s, f.at_spread_s)
        times.append((at, None if f.restore_s is None else f.restore_s + (at - f.at_s)))
    for i, (f, (at, back)) in enumerate(zip(s.failures, times)):
        bridge.call_at(at, set_state, f, False, i, name=f"failure {i}")
        restored = back is not None and back < s.simulation.duration_s
        if restored:
            bridge.call_at(back, set_state, f, True, name=f"restore {i}")
        if ctx.interface_watchers:
            if at + delay < s.simulation.duration_s:
                bridge.call_at(at + delay, tell, f, False, name=f"failure {i} noticed")
            if restored and back + delay < s.simulation.duration_s:
                bridge.call_at(back + delay, tell, f, True, name=f"restore {i} noticed")

    def collect() -> None:
        # Runs after the probe's collector, which fills ctx.probe_arrivals (adapter/run.py).
        rows = []
        for f, (at, back), hit in zip(s.failures, times, on_path):
            end = min([t for t, _ in times if t > at] + [s.simulation.duration_s])
            gaps = {mh: delivery_gap(arrivals, at, end)
                    for mh, arrivals in ctx.probe_arrivals.items()}
            rows.append({"what": what(f), "scheduled_at_s": f.at_s, "at_s": at,
                         "restore_s": back, "delivery_gap_s": gaps, "on_path": hit})
        ctx.extra_summary["failures"] = rows

    return collect
