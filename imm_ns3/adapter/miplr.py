"""MIP-LR ([0054]-[0070]) and classic Mobile IP on ns-3, and the TCP transfer that measures them.

Set up by ``adapter/run.py`` after MMP (whose care-of address channel drives it):

- home location registers (hosts with role ``home_location_register``) run
  :class:`~imm_ns3.miplr.hlr.HomeLocationRegister` on UDP 4350;
- every correspondent host runs a :class:`~imm_ns3.miplr.daemons.MipChDaemon` and the C++
  mangler ``imm::MipHook`` (``mip_hook.h``) between its IPv4 and TCP; a miss in the hook's routing
  cache asks the daemon, whose answers and updates fill the hook's cache;
- every mobile host runs a :class:`~imm_ns3.miplr.daemons.MipMhDaemon` subscribed to the host's
  care-of address channel (step 420 of Figure 4B) and the C++ mangler-demangler; TCP arriving from a
  correspondent feeds the daemon's TCP connections cache ([0068]);
- with ``macro_mobility.tcp = "mip"`` (or ``realtime = "mip"``) instead: the home agent (role
  ``home_agent``) runs :class:`~imm_ns3.miplr.mip.HomeAgent` on UDP 434 and the C++ tunnel
  ``imm::HomeAgentRouting`` (``mip_tunnel.h``); mobile hosts register each care-of address with it and take the
  tunnelled packets out with ``imm::IpInIp``;
- the TCP transfer (``[tcp]``, ``traffic.h``): a paced bulk sender at the first correspondent per mobile host,
  to the host's permanent address, and a sink at the host that checks every byte.

No Python runs per data packet: only a routing-cache miss at a correspondent and a TCP peer not
reported for a second at a mobile host call into Python.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

import numpy as np

from dataclasses import dataclass, field

from ..careof import CoaChange
from ..measure import handoff_tcp_components
from ..miplr.daemons import PENDING, MipChDaemon, MipMhDaemon
from ..miplr.hlr import HomeLocationRegister
from ..miplr.messages import MIPLR_PORT, UPDATE_OK
from ..miplr.mip import MIP_PORT, HomeAgent, MobileIpClient
from ..scenario.checks import flow_port
from ..schedule import spread_start
from ..security import Keyring
from .context import Collector, RunContext
from .env import Signalling, WireEnv
from .runtime import compile_extension, u32_trampoline

TCP, UDP = 6, 17
HOME_AGENT_PRIORITY = 20  # above static routing (0) in the home agent's Ipv4ListRouting
RTP_PORTS = (40000, 40002)  # captured by the manglers only when realtime = "miplr"
TCP_VARIANT_TYPES = {
    "newreno": "ns3::TcpNewReno", "cubic": "ns3::TcpCubic", "bic": "ns3::TcpBic",
    "highspeed": "ns3::TcpHighSpeed", "htcp": "ns3::TcpHtcp", "vegas": "ns3::TcpVegas",
    "westwood": "ns3::TcpWestwoodPlus", "bbr": "ns3::TcpBbr",
}


def _ip(a: int) -> str:
    return str(ipaddress.IPv4Address(a)) if a else "none"


class MipEnv(WireEnv):
    """Env of a MIP-LR or Mobile IP core on an ns-3 node: its UDP socket and the codec. The
    adapter attaches the core's message handler once the core exists (:meth:`attach`)."""

    def __init__(self, ctx: RunContext, name: str, role: str, counts: Signalling, port: int,
                 keep_sent: int = 0):
        super().__init__(ctx, name, role, counts, rng_key=f"mip:{name}:{port}")
        self.port = port
        # The first ``keep_sent`` messages sent, as (dst, msg): what an eavesdropper could
        # replay ([[attacks]] kind 'replay').
        self.keep_sent = keep_sent
        self.sent: list[tuple[int, Any]] = []
        self._handler: Callable[[Any, int], None] | None = None
        self.sock = self.bridge.udp_socket(self.node, port, f"{name} {role} socket {port}",
                                           self._on_datagram)

    def attach(self, handler: Callable[[Any, int], None]) -> None:
        self._handler = handler

    def send(self, dst: int, msg: Any) -> None:
        if len(self.sent) < self.keep_sent:
            self.sent.append((dst, msg))
        self._send(self.sock, dst, self.port, msg)

    def reply(self, src: int, reply: Any | None) -> None:
        """Send a core's answer (if it has one) back to the requester."""
        if reply is not None:
            self.send(src, reply)

    def _on_datagram(self, src: int, port: int, data: bytes) -> None:
        msg = self._decode(data)
        if msg is not None:
            self._handler(msg, src)


@dataclass
class _MipRun:
    """What the collector needs of one run's MIP-LR and Mobile IP machinery."""

    counts: Signalling
    states: dict[str, Any] = field(default_factory=dict)  # node -> C++ MipState
    decap: dict[str, Any] = field(default_factory=dict)  # mobile host -> C++ IpInIp
    cores: dict[str, Any] = field(default_factory=dict)  # node -> core (for "rejected")
    correspondents: list[MipChDaemon] = field(default_factory=list)
    home_agent: Any = None  # C++ HomeAgentRouting
    home_agent_core: HomeAgent | None = None
    bindings: list[tuple[float, int, int]] = field(default_factory=list)  # (t, home, coa) at the HA
    flows: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # mobile host -> (sender, sink)

    def updates_applied(self) -> list[tuple[float, str]]:
        """(time, care-of address) of every update applied at a correspondent or binding at the
        home agent, in time order."""
        out = [(t, coa) for d in self.correspondents for t, _, coa in d.updates] + \
              [(t, coa) for t, _, coa in self.bindings]
        return [(t, str(ipaddress.IPv4Address(coa)) if coa else "none")
                for t, coa in sorted(out, key=lambda x: x[0])]


def setup_miplr(ctx: RunContext) -> Collector | None:
    s, topo, net, bridge = ctx.scenario, ctx.topo, ctx.net, ctx.bridge
    mm = s.macro_mobility
    cors = [h for h, host in s.hosts.items() if host.role == "correspondent"]
    # Care-of addresses come from MMP and DRCP: without domains there is nothing to follow.
    if not (cors and topo.mobile_hosts and s.domains):
        return None
    roles = {host.role for host in s.hosts.values()}
    # The daemons run whenever the policy names their mechanism and its servers exist, with or
    # without traffic: a mobile host registers every care-of address either way.
    tcp_mech = mm.tcp
    mobile = {mh.name for mh in topo.mobile_hosts}
    # [[flows]] to a mobile host's permanent address: UDP ones are real-time traffic.
    udp_flow_ports = [flow_port(s, i) for i, f in enumerate(s.flows) if f.kind != "tcp_bulk"
                      and f.dst in mobile and f.dst_address == "permanent"]
    rt_mech = mm.realtime if (s.sip.enabled or udp_flow_ports) else None
    mechs = {m for m in (tcp_mech, rt_mech)
             if (m == "miplr" and "home_location_register" in roles)
             or (m == "mip" and "home_agent" in roles)}
    if not (s.tcp.enabled or mechs):
        return None
    compile_extension("traffic.h")  # the TCP transfer
    compile_extension("mip_tunnel.h")
    c = compile_extension("mip_hook.h",
                          callbacks=("SetMipCallbacks", (u32_trampoline, u32_trampoline)))
    addr = {h: int(a) for h, a in topo.host_addresses().items()}
    perm_net = ipaddress.IPv4Network(s.mobile_hosts.permanent_prefix)
    run = _MipRun(Signalling(ctx.bridge.now, ctx.scenario.simulation.warmup_s))
    keys = Keyring.for_run(s.security.secret, ctx.seed) if s.security.auth else None
    keep = 4 if any(a.kind == "replay" for a in s.attacks) else 0  # updates kept for a replay

    def hooks(node, state, tcp: bool, udp: bool) -> None:
        if tcp:
            c.InstallMipHook(node, TCP, state)
        if udp:
            h = c.InstallMipHook(node, UDP, state)
            for p in (*RTP_PORTS, *udp_flow_ports):
                h.CapturePort(p)

    # ---- MIP-LR ---------------------------------------------------------------------------
    if "miplr" in mechs:
        registers = [h for h, host in s.hosts.items() if host.role == "home_location_register"]
        for h in registers:
            core = HomeLocationRegister([perm_net], max_lifetime_s=mm.register_max_lifetime_s,
                                        null_lifetime_s=mm.null_lifetime_s, keyring=keys)
            env = MipEnv(ctx, h, "home_location_register", run.counts, MIPLR_PORT)

            def on_hlr(msg, src, core=core, env=env, h=h):
                answer = core.receive(msg, env.now(), src)
                if answer is None:
                    env.log("unexpected_message", msg.name)
                elif hasattr(msg, "coa") and getattr(answer, "status", None) == UPDATE_OK:
                    ctx.location_log.append((env.now(), h, _ip(msg.permanent), _ip(msg.coa)))
                env.reply(src, answer)

            env.attach(on_hlr)
            run.cores[h] = core
            ctx.location_cores[(h, "miplr")] = core
        reg_ips = [addr[h] for h in registers]
        for ch in cors:
            state = c.NewMipState()
            env = MipEnv(ctx, ch, "correspondent", run.counts, MIPLR_PORT)
            def on_mapping(p, coa, lt, st=state, env=env, ch=ch):
                st.SetMapping(p, coa, lt)
                ctx.location_log.append((env.now(), ch, _ip(p), _ip(coa)))

            daemon = MipChDaemon(env, reg_ips, query_timeout_s=mm.query_timeout_s,
                                 max_tries=mm.max_tries, max_lifetime_s=mm.register_max_lifetime_s,
                                 keyring=keys, address=addr[ch], on_mapping=on_mapping,
                                 on_unreachable=lambda p, st=state: st.Unreachable(p))
            env.attach(lambda msg, src, daemon=daemon, env=env: env.reply(src, daemon.receive(msg, src)))

            def on_miss(dst, daemon=daemon, state=state):
                r = daemon.resolve(dst)
                if r is not PENDING:  # the daemon knew it (its copy outlived the hook's)
                    state.SetMapping(dst, r or 0, daemon.remaining_s(dst))

            state.ConfigureCorrespondent(bridge.register(f"{ch} MIP-CH mangler miss", on_miss))
            hooks(net.nodes[ch], state, tcp_mech == "miplr", rt_mech == "miplr")
            run.states[ch] = state
            run.cores[ch] = daemon
            ctx.location_cores[(ch, "miplr")] = daemon
            run.correspondents.append(daemon)
        for mh in topo.mobile_hosts:
            state = c.NewMipState()
            env = MipEnv(ctx, mh.name, "mobile_host", run.counts, MIPLR_PORT, keep_sent=keep)
            daemon = MipMhDaemon(env, int(mh.permanent_address), reg_ips, lifetime_s=mm.lifetime_s,
                                 retry_s=mm.retry_s, max_tries=mm.max_tries, keyring=keys)
            env.attach(daemon.receive)
            state.ConfigureMobile(bridge.register(f"{mh.name} MIP-MH TCP peer", daemon.on_tcp_from),
                                  int(mh.permanent_address))

            def on_coa(change: CoaChange, state=state, daemon=daemon) -> None:
                if change.lost:
                    return
                state.SetCoa(change.new)  # the demangler follows at once ([0065])
                daemon.on_coa_change(change.old, change.new)

            ctx.care_of[mh.name].subscribe(on_coa)
            hooks(net.nodes[mh.name], state, tcp_mech == "miplr", rt_mech == "miplr")
            run.states[mh.name] = state
            run.cores[mh.name] = daemon
            ctx.location_cores[(mh.name, "miplr")] = daemon

    # ---- classic Mobile IP ----------------------------------------------------------------
    if "mip" in mechs:
        ha = next(h for h, host in s.hosts.items() if host.role == "home_agent")
        shim = c.InstallHomeAgent(net.nodes[ha], HOME_AGENT_PRIORITY, addr[ha])
        ha_env = MipEnv(ctx, ha, "home_agent", run.counts, MIP_PORT)

        def on_binding(home, coa, lifetime, shim=shim):
            shim.SetBinding(home, coa, float(lifetime))
            run.bindings.append((ha_env.now(), home, coa))
            ctx.location_log.append((ha_env.now(), ha, _ip(home), _ip(coa)))
            ha_env.log("mip_binding", f"{ipaddress.IPv4Address(home)} -> "
                       f"{ipaddress.IPv4Address(coa) if coa else 'none'}")

        agent = HomeAgent([perm_net], on_binding=on_binding, max_lifetime_s=mm.register_max_lifetime_s,
                          keyring=keys)
        ha_env.attach(lambda msg, src: ha_env.reply(src, agent.receive(msg, ha_env.now())))
        run.home_agent, run.home_agent_core = shim, agent
        ctx.location_cores[(ha, "mip")] = agent
        for mh in topo.mobile_hosts:
            run.decap[mh.name] = c.InstallIpInIp(net.nodes[mh.name])
            env = MipEnv(ctx, mh.name, "mobile_host", run.counts, MIP_PORT, keep_sent=keep)
            client = MobileIpClient(env, int(mh.permanent_address), addr[ha],
                                    lifetime_s=mm.lifetime_s, retry_s=mm.retry_s,
                                    max_tries=mm.max_tries, keyring=keys)
            env.attach(client.receive)
            ctx.location_cores[(mh.name, "mip")] = client
            ctx.care_of[mh.name].subscribe(
                lambda change, client=client: None if change.lost
                else client.on_coa_change(change.old, change.new))

    # ---- the TCP transfer -----------------------------------------------------------------
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
            run.flows[mh.name] = (sender, sink)
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
            _collect(ctx, run, cors[0] if cors else None)
        finally:
            for sender, sink in run.flows.values():  # drop the sockets before Simulator::Destroy
                sender.Close()
                sink.Close()

    return collect


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


def _collect(ctx: RunContext, run: _MipRun, src: str | None) -> None:
    s = ctx.scenario
    ctx.signalling_rows.extend(run.counts.rows())
    states = run.states
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
    for name, core in run.cores.items():
        for k, v in getattr(core, "rejected", {}).items():
            rejected[f"{name}:{k}"] = v
    if run.home_agent is not None:
        summary["home_agent"] = {"tunnelled_packets": int(run.home_agent.tunnelled),
                                 "tunnelled_bytes": int(run.home_agent.tunnelledBytes)}
        for k, v in run.home_agent_core.rejected.items():
            rejected[f"home_agent:{k}"] = v
    summary["rejected"] = rejected
    summary["faults"] = run.counts.fault_summary()
    ctx.extra_summary["macro_mobility"] = summary

    updates = run.updates_applied()
    for mh, (sender, sink) in run.flows.items():
        row = tcp_flow_row("tcp", "tcp", src, mh, sender, sink)
        row["app_peer"] = (str(ipaddress.IPv4Address(int(sender.peerAddress)))
                           if int(sender.peerAddress) else None)
        row["app_local_at_dst"] = ",".join(str(ipaddress.IPv4Address(int(a))) for a in sink.locals)
        ctx.flow_rows.append(row)
        ctx.add_byte_timeline("tcp", src, mh, list(sink.bins))
        reads = np.array(list(sink.readNs), dtype=np.int64) * 1e-9
        # The first packet per address at the host: the demangler's record (MIP-LR) or the
        # decapsulator's (Mobile IP).
        state, decap = run.states.get(mh), run.decap.get(mh)
        arrivals = state if state is not None and len(state.arrivalNs) else decap
        firsts = [] if arrivals is None else [
            (str(ipaddress.IPv4Address(int(a))), int(t) * 1e-9)
            for a, t in zip(list(arrivals.arrivalAddress), list(arrivals.arrivalNs))]
        rows = ctx.handoff_rows(mh)
        for row, extra in zip(rows, handoff_tcp_components(
                ctx.handoff_times(mh), reads, ctx.care_of[mh].changes(), firsts, updates)):
            row.update(extra)
