"""The researcher's own traffic, ``[[flows]]`` (docs/scenario.md), on ns-3.

Every flow is generated and received in C++ (``traffic.h``), like the built-in probe, RTP and
TCP transfer: no Python per packet.

- ``udp_cbr`` and ``onoff``: :class:`imm::UdpFlowSender` sends ``packet_bytes`` payloads every
  ``packet_bytes * 8 / rate`` seconds during its on-windows (one window from start_s to stop_s
  for udp_cbr; for onoff, alternating exponential on- and off-periods drawn here from the run's
  seed and the flow's name, so a flow's pattern does not depend on the other flows); each payload
  carries its sequence number and send time, and :class:`imm::UdpFlowReceiver` keeps both, so
  losses, duplicates and one-way delays come from the receiver's record alone;
- ``tcp_bulk``: the TCP transfer's pair (:class:`imm::TcpBulkSender`, paced at the flow's rate or
  greedy, stopped at stop_s; :class:`imm::TcpSink`, which checks every byte).

To a mobile host a flow is addressed by the host's permanent address, which MIP-LR (the
manglers capture the flow's UDP port, adapter/miplr.py) or Mobile IP (the home agent's tunnel)
carries, or by the care-of address the host has when the flow starts (``dst_address =
"care_of"``).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from ..measure import probe_counts
from ..scenario.checks import flow_port
from .context import Collector, RunContext
from .runtime import compile_extension
from .traffic import TCP_VARIANT_TYPES, set_tcp_variant, tcp_flow_row, udp_flow_row

GREEDY_BYTES = 10**12  # a greedy tcp_bulk flow's budget: stop_s ends it long before
FLOW_DRAIN_S = 1.0  # a flow without stop_s stops this long before the end of the run


def on_windows(kind: str, start_s: float, stop_s: float, on_s: float, off_s: float,
               seed: int, name: str) -> list[tuple[float, float]]:
    """The on-windows of a UDP flow: udp_cbr one, [start_s, stop_s); onoff alternating
    exponential on- and off-periods (means on_s, off_s) from start_s, starting on, cut at
    stop_s. Drawn from the run's seed and the flow's name only."""
    if kind != "onoff":
        return [(start_s, stop_s)]
    rng = np.random.default_rng([int(seed), zlib.crc32(name.encode())])
    out, t = [], start_s
    while t < stop_s:
        end = min(t + float(rng.exponential(on_s)), stop_s)
        if end > t:
            out.append((t, end))
        t = end + float(rng.exponential(off_s))
    return out


def setup_flows(ctx: RunContext) -> Collector | None:
    s = ctx.scenario
    if not s.flows:
        return None
    c = compile_extension("traffic.h")
    net, topo, bridge = ctx.net, ctx.topo, ctx.bridge
    addr = {h: int(a) for h, a in topo.host_addresses().items()}
    perm = {mh.name: int(mh.permanent_address) for mh in topo.mobile_hosts}
    end = s.simulation.duration_s
    running: list[tuple[Any, str, Any, Any, int]] = []  # (flow, receiver's name, sender, sink, port)

    for i, f in enumerate(s.flows):
        port = flow_port(s, i)
        stop = f.stop_s if f.stop_s is not None else end - FLOW_DRAIN_S
        src, dst = net.nodes[f.src], net.nodes[f.dst]
        if f.kind == "tcp_bulk":
            variant = TCP_VARIANT_TYPES[s.tcp.variant]
            for node in (src, dst):
                set_tcp_variant(c, node, variant)
            rate = f.rate_kbps * 1e3
            budget = int(rate / 8 * (stop - f.start_s)) if rate else GREEDY_BYTES
            sender = c.TcpBulkSender(src, max(budget, 1), rate, f.packet_bytes)
            sink = c.TcpSink(dst, port, s.simulation.timeline_bin_s)
        else:
            sender = c.UdpFlowSender(src, port, f.packet_bytes * 8 / (f.rate_kbps * 1e3),
                                     f.packet_bytes)
            sink = c.UdpFlowReceiver(dst, port)
            for on, off in on_windows(f.kind, f.start_s, stop, f.on_s, f.off_s, ctx.seed, f.name):
                sender.AddWindow(on, off)
        running.append((f, f.dst, sender, sink, port))

        if f.dst in perm and f.dst_address == "care_of":
            # Resolved once, when the flow starts: no macro-mobility follows it.
            def begin(f=f, sender=sender, port=port, stop=stop):
                coa = ctx.care_of[f.dst].current
                if not coa:
                    ctx.log.record(bridge.now_ns(), f.src, "flow", "flow_no_address",
                                   f"{f.name}: {f.dst} has no care-of address")
                    if f.kind == "tcp_bulk":
                        return
                _start(f, sender, coa, port, stop)

            bridge.call_at(f.start_s, begin, name=f"flow {f.name} resolves {f.dst}")
        else:
            _start(f, sender, perm.get(f.dst) or addr[f.dst], port, stop)

    def collect() -> None:
        try:
            _collect(ctx, running)
        finally:
            for _, _, sender, sink, _ in running:  # close before Simulator::Destroy
                sender.Close()
                sink.Close()

    return collect


def _start(f, sender, dst_ip: int, port: int, stop: float) -> None:
    if f.kind == "tcp_bulk":
        sender.Start(f.start_s, dst_ip, port)
        sender.StopAt(stop)
    else:
        sender.SetDestination(dst_ip)


def _collect(ctx: RunContext, running) -> None:
    for f, dst, sender, sink, _port in running:
        if f.kind == "tcp_bulk":
            ctx.flow_rows.append(tcp_flow_row(f.name, f.kind, f.src, dst, sender, sink))
            ctx.add_byte_timeline(f.name, f.src, dst, list(sink.bins))
            continue
        seqs = np.array(list(sink.seqs), dtype=np.int64)
        arrivals = np.array(list(sink.arrivals), dtype=np.int64)
        sent_ns = np.array(list(sink.sentNs), dtype=np.int64)
        counts = probe_counts(int(sender.sent), seqs)
        _, first = np.unique(seqs, return_index=True)  # delays of first copies only
        delays = (arrivals[first] - sent_ns[first]) * 1e-9
        ctx.flow_rows.append({
            **udp_flow_row(f.name, f.kind, f.src, dst, counts, f.packet_bytes),
            "delay_s": float(delays.mean()) if len(delays) else None,
            "delay_p95_s": float(np.percentile(delays, 95)) if len(delays) else None,
            "unsent_packets": int(sender.unsent),
        })
        ctx.add_packet_timeline(f.name, f.src, dst, arrivals * 1e-9, f.packet_bytes)

