"""The test traffic on ns-3: the Python side of ``traffic.h`` (sources and sinks all in C++, no
Python per packet), and the flows-table rows every kind of traffic reports.

- the probe (``[probe]``, step ``probe`` of ``adapter/run.py``): a constant-bit-rate sender at a
  correspondent per mobile host whose destination follows the host's care-of address channel
  (``ctx.care_of``) at once -- an oracle standing in for the macro-mobility protocols, which
  measure their own part -- and a receiver at the host;
- the TCP transfer (``[tcp]``, step ``tcp``): a paced bulk sender at the first correspondent per
  mobile host, to the host's permanent address (MIP-LR's manglers or Mobile IP's tunnel carry
  it) or, with no macro-mobility for TCP, to the care-of address the host has when it starts,
  and a sink at the host that checks every byte;
- RTP (``[sip]``, step ``rtp``): the voice-like pair of each call, :class:`RtpMedia`, and the
  correspondent's sink; the SIP adapter (``adapter/sip.py``, the step after) starts,
  redirects and stops them as its calls go (or, with no SIP signalling, at the call plan's
  times);
- ``[[flows]]`` (``adapter/flows.py``) use the same C++ classes and the rows below.

The steps create their C++ objects where the adapters before them left off, so the order of
ns-3's sockets and events (which decides a run: same-time events run in insertion order) is
the order written in ``PROTOCOLS``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..measure import handoff_rtp_components, handoff_tcp_components, one_way_delays, probe_counts
from ..scenario.checks import mobile_call_port
from ..scenario.schema import TCP_VARIANT_TYPES
from ..schedule import spread_start
from ..sip.rtp import RtpPacket, RtpReceiver
from .context import Collector, ProbeRecord, RunContext
from .runtime import compile_extension

PROBE_PORT = 9
PROBE_DRAIN_S = 1.0  # the probe stops this long before the end: nothing is in flight then
RTP_HEADER_BYTES = 12
RTP_PORT_CH = 40000  # the correspondent's media port: one sink, streams told apart by SSRC
RTP_PORT_MH = 40002


def _correspondents(ctx: RunContext) -> list[str]:
    return [h for h, host in ctx.scenario.hosts.items() if host.role == "correspondent"]


# ---- the probe ------------------------------------------------------------------------------
def setup_probe(ctx: RunContext) -> Collector | None:
    """One probe per mobile host, from ``probe.source`` (default: the first correspondent)."""
    s, topo, net = ctx.scenario, ctx.topo, ctx.net
    # Care-of addresses come from MMP and DRCP: without domains there is nothing to follow.
    if not (s.domains and s.probe.enabled and topo.mobile_hosts):
        return None
    c = compile_extension("traffic.h")
    src = s.probe.source or next(h for h, host in s.hosts.items() if host.role == "correspondent")
    stop_s = s.simulation.duration_s - PROBE_DRAIN_S
    probes: dict[str, tuple[Any, Any]] = {}
    for mh in topo.mobile_hosts:
        sender = c.UdpFlowSender(net.nodes[src], PROBE_PORT, 1.0 / s.probe.rate_pps,
                                 s.probe.size_bytes)
        receiver = c.UdpFlowReceiver(net.nodes[mh.name], PROBE_PORT)
        if s.probe.start_s < stop_s:
            sender.Start(s.probe.start_s, stop_s)
        probes[mh.name] = (sender, receiver)
        # The probe's sender learns the new address at once: an oracle standing in for
        # the macro-mobility protocols (MIP-LR, SIP), which measure their own part.
        ctx.care_of[mh.name].subscribe(lambda change, sender=sender: sender.SetDestination(change.new))

    def collect() -> None:
        try:
            _collect_probe(ctx, probes, src)
        finally:
            for sender, receiver in probes.values():  # close before Simulator::Destroy
                sender.Close()
                receiver.Close()

    return collect


def _collect_probe(ctx: RunContext, probes: dict[str, tuple[Any, Any]], src: str) -> None:
    s = ctx.scenario
    size = s.probe.size_bytes
    for mh, (sender, receiver) in probes.items():
        seqs = np.array(list(receiver.seqs), dtype=np.int64)
        arrivals = np.array(list(receiver.arrivals), dtype=np.int64) * 1e-9
        counts = probe_counts(int(sender.sent), seqs)
        ctx.flow_rows.append(udp_flow_row("probe", "udp", src, mh, counts, size))
        sent_times = s.probe.start_s + np.arange(counts["sent_packets"]) / s.probe.rate_pps
        ctx.probe_records[mh] = ProbeRecord(seqs, arrivals, sent_times)
        ctx.probe_arrivals[mh] = arrivals
        ctx.add_packet_timeline("probe", src, mh, arrivals, size)


# ---- the TCP transfer -----------------------------------------------------------------------
def set_tcp_variant(c: Any, node: Any, variant: str) -> None:
    """``tcp.variant`` on one node's TCP (an ns-3 TypeId name, TCP_VARIANT_TYPES)."""
    if not c.SetTcpVariant(node, variant):
        raise RuntimeError(f"tcp.variant: ns-3 has no {variant}")


def setup_tcp(ctx: RunContext) -> Collector | None:
    """The built-in transfer, one per mobile host. Its handoff columns use what the MIP-LR
    collector wrote (``ctx.macro_updates``, ``ctx.first_arrivals``)."""
    s, topo, net, bridge = ctx.scenario, ctx.topo, ctx.net, ctx.bridge
    cors = _correspondents(ctx)
    # Care-of addresses come from MMP and DRCP: without domains there is nothing to follow.
    if not (s.tcp.enabled and cors and topo.mobile_hosts and s.domains):
        return None
    c = compile_extension("traffic.h")
    t = s.tcp
    tcp_mech = s.macro_mobility.tcp
    variant = TCP_VARIANT_TYPES[t.variant]
    src = cors[0]
    set_tcp_variant(c, net.nodes[src], variant)
    flows: dict[str, tuple[Any, Any]] = {}  # mobile host -> (sender, sink)
    for mh in topo.mobile_hosts:
        c.SetTcpVariant(net.nodes[mh.name], variant)
        sender = c.TcpBulkSender(net.nodes[src], t.size_bytes, t.rate_mbps * 1e6, t.segment_bytes)
        sink = c.TcpSink(net.nodes[mh.name], t.port, s.simulation.timeline_bin_s)
        flows[mh.name] = (sender, sink)
        start_s = spread_start(ctx.seed, "tcp", mh.name, t.start_s, t.start_spread_s)
        if tcp_mech in ("miplr", "mip"):
            sender.Start(start_s, int(mh.permanent_address), t.port)
        else:
            # No macro-mobility for TCP: connect to the address the host has now.
            def start_direct(mh=mh.name, sender=sender, start_s=start_s):
                coa = ctx.care_of[mh].current
                if coa:
                    sender.Start(start_s, coa, t.port)
                else:
                    ctx.log.record(bridge.now_ns(), src, "correspondent", "tcp_no_address", mh)

            bridge.call_at(start_s, start_direct, name=f"TCP to {mh.name}")

    def collect() -> None:
        try:
            _collect_tcp(ctx, flows, src)
        finally:
            for sender, sink in flows.values():  # drop the sockets before Simulator::Destroy
                sender.Close()
                sink.Close()

    return collect


def _collect_tcp(ctx: RunContext, flows: dict[str, tuple[Any, Any]], src: str) -> None:
    for mh, (sender, sink) in flows.items():
        row = tcp_flow_row("tcp", "tcp", src, mh, sender, sink)
        row["app_peer"] = (str(ipaddress.IPv4Address(int(sender.peerAddress)))
                           if int(sender.peerAddress) else None)
        row["app_local_at_dst"] = ",".join(str(ipaddress.IPv4Address(int(a))) for a in sink.locals)
        ctx.flow_rows.append(row)
        ctx.add_byte_timeline("tcp", src, mh, list(sink.bins))
        reads = np.array(list(sink.readNs), dtype=np.int64) * 1e-9
        rows = ctx.handoff_rows(mh)
        for row, extra in zip(rows, handoff_tcp_components(
                ctx.handoff_times(mh), reads, ctx.care_of[mh].changes(),
                ctx.first_arrivals.get(mh, []), ctx.macro_updates)):
            row.update(extra)


# ---- RTP ------------------------------------------------------------------------------------
@dataclass
class RtpMedia:
    """One call's RTP: the correspondent's sender to the mobile host, the host's sender to the
    correspondent, the host's sink (the correspondent's sink is shared by every call, streams
    told apart by SSRC)."""

    to_mh: Any
    to_ch: Any
    at_mh: Any
    ssrc_to_ch: int
    ua: Any = None  # the mobile host's SIP user agent (re-INVITEs), if SIP signals the call
    received: dict[str, Any] = field(default_factory=dict)  # direction -> RtpReceiver

    @classmethod
    def create(cls, c: Any, ch_node: Any, mh_node: Any, index: int, interval_s: float,
               payload_bytes: int, mh_port: int) -> RtpMedia:
        step = int(round(interval_s * 8000))  # RTP timestamp units (8000 Hz) per packet
        return cls(to_mh=c.RtpSender(ch_node, 0, interval_s, payload_bytes, 0x1000 + index, step),
                   to_ch=c.RtpSender(mh_node, 0, interval_s, payload_bytes, 0x2000 + index, step),
                   at_mh=c.RtpSink(mh_node, mh_port), ssrc_to_ch=0x2000 + index)

    def close(self) -> None:
        for x in (self.to_mh, self.to_ch, self.at_mh):
            x.Close()


@dataclass
class MobileCallMedia:
    """The RTP of a call between two mobile hosts (``[[sip.calls]]``): a sender and a sink at
    each end, on the call's own port at both."""

    caller: str
    callee: str
    port: int
    senders: dict[str, Any]  # host -> its sender to the other
    sinks: dict[str, Any]  # host -> its sink

    @classmethod
    def create(cls, c: Any, nodes: dict, caller: str, callee: str, index: int, port: int,
               interval_s: float, payload_bytes: int) -> MobileCallMedia:
        step = int(round(interval_s * 8000))
        return cls(caller, callee, port,
                   {h: c.RtpSender(nodes[h], 0, interval_s, payload_bytes, ssrc, step)
                    for h, ssrc in ((caller, 0x3000 + 2 * index), (callee, 0x3001 + 2 * index))},
                   {h: c.RtpSink(nodes[h], port) for h in (caller, callee)})

    def peer(self, host: str) -> str:
        return self.callee if host == self.caller else self.caller

    def close(self) -> None:
        for x in (*self.senders.values(), *self.sinks.values()):
            x.Close()


@dataclass
class RtpCalls:
    """The run's RTP (``ctx.rtp``): each mobile host's call with the correspondent (none when
    ``sip.correspondent_calls`` is false), the correspondent's one sink, and the calls between
    mobile hosts (``mobile``, in ``[[sip.calls]]`` order)."""

    ch: str | None
    media: dict[str, RtpMedia]
    ch_sink: Any
    mobile: list[MobileCallMedia] = field(default_factory=list)


def setup_rtp(ctx: RunContext) -> Collector | None:
    """A call's RTP pair per mobile host, with the first correspondent, and one per call between
    two mobile hosts, whenever the SIP adapter will run (it starts them); nothing is sent before
    it does."""
    s, topo, net = ctx.scenario, ctx.topo, ctx.net
    servers = [h for h, host in s.hosts.items() if host.role == "sip_server"]
    cors = _correspondents(ctx)
    ch_calls = bool(cors) and s.sip.correspondent_calls
    mobile_calls = s.sip.calls if s.macro_mobility.realtime == "sip" else []
    # The conditions of adapter/sip.py: care-of addresses come from MMP and DRCP.
    if not (s.sip.enabled and (ch_calls or mobile_calls) and s.domains):
        return None
    if s.macro_mobility.realtime == "sip" and not servers:
        return None
    c = compile_extension("traffic.h")
    ch = cors[0] if ch_calls else None
    media = {mh.name: RtpMedia.create(c, net.nodes[ch], net.nodes[mh.name], mh.index,
                                      s.sip.rtp_interval_s, s.sip.rtp_payload_bytes, RTP_PORT_MH)
             for mh in topo.mobile_hosts} if ch_calls else {}
    calls = ctx.rtp = RtpCalls(ch, media, c.RtpSink(net.nodes[ch], RTP_PORT_CH) if ch_calls else None)
    calls.mobile = [MobileCallMedia.create(c, net.nodes, k.caller, k.callee, i, mobile_call_port(i),
                                           s.sip.rtp_interval_s, s.sip.rtp_payload_bytes)
                    for i, k in enumerate(mobile_calls)]

    def collect() -> None:
        try:
            _collect_rtp(ctx, calls, s.sip.rtp_payload_bytes)
        finally:
            for m in (*media.values(), *calls.mobile):  # close before Simulator::Destroy
                m.close()
            if calls.ch_sink is not None:
                calls.ch_sink.Close()

    return collect


def _collect_rtp(ctx: RunContext, calls: RtpCalls, payload: int) -> None:
    for k in calls.mobile:
        for src in (k.caller, k.callee):
            dst = k.peer(src)
            sender, sink = k.senders[src], k.sinks[dst]
            rx = _rtp_receiver(sink)
            ctx.flow_rows.append(rtp_flow_row(src, dst, sender, rx, payload,
                                              _one_way_delays(sender, sink, None)))
            ctx.add_packet_timeline("rtp", src, dst, [t for t, _ in rx.arrivals],
                                    payload + RTP_HEADER_BYTES)
    ch, ch_sink = calls.ch, calls.ch_sink
    for mh, m in calls.media.items():
        for direction, sender, rx, src, dst in (
                ("to_mh", m.to_mh, _rtp_receiver(m.at_mh), ch, mh),
                ("to_ch", m.to_ch, _rtp_receiver(ch_sink, m.ssrc_to_ch), mh, ch)):
            delays = _one_way_delays(sender, m.at_mh if direction == "to_mh" else ch_sink,
                                     None if direction == "to_mh" else m.ssrc_to_ch)
            ctx.flow_rows.append(rtp_flow_row(src, dst, sender, rx, payload, delays))
            m.received[direction] = rx
            ctx.add_packet_timeline("rtp", src, dst, [t for t, _ in rx.arrivals],
                                    payload + RTP_HEADER_BYTES)
        _handoff_rtp(ctx, mh, m)


def _rtp_receiver(sink, ssrc: int | None = None) -> RtpReceiver:
    r = RtpReceiver()
    for seq, ts, src, t in zip(list(sink.seqs), list(sink.timestamps), list(sink.ssrcs),
                               list(sink.arrivals)):
        if ssrc is None or int(src) == ssrc:
            r.on_packet(RtpPacket(seq=int(seq), timestamp=int(ts), ssrc=int(src)), int(t) * 1e-9)
    return r


def _one_way_delays(sender, sink, ssrc: int | None) -> np.ndarray:
    return one_way_delays(int(sender.startNs), np.array(list(sink.timestamps), dtype=np.int64),
                          np.array(list(sink.arrivals), dtype=np.int64),
                          np.array(list(sink.ssrcs), dtype=np.int64) if ssrc is not None else None,
                          ssrc)


def _handoff_rtp(ctx: RunContext, mh: str, m: RtpMedia) -> None:
    """Per handoff: the RTP interruption at the mobile host and, for care-of changes, the time
    from the new address to the first RTP packet on it, and the re-INVITE round trip."""
    rx = m.received.get("to_mh")
    arrivals = np.array(sorted(t for t, _ in rx.arrivals)) if rx and rx.arrivals else np.array([])
    ua = m.ua
    oks = [t for t, _ in ua.reinvites_done] if ua is not None else []
    rows = ctx.handoff_rows(mh)
    for row, extra in zip(rows, handoff_rtp_components(
            ctx.handoff_times(mh), arrivals, [t for t, _ in ctx.care_of[mh].changes()], oks)):
        row.update(extra)


# ---- the flows table's rows -----------------------------------------------------------------
def udp_flow_row(name: str, kind: str, src: str | None, dst: str, counts: dict[str, int],
                 packet_bytes: int) -> dict:
    """The flows-table row of a stream of equal-size UDP packets (the probe, a [[flows]] UDP
    kind), from :func:`imm_ns3.measure.probe_counts`."""
    return {
        "name": name, "kind": kind, "src": src, "dst": dst,
        "sent_packets": counts["sent_packets"], "received_packets": counts["received_packets"],
        "lost_packets": counts["lost_packets"], "sent_bytes": counts["sent_packets"] * packet_bytes,
        "received_bytes": counts["received_packets"] * packet_bytes, "resets": None,
        "duplicates": counts["duplicates"],
    }


def tcp_flow_row(name: str, kind: str, src: str | None, dst: str, sender, sink) -> dict:
    """The flows-table row of a TCP transfer (imm::TcpBulkSender to imm::TcpSink): the built-in
    transfer's and a [[flows]] tcp_bulk flow's."""
    completed = int(sender.completedNs)
    return {
        "name": name, "kind": kind, "src": src, "dst": dst,
        "sent_packets": None, "received_packets": None, "lost_packets": None,
        "sent_bytes": int(sender.queued), "received_bytes": int(sink.received),
        "resets": int(sender.errorCloses) + int(sink.errorCloses),
        "acked_bytes": int(sender.acked), "bad_bytes": int(sink.badBytes),
        "rtt_s": int(sender.rttSumNs) / int(sender.rttSamples) * 1e-9 if int(sender.rttSamples) else None,
        "connections": int(sink.accepted),
        "completion_s": (completed - int(sender.startNs)) * 1e-9 if completed >= 0 else None,
        # Connect() to the connection established at the correspondent: the handshake's
        # round trip, plus MIP-LR's register query the SYN waits for ([0058]-[0062]).
        "setup_s": ((int(sender.connectedNs) - int(sender.startNs)) * 1e-9
                    if int(sender.connectedNs) >= 0 else None),
    }


def rtp_flow_row(src: str, dst: str, sender, rx, payload_bytes: int, delays: np.ndarray) -> dict:
    """The flows-table row of one direction of a call (``rx``: an :class:`imm_ns3.sip.rtp.RtpReceiver`
    fed from the sink's record)."""
    sent = int(sender.sent)
    return {
        "name": "rtp", "kind": "rtp", "src": src, "dst": dst,
        "sent_packets": sent, "received_packets": rx.received,
        "lost_packets": sent - rx.received, "sent_bytes": int(sender.sentBytes),
        "received_bytes": rx.received * (payload_bytes + RTP_HEADER_BYTES), "resets": None,
        "duplicates": rx.duplicates, "jitter_s": rx.jitter_s,
        "delay_s": float(delays.mean()) if len(delays) else None,
        "delay_p95_s": float(np.percentile(delays, 95)) if len(delays) else None,
    }
