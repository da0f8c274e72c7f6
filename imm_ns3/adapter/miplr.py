"""MIP-LR ([0054]-[0070]) and classic Mobile IP on ns-3.

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
- the forgers of the MIP-LR and Mobile IP kinds of ``[[attacks]]`` (``ctx.forgers``) and the
  attacker hosts' MIP-LR and Mobile IP sockets.

The TCP transfer that measures them is the ``tcp`` step (``adapter/traffic.py``); its handoff
columns use what this adapter's collector leaves on the context (``ctx.macro_updates``,
``ctx.first_arrivals``).

No Python runs per data packet: only a routing-cache miss at a correspondent and a TCP peer not
reported for a second at a mobile host call into Python.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable

from ..careof import CoaChange
from ..miplr.daemons import PENDING, MipChDaemon, MipMhDaemon
from ..miplr.hlr import HomeLocationRegister
from ..miplr.messages import MIPLR_PORT, UPDATE_OK, MipUpdate, MipUpdateAck, MipUpdateAckAuth
from ..miplr.mip import MIP_PORT, HomeAgent, MobileIpClient, RegistrationRequest
from ..scenario.checks import flow_port
from ..security import Keyring
from .context import Collector, RunContext
from .env import Signalling, WireEnv
from .runtime import compile_extension, u32_trampoline
from .traffic import RTP_PORT_CH, RTP_PORT_MH

TCP, UDP = 6, 17
HOME_AGENT_PRIORITY = 20  # above static routing (0) in the home agent's Ipv4ListRouting
RTP_PORTS = (RTP_PORT_CH, RTP_PORT_MH)  # captured by the manglers only when realtime = "miplr"
MAX_LIFETIME = 0xFFFFFFFF  # what a forger asks for; caps decide what it gets


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

    def updates_applied(self) -> list[tuple[float, str]]:
        """(time, care-of address) of every update applied at a correspondent or binding at the
        home agent, in time order."""
        out = [(t, coa) for d in self.correspondents for t, _, coa in d.updates] + \
              [(t, coa) for t, _, coa in self.bindings]
        return [(t, str(ipaddress.IPv4Address(coa)) if coa else "none")
                for t, coa in sorted(out, key=lambda x: x[0])]


def setup_miplr(ctx: RunContext) -> Collector | None:
    s, topo, net, bridge = ctx.scenario, ctx.topo, ctx.net, ctx.bridge
    if s.attacks:
        _register_forgers(ctx)
    mm = s.macro_mobility
    cors = [h for h, host in s.hosts.items() if host.role == "correspondent"]
    mobile = {mh.name for mh in topo.mobile_hosts}
    # Flows between two mobile hosts' permanent addresses, and the mobile hosts that open TCP
    # connections (uploads and mobile-to-mobile transfers).
    m2m = [f for f in s.flows if f.src in mobile and f.dst in mobile and f.dst_address == "permanent"]
    tcp_openers = {f.src for f in s.flows if f.kind == "tcp_bulk" and f.src in mobile}
    # Care-of addresses come from MMP and DRCP: without domains there is nothing to follow.
    if not ((cors or m2m) and topo.mobile_hosts and s.domains):
        return None
    roles = {host.role for host in s.hosts.values()}
    # The daemons run whenever the policy names their mechanism and its servers exist, with or
    # without traffic: a mobile host registers every care-of address either way.
    tcp_mech = mm.tcp
    # [[flows]] to a mobile host's permanent address: UDP ones are real-time traffic.
    udp_flow_ports = [flow_port(s, i) for i, f in enumerate(s.flows) if f.kind != "tcp_bulk"
                      and f.dst in mobile and f.dst_address == "permanent"]
    rt_mech = mm.realtime if (s.sip.enabled or udp_flow_ports) else None
    mechs = {m for m in (tcp_mech, rt_mech)
             if (m == "miplr" and "home_location_register" in roles)
             or (m == "mip" and "home_agent" in roles)}
    if not (s.tcp.enabled or mechs):
        return None  # (with [tcp], the collector reports the policy: macro_mobility)
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

        def correspondent(name: str, state, env: MipEnv, prefixes=None) -> MipChDaemon:
            """The MIP-CH daemon of ``name`` and its mangler's routing cache ([0058]-[0062])."""
            def on_mapping(p, coa, lt):
                state.SetMapping(p, coa, lt)
                ctx.location_log.append((env.now(), name, _ip(p), _ip(coa)))

            daemon = MipChDaemon(env, reg_ips, query_timeout_s=mm.query_timeout_s,
                                 max_tries=mm.max_tries, max_lifetime_s=mm.register_max_lifetime_s,
                                 keyring=keys, address=addr.get(name, 0), on_mapping=on_mapping,
                                 on_unreachable=lambda p: state.Unreachable(p),
                                 mobile_prefixes=prefixes)

            def on_miss(dst):
                r = daemon.resolve(dst)
                if r is not PENDING:  # the daemon knew it (its copy outlived the hook's)
                    state.SetMapping(dst, r or 0, daemon.remaining_s(dst))

            state.ConfigureCorrespondent(bridge.register(f"{name} MIP-CH mangler miss", on_miss))
            run.correspondents.append(daemon)
            return daemon

        for ch in cors:
            state = c.NewMipState()
            env = MipEnv(ctx, ch, "correspondent", run.counts, MIPLR_PORT)
            daemon = correspondent(ch, state, env)
            env.attach(lambda msg, src, daemon=daemon, env=env: env.reply(src, daemon.receive(msg, src)))
            hooks(net.nodes[ch], state, tcp_mech == "miplr", rt_mech == "miplr")
            run.states[ch] = state
            run.cores[ch] = daemon
            ctx.location_cores[(ch, "miplr")] = daemon
        # Mobile hosts at either end of a mobile-to-mobile flow MIP-LR carries are correspondents
        # too (beyond the specification, docs/miplr.md): the sender looks up its peer's care-of
        # address, the receiver its peer's when it answers (TCP) or sends an update.
        both = {e for f in m2m if (tcp_mech if f.kind == "tcp_bulk" else rt_mech) == "miplr"
                for e in (f.src, f.dst)}
        prefix = (int(perm_net.network_address), int(perm_net.netmask))
        for mh in topo.mobile_hosts:
            state = c.NewMipState()
            env = MipEnv(ctx, mh.name, "mobile_host", run.counts, MIPLR_PORT, keep_sent=keep)
            ch_daemon = None
            if mh.name in both:
                state.SetMobilePrefix(*prefix)
                ch_daemon = correspondent(mh.name, state, env, [prefix])
                run.cores[f"{mh.name} (correspondent)"] = ch_daemon
            daemon = MipMhDaemon(env, int(mh.permanent_address), reg_ips, lifetime_s=mm.lifetime_s,
                                 retry_s=mm.retry_s, max_tries=mm.max_tries, keyring=keys,
                                 locator=ch_daemon)
            if ch_daemon is None:
                env.attach(daemon.receive)
            else:  # one socket, two daemons: acknowledgements are the MIP-MH daemon's
                def on_both(msg, src, daemon=daemon, ch_daemon=ch_daemon, env=env):
                    if isinstance(msg, (MipUpdateAck, MipUpdateAckAuth)):
                        daemon.receive(msg, src)
                    else:
                        env.reply(src, ch_daemon.receive(msg, src))
                env.attach(on_both)
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
            if tcp_mech == "mip" and mh.name in tcp_openers:
                # A connection the host opens leaves from its permanent address, straight to the
                # peer; the answers come through the home agent's tunnel: triangular routing
                # (no reverse tunnel, as RFC 5944 without its 'T' bit).
                state = c.NewMipState()
                state.ConfigureMobileSource(int(mh.permanent_address))
                c.InstallMipHook(net.nodes[mh.name], TCP, state)
                ctx.care_of[mh.name].subscribe(
                    lambda change, state=state: None if change.lost else state.SetCoa(change.new))
                run.states[mh.name] = state
            env = MipEnv(ctx, mh.name, "mobile_host", run.counts, MIP_PORT, keep_sent=keep)
            client = MobileIpClient(env, int(mh.permanent_address), addr[ha],
                                    lifetime_s=mm.lifetime_s, retry_s=mm.retry_s,
                                    max_tries=mm.max_tries, keyring=keys)
            env.attach(client.receive)
            ctx.location_cores[(mh.name, "mip")] = client
            ctx.care_of[mh.name].subscribe(
                lambda change, client=client: None if change.lost
                else client.on_coa_change(change.old, change.new))

    return lambda: _collect(ctx, run)


def _collect(ctx: RunContext, run: _MipRun) -> None:
    s = ctx.scenario
    ctx.signalling_rows.extend(run.counts.rows())
    states = run.states
    summary: dict[str, Any] = {"tcp": s.macro_mobility.tcp if s.tcp.enabled else None,
                               "realtime": s.macro_mobility.realtime}
    if states:
        summary["manglers"] = {
            name: {k: int(getattr(st, k)) for k in (
                "capturedOut", "capturedIn", "mangledOut", "passedOut", "held", "heldDropped",
                "demangledIn", "sourceRewritten", "uncapturedOut", "uncapturedIn",
                "endpointTranslated")}
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

    # For the TCP transfer's handoff columns (adapter/traffic.py).
    ctx.macro_updates = run.updates_applied()
    for mh in ctx.topo.mobile_hosts:
        # The first packet per address at the host: the demangler's record (MIP-LR) or the
        # decapsulator's (Mobile IP).
        state, decap = run.states.get(mh.name), run.decap.get(mh.name)
        arrivals = state if state is not None and len(state.arrivalNs) else decap
        ctx.first_arrivals[mh.name] = [] if arrivals is None else [
            (str(ipaddress.IPv4Address(int(a))), int(t) * 1e-9)
            for a, t in zip(list(arrivals.arrivalAddress), list(arrivals.arrivalNs))]


def _register_forgers(ctx: RunContext) -> None:
    """The MIP-LR and Mobile IP kinds of [[attacks]] (docs/security.md): an attacker host's
    MIP-LR and Mobile IP sockets, and forged updates and registrations with what an
    eavesdropper knows of the victim (its next sequence number or identification, its first
    updates for a replay) and no key."""
    addr = {h: int(a) for h, a in ctx.topo.host_addresses().items()}
    perm = {mh.name: int(mh.permanent_address) for mh in ctx.topo.mobile_hosts}
    nodes_by_ip = {a: h for h, a in addr.items()}
    envs: dict[tuple[str, int], MipEnv] = {}

    def open_sockets(name: str, counts: Signalling) -> None:
        for port in (MIPLR_PORT, MIP_PORT):
            env = MipEnv(ctx, name, "attacker", counts, port)
            env.attach(lambda msg, src: None)  # answers are counted as received, nothing more
            envs[(name, port)] = env

    def target(a: int) -> str:
        return nodes_by_ip.get(a, str(ipaddress.IPv4Address(a)))

    def miplr_update(a, me: str) -> list:
        cores = ctx.location_cores
        mh = cores.get((a.victim, "miplr"))
        env = envs[(a.attacker, MIPLR_PORT)]
        out = []
        for t in [n for (n, mech) in cores if mech == "miplr" and n not in perm]:
            seq = (mh.seq_for(addr[t]) + 1) & 0xFFFFFFFF if mh is not None else 1
            msg = MipUpdate(perm[a.victim], int(ipaddress.IPv4Address(me)), seq, MAX_LIFETIME)
            env.send(addr[t], msg)
            out.append((t, addr[t], msg.name))
        return out

    def mip_registration(a, me: str) -> list:
        cores = ctx.location_cores
        client = cores.get((a.victim, "mip"))
        env = envs[(a.attacker, MIP_PORT)]
        ha = client.home_agent if client is not None else next(
            addr[n] for (n, mech) in cores if mech == "mip" and n not in perm)
        ident = (client.ident + 1) if client is not None else 1
        msg = RegistrationRequest(perm[a.victim], ha, int(ipaddress.IPv4Address(me)), 0xFFFF, ident)
        env.send(ha, msg)
        return [(target(ha), ha, msg.name)]

    def replay(a, me: str) -> list:
        out = []
        for mech, port in (("miplr", MIPLR_PORT), ("mip", MIP_PORT)):
            core = ctx.location_cores.get((a.victim, mech))
            if core is None:
                continue
            env = envs[(a.attacker, port)]
            for dst, msg in core.env.sent:
                env.send(dst, msg)
                out.append((target(dst), dst, msg.name))
        return out

    ctx.attacker_ports.extend((MIPLR_PORT, MIP_PORT))
    ctx.attacker_sockets.append(open_sockets)
    ctx.forgers.update({"miplr_update": miplr_update, "mip_registration": mip_registration,
                        "replay": replay})
