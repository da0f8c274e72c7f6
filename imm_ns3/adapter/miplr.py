"""MIP-LR ([0054]-[0070]) and classic Mobile IP on ns-3, and the TCP transfer that measures them.

Registered as a run setup hook (after MMP, whose care-of address changes drive it):

- home location registers (hosts with role ``home_location_register``) run
  :class:`~imm_ns3.miplr.hlr.HomeLocationRegister` on UDP 4350;
- every correspondent host runs a :class:`~imm_ns3.miplr.daemons.MipChDaemon` and the C++
  mangler ``imm::MipHook`` (``miplr.h``) between its IPv4 and TCP; a miss in the hook's routing
  cache asks the daemon, whose answers and updates fill the hook's cache;
- every mobile host runs a :class:`~imm_ns3.miplr.daemons.MipMhDaemon` told each care-of address
  by its MMP daemon (step 420 of Figure 4B) and the C++ mangler-demangler; TCP arriving from a
  correspondent feeds the daemon's TCP connections cache ([0068]);
- with ``macro_mobility.tcp = "mip"`` (or ``realtime = "mip"``) instead: the home agent (role
  ``home_agent``) runs :class:`~imm_ns3.miplr.mip.HomeAgent` on UDP 434 and the C++ tunnel
  ``imm::HomeAgentRouting``; mobile hosts register each care-of address with it and take the
  tunnelled packets out with ``imm::IpInIp``;
- the TCP transfer (``[tcp]``): a paced bulk sender at the first correspondent per mobile host,
  to the host's permanent address, and a sink at the host that checks every byte.

No Python runs per data packet: only a routing-cache miss at a correspondent and a TCP peer not
reported for a second at a mobile host call into Python.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

import numpy as np

from ..handoff import handoff_windows, longest_silence
from ..miplr.daemons import PENDING, MipChDaemon, MipMhDaemon
from ..miplr.hlr import HomeLocationRegister
from ..miplr.messages import MIPLR_PORT
from ..miplr.mip import MIP_PORT, HomeAgent, MobileIpClient
from .env import Signalling, WireEnv
from .run import RunContext, register_setup_hook
from .runtime import compile_extension

TCP, UDP = 6, 17
HOME_AGENT_PRIORITY = 20  # above static routing (0) in the home agent's Ipv4ListRouting
RTP_PORTS = (40000, 40002)  # captured by the manglers only when realtime = "miplr"
TCP_VARIANT_TYPES = {
    "newreno": "ns3::TcpNewReno", "cubic": "ns3::TcpCubic", "bic": "ns3::TcpBic",
    "highspeed": "ns3::TcpHighSpeed", "htcp": "ns3::TcpHtcp", "vegas": "ns3::TcpVegas",
    "westwood": "ns3::TcpWestwoodPlus", "bbr": "ns3::TcpBbr",
}


class _MipEnv(WireEnv):
    """Env of a MIP-LR or Mobile IP core on an ns-3 node: its UDP socket and the codec."""

    def __init__(self, ctx: RunContext, name: str, role: str, counts: Signalling, port: int,
                 on_message: Callable[[Any, int], None]):
        super().__init__(ctx, name, role, counts, rng_key=f"mip:{name}:{port}")
        self.port, self.on_message = port, on_message
        self.sock = self.bridge.udp_socket(self.node, port, f"{name} {role} socket {port}",
                                           self._on_datagram)

    def send(self, dst: int, msg: Any) -> None:
        self._send(self.sock, dst, self.port, msg)

    def _on_datagram(self, src: int, port: int, data: bytes) -> None:
        msg = self._decode(data)
        if msg is not None:
            self.on_message(msg, src)


def setup_miplr(ctx: RunContext) -> None:
    s, topo, net, bridge = ctx.scenario, ctx.topo, ctx.net, ctx.bridge
    mm = s.macro_mobility
    cors = [h for h, host in s.hosts.items() if host.role == "correspondent"]
    if not (cors and topo.mobile_hosts and getattr(ctx, "mmp", None)):
        return
    roles = {host.role for host in s.hosts.values()}
    # The daemons run whenever the policy names their mechanism and its servers exist, with or
    # without traffic: a mobile host registers every care-of address either way.
    tcp_mech = mm.tcp
    rt_mech = mm.realtime if s.sip.enabled else None
    mechs = {m for m in (tcp_mech, rt_mech)
             if (m == "miplr" and "home_location_register" in roles)
             or (m == "mip" and "home_agent" in roles)}
    if not (s.tcp.enabled or mechs):
        return
    c = compile_extension("miplr.h")
    counts = Signalling()
    addr = {h: int(a) for h, a in topo.host_addresses().items()}
    perm_net = ipaddress.IPv4Network(s.mobile_hosts.permanent_prefix)
    run: dict[str, Any] = {"counts": counts, "states": {}, "decap": {}, "ha": None, "cores": {}}

    def hooks(node, state, tcp: bool, udp: bool) -> None:
        if tcp:
            c.InstallMipHook(node, TCP, state)
        if udp:
            h = c.InstallMipHook(node, UDP, state)
            for p in RTP_PORTS:
                h.CapturePort(p)

    # ---- MIP-LR ---------------------------------------------------------------------------
    if "miplr" in mechs:
        registers = [h for h, host in s.hosts.items() if host.role == "home_location_register"]
        for h in registers:
            core = HomeLocationRegister([perm_net], max_lifetime_s=mm.register_max_lifetime_s,
                                        null_lifetime_s=mm.null_lifetime_s)
            box: dict[str, Any] = {}

            def on_hlr(msg, src, core=core, box=box):
                reply = core.receive(msg, box["env"].now())
                if reply is not None:
                    box["env"].send(src, reply)
                else:
                    box["env"].log("unexpected_message", msg.name)

            box["env"] = _MipEnv(ctx, h, "home_location_register", counts, MIPLR_PORT, on_hlr)
            run["cores"][h] = core
        reg_ips = [addr[h] for h in registers]
        for ch in cors:
            state = c.NewMipState()
            box = {}
            env = _MipEnv(ctx, ch, "correspondent", counts, MIPLR_PORT,
                          lambda msg, src, box=box: _ch_receive(box, msg, src))
            daemon = MipChDaemon(env, reg_ips, query_timeout_s=mm.query_timeout_s,
                                 max_tries=mm.max_tries,
                                 on_mapping=lambda p, coa, lt, st=state: st.SetMapping(p, coa, lt),
                                 on_unreachable=lambda p, st=state: st.Unreachable(p))
            box.update(env=env, daemon=daemon)

            def on_miss(dst, daemon=daemon, state=state):
                r = daemon.resolve(dst)
                if r is not PENDING:  # the daemon knew it (its copy outlived the hook's)
                    state.SetMapping(dst, r or 0, daemon.remaining_s(dst))

            state.ConfigureCorrespondent(bridge.register(f"{ch} MIP-CH mangler miss", on_miss))
            hooks(net.nodes[ch], state, tcp_mech == "miplr", rt_mech == "miplr")
            run["states"][ch] = state
            run["cores"][ch] = daemon
        for mh in topo.mobile_hosts:
            state = c.NewMipState()
            env = _MipEnv(ctx, mh.name, "mobile_host", counts, MIPLR_PORT,
                          lambda msg, src, name=mh.name: run["cores"][name].receive(msg, src))
            daemon = MipMhDaemon(env, int(mh.permanent_address), reg_ips, lifetime_s=mm.lifetime_s,
                                 retry_s=mm.retry_s, max_tries=mm.max_tries)
            state.ConfigureMobile(bridge.register(f"{mh.name} MIP-MH TCP peer", daemon.on_tcp_from),
                                  int(mh.permanent_address))

            def on_coa(old, new, state=state, daemon=daemon):
                state.SetCoa(new)  # the demangler follows at once ([0065])
                daemon.on_coa_change(old, new)

            ctx.mmp[mh.name].core.add_coa_listener(on_coa)
            hooks(net.nodes[mh.name], state, tcp_mech == "miplr", rt_mech == "miplr")
            run["states"][mh.name] = state
            run["cores"][mh.name] = daemon

    # ---- classic Mobile IP ----------------------------------------------------------------
    if "mip" in mechs:
        ha = next(h for h, host in s.hosts.items() if host.role == "home_agent")
        shim = c.InstallHomeAgent(net.nodes[ha], HOME_AGENT_PRIORITY, addr[ha])
        ha_box: dict[str, Any] = {}

        def on_binding(home, coa, lifetime, shim=shim):
            shim.SetBinding(home, coa, float(lifetime))
            ha_box["env"].log("mip_binding", f"{ipaddress.IPv4Address(home)} -> "
                              f"{ipaddress.IPv4Address(coa) if coa else 'none'}")

        agent = HomeAgent([perm_net], on_binding=on_binding, max_lifetime_s=mm.register_max_lifetime_s)

        def on_ha(msg, src):
            reply = agent.receive(msg, ha_box["env"].now())
            if reply is not None:
                ha_box["env"].send(src, reply)

        ha_box["env"] = _MipEnv(ctx, ha, "home_agent", counts, MIP_PORT, on_ha)
        run["ha"], run["ha_core"] = shim, agent
        for mh in topo.mobile_hosts:
            run["decap"][mh.name] = c.InstallIpInIp(net.nodes[mh.name])
            cbox: dict[str, Any] = {}
            env = _MipEnv(ctx, mh.name, "mobile_host", counts, MIP_PORT,
                          lambda msg, src, b=cbox: b["client"].receive(msg, src))
            client = MobileIpClient(env, int(mh.permanent_address), addr[ha],
                                    lifetime_s=mm.lifetime_s, retry_s=mm.retry_s,
                                    max_tries=mm.max_tries)
            cbox["client"] = client
            ctx.mmp[mh.name].core.add_coa_listener(client.on_coa_change)

    # ---- the TCP transfer -----------------------------------------------------------------
    flows: dict[str, tuple[Any, Any]] = {}
    if s.tcp.enabled:
        t = s.tcp
        variant = TCP_VARIANT_TYPES[t.variant]
        src = cors[0]
        if not c.SetTcpVariant(net.nodes[src], variant):
            raise RuntimeError(f"tcp.variant: ns-3 has no {variant}")
        for mh in topo.mobile_hosts:
            c.SetTcpVariant(net.nodes[mh.name], variant)
            sender = c.TcpBulkSender(net.nodes[src], t.size_bytes, t.rate_mbps * 1e6, t.segment_bytes)
            sink = c.TcpSink(net.nodes[mh.name], t.port, s.simulation.timeline_bin_s)
            flows[mh.name] = (sender, sink)
            if tcp_mech in ("miplr", "mip"):
                sender.Start(t.start_s, int(mh.permanent_address), t.port)
            else:
                # No macro-mobility for TCP: connect to the address the host has now.
                def start_direct(mh=mh.name, sender=sender):
                    coa = int(ctx.mmp[mh].coa)
                    if coa:
                        sender.Start(t.start_s, coa, t.port)
                    else:
                        ctx.log.record(bridge.now_ns(), src, "correspondent", "tcp_no_address", mh)

                bridge.call_at(t.start_s, start_direct, name=f"TCP to {mh.name}")
    run["flows"] = flows

    def collect() -> None:
        try:
            _collect(ctx, run, cors[0] if cors else None)
        finally:
            for sender, sink in flows.values():  # drop the sockets before Simulator::Destroy
                sender.Close()
                sink.Close()

    ctx.collectors.append(collect)
    ctx.miplr = run


def _ch_receive(box, msg, src) -> None:
    reply = box["daemon"].receive(msg, src)
    if reply is not None:
        box["env"].send(src, reply)


def _collect(ctx: RunContext, run: dict, src: str | None) -> None:
    s = ctx.scenario
    counts: Signalling = run["counts"]
    ctx.signalling_rows.extend(counts.rows())
    states = run["states"]
    summary: dict[str, Any] = {"tcp": s.macro_mobility.tcp if s.tcp.enabled else None,
                               "realtime": s.macro_mobility.realtime}
    if states:
        summary["manglers"] = {
            name: {k: int(getattr(st, k)) for k in (
                "capturedOut", "capturedIn", "mangledOut", "passedOut", "held", "heldDropped",
                "demangledIn", "sourceRewritten", "uncapturedOut", "uncapturedIn")}
            for name, st in states.items()}
        summary["application_addresses"] = {
            name: {"destinations": sorted(str(ipaddress.IPv4Address(a)) for a in st.appDestinations),
                   "sources": sorted(str(ipaddress.IPv4Address(a)) for a in st.appSources)}
            for name, st in states.items()}
    rejected = {}
    for name, core in run["cores"].items():
        for k, v in getattr(core, "rejected", {}).items():
            rejected[f"{name}:{k}"] = v
    ha = run.get("ha")
    if ha is not None:
        summary["home_agent"] = {"tunnelled_packets": int(ha.tunnelled),
                                 "tunnelled_bytes": int(ha.tunnelledBytes)}
        for k, v in run["ha_core"].rejected.items():
            rejected[f"home_agent:{k}"] = v
    summary["rejected"] = rejected
    summary["faults"] = counts.fault_summary()
    ctx.extra_summary["macro_mobility"] = summary

    bin_s = s.simulation.timeline_bin_s
    for mh, (sender, sink) in run["flows"].items():
        received = int(sink.received)
        completed = int(sender.completedNs)
        ctx.flow_rows.append({
            "name": "tcp", "kind": "tcp", "src": src, "dst": mh,
            "sent_packets": None, "received_packets": None, "lost_packets": None,
            "sent_bytes": int(sender.queued), "received_bytes": received,
            "resets": int(sender.errorCloses) + int(sink.errorCloses),
            "acked_bytes": int(sender.acked), "bad_bytes": int(sink.badBytes),
            "rtt_s": int(sender.rttSumNs) / int(sender.rttSamples) * 1e-9 if int(sender.rttSamples) else None,
            "connections": int(sink.accepted),
            "completion_s": (completed - int(sender.startNs)) * 1e-9 if completed >= 0 else None,
            "app_peer": str(ipaddress.IPv4Address(int(sender.peerAddress))) if int(sender.peerAddress) else None,
            "app_local_at_dst": ",".join(str(ipaddress.IPv4Address(int(a))) for a in sink.locals),
        })
        bins = list(sink.bins)
        for i, b in enumerate(bins):
            ctx.timeline_rows.append({"name": "tcp", "src": src, "dst": mh,
                                      "t_s": round(i * bin_s, 9), "bytes": int(b), "packets": None})
        reads = np.array(list(sink.readNs), dtype=np.int64) * 1e-9
        _handoff_tcp(ctx, run, mh, reads)


def _handoff_tcp(ctx: RunContext, run: dict, mh: str, reads: np.ndarray) -> None:
    """Per handoff: TCP's longest silence at the host, and for care-of changes the time to the
    first segment on the new address and until the correspondent (MIP-LR) or home agent (MIP)
    had the new address."""
    hos = ctx.detectors[mh].handoffs
    rows = ctx.handoff_extra.setdefault(mh, [])
    while len(rows) < len(hos):
        rows.append({})
    coa_t = ctx.care_of_changes(mh)
    applied = [(e.t_s, e.detail) for e in ctx.log.events
               if e.event in ("mip_update", "mip_binding") and e.node != mh]
    state = run["states"].get(mh)
    decap = run["decap"].get(mh)
    src = state if state is not None and len(state.arrivalNs) else decap
    firsts = []
    if src is not None:
        firsts = [(str(ipaddress.IPv4Address(int(a))), int(t) * 1e-9)
                  for a, t in zip(list(src.arrivalAddress), list(src.arrivalNs))]
    for i, (lo, hi) in enumerate(handoff_windows([h.t_s for h in hos])):
        rows[i]["tcp_gap_s"] = longest_silence(reads, lo, hi) if len(reads) else None
        moved = [(t, a) for t, a in coa_t if lo <= t < hi]
        if not moved:
            continue
        t0, coa = moved[0]
        rows[i]["coa_change_s"] = t0
        first = [t for a, t in firsts if a == coa and t >= t0]
        rows[i]["tcp_resume_s"] = first[0] - t0 if first else None
        upd = [t for t, d in applied if lo <= t < hi and t >= t0 and d.split(" -> ")[-1] == coa]
        rows[i]["tcp_update_s"] = upd[0] - t0 if upd else None


register_setup_hook(setup_miplr)
