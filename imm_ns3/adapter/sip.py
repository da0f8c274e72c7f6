"""SIP mobility on ns-3 ([0071]-[0077]): the SIP server(s), the user agents of the correspondent
and of every mobile host, and a bidirectional voice-like RTP flow per call.

- SIP servers (hosts with role ``sip_server``) run :class:`imm_ns3.sip.Registrar` on UDP 5060.
- The correspondent (the first host with role ``correspondent``) runs a
  :class:`imm_ns3.sip.agent.UserAgent` and calls each mobile host's SIP URL at
  ``sip.call_at_s``; on a re-INVITE its RTP sender switches to the new address ([0075]).
- Each mobile host runs a UserAgent subscribed to its care-of address channel
  (``ctx.care_of``): REGISTER with every server on the first address, ``move_to`` (REGISTER +
  re-INVITE) on every change.
- RTP is C++ (``traffic.h``): 20 ms packets both ways, no Python per packet, created by the
  ``rtp`` step just before this one (``adapter/traffic.py``, ``ctx.rtp``), which also computes
  the statistics of RFC 3550 from the receivers' records after the run; this adapter starts,
  redirects and stops it as the calls go.
- The SIP kinds of ``[[attacks]]`` (``ctx.forgers``): an attacker's user agent claiming the
  victim's address of record.

That is the policy's ``macro_mobility.realtime = "sip"``. With another mechanism there is no SIP
signalling: the RTP flows start at ``sip.call_at_s`` addressed to the mobile host's permanent
address ('miplr': the MIP-LR manglers rewrite them; 'mip': the home agent tunnels them) or to
the care-of address it has then ('none': nothing follows the host).
"""

from __future__ import annotations

import ipaddress

from ..sip.agent import UserAgent, table_counts
from ..sip.registrar import Registrar
from ..careof import CoaChange
from ..schedule import call_plan
from ..security import Keyring
from ..sip.agent import Session
from ..sip.message import SIP_PORT, SipParseError, aor, name_addr, parse_message, uri_host_port
from .context import Collector, RunContext
from .env import NodeEnv, Signalling
from .traffic import RTP_PORT_CH, RTP_PORT_MH, RtpMedia

DRAIN_S = 1.0


def _ip(addr: str) -> int:
    return int(ipaddress.IPv4Address(addr))


def _sip_name(data: bytes) -> str:
    """Signalling label of a SIP datagram: the method, or the status code of a response."""
    head = data[:24].split(b" ", 2)
    if head[0] == b"SIP/2.0" and len(head) > 1:
        return head[1].decode(errors="replace")
    return head[0].decode(errors="replace")


class _SipEnv(NodeEnv):
    """Env of a user agent or server on an ns-3 node: NodeEnv plus its SIP socket. The adapter
    attaches the core's ``receive(data, (host, port))`` once the core exists."""

    def __init__(self, ctx: RunContext, name: str, role: str, signalling: Signalling):
        super().__init__(ctx, name, role, signalling, rng_key=f"sip:{name}")
        self._handler = None
        self.sock = self.bridge.udp_socket(self.node, SIP_PORT, f"{name} SIP socket",
                                           self._on_datagram)

    def attach(self, handler) -> None:
        self._handler = handler

    def _on_datagram(self, ip: int, port: int, data: bytes) -> None:
        self.signalling.count_received(self.name, self.role, f"SIP {_sip_name(data)}", len(data))
        self._handler(data, (str(ipaddress.IPv4Address(ip)), port))

    def send(self, data: bytes, dst: tuple[str, int]) -> None:
        self.signalling.count(self.name, self.role, f"SIP {_sip_name(data)}", len(data))
        self.bridge.udp_send(self.sock, data, _ip(dst[0]), dst[1])


def setup_sip(ctx: RunContext) -> Collector | None:
    s, topo = ctx.scenario, ctx.topo
    servers = [h for h, host in s.hosts.items() if host.role == "sip_server"]
    cors = [h for h, host in s.hosts.items() if host.role == "correspondent"]
    mech = s.macro_mobility.realtime
    if s.attacks:
        ctx.attacker_ports.append(SIP_PORT)  # an attacker host's SIP socket (opened when it forges)
    # The rtp step made the calls' media exactly when there are calls to make (its conditions:
    # SIP enabled, domains to give care-of addresses, a server when SIP signals).
    if ctx.rtp is None:
        return None
    ch_calls = ctx.rtp.ch is not None
    mobile_calls = s.sip.calls if mech == "sip" else []
    counts = Signalling(ctx.bridge.now, s.simulation.warmup_s)
    addr = {h: str(a) for h, a in topo.host_addresses().items()}
    server_addrs = [(addr[h], SIP_PORT) for h in servers]
    # Each host's call: when the correspondent places it and hangs up (sip.call_spread_s,
    # sip.holding_s); the RTP senders stop DRAIN_S before the end so the last packets arrive.
    q = s.sip
    plans = call_plan([mh.name for mh in topo.mobile_hosts], ctx.seed, call_at_s=q.call_at_s,
                      spread_s=q.call_spread_s, holding_s=q.holding_s, holding=q.holding,
                      run_end_s=s.simulation.duration_s - DRAIN_S)

    keys = Keyring.for_run(s.security.secret, ctx.seed) if s.security.auth else None
    users = {mh.sip_url: keys.sip_password(mh.sip_url) for mh in topo.mobile_hosts} if keys else None
    watch = bool(s.attacks)  # record every binding change for the attacks collector

    # SIP servers: registrar + redirect server ([0073]).
    for h in servers:
        reg = Registrar(domain=s.mobile_hosts.sip_domain, users=users,
                        **({"nonce_secret": keys.sip_nonce_secret(h)} if keys else {}))
        env = _SipEnv(ctx, h, "sip_server", counts)

        def on_server(data, src, reg=reg, env=env, h=h):
            before = {k: b.contact for k, b in reg.bindings.items()} if watch else None
            for out in reg.receive(data, src, ctx.bridge.now()):
                env.send(out, src)
            if watch:
                for k, b in reg.bindings.items():
                    if before.get(k) != b.contact:
                        ctx.location_log.append((env.now(), h, k, _contact_host(b.contact)))

        env.attach(on_server)
        ctx.location_cores[(h, "sip")] = reg

    # The correspondent's agent and RTP (one sender/receiver pair per call).
    ch = cors[0] if cors else None
    ch_ua = None
    if mech == "sip" and ch_calls:
        ch_env = _SipEnv(ctx, ch, "correspondent", counts)
        ch_uri = s.hosts[ch].sip_url or f"sip:{ch}@{s.mobile_hosts.sip_domain}"
        ch_ua = UserAgent(ch_env, aor_uri=ch_uri, host=addr[ch], servers=server_addrs,
                          expires_s=s.sip.expires_s, media_port=RTP_PORT_CH,
                          confirm_moves=keys is not None)
        ch_env.attach(ch_ua.receive)
        ctx.location_cores[(ch, "sip")] = ch_ua
    media: dict[str, RtpMedia] = ctx.rtp.media  # the rtp step's (adapter/traffic.py)
    call_of: dict[str, str] = {}  # call-id -> mobile host
    # Calls between two mobile hosts: (host, the peer's address of record) -> (the host's
    # sender to the peer, when it stops).
    url = {mh.name: mh.sip_url for mh in topo.mobile_hosts}
    run_end = s.simulation.duration_s - DRAIN_S
    mobile_sender: dict[tuple[str, str], tuple] = {}
    for k, cm in zip(mobile_calls, ctx.rtp.mobile):
        stop = min(k.at_s + k.holding_s, run_end) if k.holding_s else run_end
        for me in (k.caller, k.callee):
            mobile_sender[(me, url[cm.peer(me)])] = (cm.senders[me], stop)

    mh_uas: dict[str, UserAgent] = {}
    for mh in topo.mobile_hosts:
        m = media.get(mh.name)
        if mech != "sip":
            continue
        mh_env = _SipEnv(ctx, mh.name, "mobile_host", counts)
        user = mh.sip_url.split(":", 1)[-1].split("@", 1)[0]
        ua = UserAgent(mh_env, aor_uri=mh.sip_url, host="0.0.0.0", servers=server_addrs,
                       expires_s=s.sip.expires_s, media_port=RTP_PORT_MH,
                       credentials=(user, users[mh.sip_url]) if users else None)
        mh_env.attach(ua.receive)
        if m is not None:
            m.ua = ua
        mh_uas[mh.name] = ua
        ctx.location_cores[(mh.name, "sip")] = ua

        def on_coa(change: CoaChange, ua=ua) -> None:
            if change.lost:
                return
            host = str(ipaddress.IPv4Address(change.new))
            if ua.host == "0.0.0.0":
                ua.register(host)  # [0073]: first address in the network
            else:
                ua.move_to(host)  # [0075]: REGISTER and re-INVITE every session

        ctx.care_of[mh.name].subscribe(on_coa)

        def mh_established(sess, m=m, end_s=plans[mh.name].end_s, me=mh.name):
            # The mobile host's application sends to the correspondent's media address (or, in
            # a call with another mobile host, to that host's).
            rm = sess.remote_media
            mine = mobile_sender.get((me, sess.remote_uri))
            if rm is not None and mine is not None:
                mine[0].SetDestination(_ip(rm.address), rm.port)
                mine[0].Start(mine[1])
            elif rm is not None and m is not None:
                m.to_ch.SetDestination(_ip(rm.address), rm.port)
                m.to_ch.Start(end_s)

        def mh_ended(sess, m=m, me=mh.name):
            # The peer hung up (BYE): the host's application stops sending. (A re-INVITE that
            # times out also ends the agent's session; the media then goes on as before.)
            if sess.ended_by != "bye":
                return
            mine = mobile_sender.get((me, sess.remote_uri))
            if mine is not None:
                mine[0].Stop()
            elif m is not None:
                m.to_ch.Stop()

        def mh_media(sess, me=mh.name):
            # [0075] with a mobile peer: it moved, and re-INVITEd this host.
            mine = mobile_sender.get((me, sess.remote_uri))
            if mine is not None and sess.remote_media is not None:
                mine[0].SetDestination(_ip(sess.remote_media.address), sess.remote_media.port)

        ua.on_established = mh_established
        ua.on_ended = mh_ended
        ua.on_media = mh_media

    def ch_established(sess):
        mh = call_of.get(sess.call_id)
        if mh is None or sess.remote_media is None:
            return
        m = media[mh]
        m.to_mh.SetDestination(_ip(sess.remote_media.address), sess.remote_media.port)
        m.to_mh.Start(plans[mh].end_s)
        if plans[mh].end_s < s.simulation.duration_s - DRAIN_S:
            ctx.bridge.call_at(plans[mh].end_s, hang_up, sess, name=f"SIP hang-up {mh}")

    def hang_up(sess):
        if sess.state != "ended" and ch_ua.sessions.get(sess.call_id) is sess:
            ch_ua.hangup(sess)

    def ch_media(sess):
        # [0075]: the correspondent's application now sends to the new care-of address.
        mh = call_of.get(sess.call_id)
        if mh is not None and sess.remote_media is not None:
            media[mh].to_mh.SetDestination(_ip(sess.remote_media.address), sess.remote_media.port)
            if watch:
                ctx.location_log.append((ctx.bridge.now(), ch, sess.remote_uri,
                                         sess.remote_media.address))

    if ch_ua is not None:
        ch_ua.on_established = ch_established
        ch_ua.on_media = ch_media

        def place_calls(hosts):
            for mh in hosts:
                sess = ch_ua.call(mh.sip_url)
                call_of[sess.call_id] = mh.name

        start = place_calls
    else:
        def start_media(hosts):
            # No signalling: the flows start now, to the permanent address (MIP-LR, Mobile IP)
            # or to the care-of address the host has now (no macro-mobility).
            for mh in hosts:
                dst = int(mh.permanent_address) if mech in ("miplr", "mip") else ctx.care_of[mh.name].current
                if not dst:
                    ctx.log.record(ctx.bridge.now_ns(), ch, "correspondent", "rtp_no_address", mh.name)
                    continue
                m = media[mh.name]
                m.to_mh.SetDestination(dst, RTP_PORT_MH)
                m.to_mh.Start(plans[mh.name].end_s)
                m.to_ch.SetDestination(_ip(addr[ch]), RTP_PORT_CH)
                m.to_ch.Start(plans[mh.name].end_s)

        start = start_media
    # One event per distinct start time, hosts in their order (one event when all start at once).
    by_time: dict[float, list] = {}
    for mh in topo.mobile_hosts:
        by_time.setdefault(plans[mh.name].start_s, []).append(mh)
    label = "SIP calls" if ch_ua is not None else "RTP flows"
    for at in sorted(by_time) if ch_calls else ():
        ctx.bridge.call_at(at, start, by_time[at], name=label)

    if mech == "sip" and ch is not None:
        _forgers(ctx, counts, server_addrs, servers, ch, addr, call_of)
    mobile_sessions = _mobile_calls(ctx, mobile_calls, ctx.rtp.mobile, mh_uas, url, run_end)

    def collect():
        # The agents' transition tables: pairs absent from them, and stale responses.
        ctx.extra_summary["sip"] = table_counts(
            (h, c) for (h, k), c in ctx.location_cores.items() if k == "sip")
        if mobile_calls:
            ctx.extra_summary["sip"]["mobile_calls"] = [
                {"caller": k.caller, "callee": k.callee,
                 "established": sess.get("s") is not None and sess["s"].remote_media is not None,
                 "state": sess["s"].state if sess.get("s") is not None else "not placed",
                 "reinvites_ok": {h: sum(1 for _, cid in mh_uas[h].reinvites_done
                                         if sess.get("s") is not None and cid == sess["s"].call_id)
                                  for h in (k.caller, k.callee)}}
                for k, sess in zip(mobile_calls, mobile_sessions)]
            ctx.extra_summary["sip"]["glare"] = {h: dict(ua.glare) for h, ua in mh_uas.items()
                                                 if any(ua.glare.values())}
        ctx.signalling_rows.extend(counts.rows())

    return collect


def _mobile_calls(ctx: RunContext, calls, media, uas: dict[str, UserAgent], url: dict[str, str],
                  run_end: float) -> list[dict]:
    """[[sip.calls]] (``media``: their RTP, the rtp step's): each callee answers its caller on
    the call's port, both re-INVITE each other through the SIP server when a direct re-INVITE
    goes unanswered (both may have moved), and the caller calls at at_s and hangs up after
    holding_s. One dict per call, holding its session (``"s"``) once placed."""
    placed: list[dict] = []
    for k, cm in zip(calls, media):
        caller, callee = uas[k.caller], uas[k.callee]
        callee.media_ports[url[k.caller]] = cm.port
        caller.mobile_peers.add(url[k.callee])
        callee.mobile_peers.add(url[k.caller])
        slot: dict = {}
        placed.append(slot)

        def place(k=k, caller=caller, slot=slot, port=cm.port):
            if caller.host == "0.0.0.0":  # no address yet: no call
                ctx.log.record(ctx.bridge.now_ns(), k.caller, "mobile_host", "sip_no_address",
                               f"call to {k.callee}")
                return
            slot["s"] = caller.call(url[k.callee], media_port=port)

        def hang_up(caller=caller, slot=slot):
            sess = slot.get("s")
            if sess is not None and sess.state == "established" and caller.sessions.get(sess.call_id) is sess:
                caller.hangup(sess)

        ctx.bridge.call_at(k.at_s, place, name=f"SIP call {k.caller} -> {k.callee}")
        if k.holding_s and k.at_s + k.holding_s < run_end:
            ctx.bridge.call_at(k.at_s + k.holding_s, hang_up, name=f"SIP hang-up {k.caller}")
    return placed


def _contact_host(contact: str) -> str:
    """The host of a Contact URI ('sip:mh1@10.2.0.3:5060' -> '10.2.0.3'); a URI the parser
    refuses (a forger's) is logged as it is."""
    try:
        return uri_host_port(contact)[0]
    except SipParseError:
        return contact


def _to_agent(uas: list[UserAgent], data: bytes, src) -> None:
    """An attacker node's SIP datagram to the one of its agents it belongs to: by Call-ID (a
    dialog or a registration of that agent), else by the address of record its To header
    names, else the first agent (which answers what it cannot use, as any agent does)."""
    try:
        msg = parse_message(data)
    except SipParseError:
        msg = None
    if msg is not None and len(uas) > 1:
        cid = msg.call_id
        for ua in uas:
            if cid is not None and (cid in ua.sessions or cid == ua._reg_call_id):
                ua.receive(data, src)
                return
        to = msg.header("To")
        try:
            to_aor = aor(name_addr(to)[1]) if to else None
        except SipParseError:
            to_aor = None
        for ua in uas if to_aor else ():
            if to_aor == aor(ua.aor):
                ua.receive(data, src)
                return
    uas[0].receive(data, src)


def _forgers(ctx: RunContext, counts: Signalling, server_addrs, servers, ch: str, addr,
             call_of: dict[str, str]) -> None:
    """The SIP kinds of [[attacks]]: the attacker runs a user agent that claims the victim's
    address of record, with what an eavesdropper knows (the victim's REGISTER Call-ID and
    CSeq, its dialog's Call-ID, tags and CSeq) and no password."""
    agents: dict[tuple[str, str], UserAgent] = {}
    agents_env: dict[str, _SipEnv] = {}

    def agent(a, me: str) -> UserAgent:
        key = (a.attacker, a.victim)
        if key not in agents:
            victim = ctx.location_cores[(a.victim, "sip")]
            if a.attacker not in agents_env:
                # One SIP socket per attacker node, shared by its agents (one per victim).
                env = agents_env[a.attacker] = _SipEnv(ctx, a.attacker, "attacker", counts)
                env.attach(lambda data, src, att=a.attacker: _to_agent(
                    [ua for (x, _), ua in agents.items() if x == att], data, src))
            ua = UserAgent(agents_env[a.attacker], aor_uri=victim.aor, host=me,
                           servers=server_addrs, media_port=RTP_PORT_MH)
            agents[key] = ua  # answers INVITEs for the victim: the call's RTP comes here
        return agents[key]

    def sip_register(a, me: str) -> list:
        ua, victim = agent(a, me), ctx.location_cores[(a.victim, "sip")]
        # The victim's Call-ID with the largest CSeq: the lock-out of its next REGISTER.
        ua._reg_call_id, ua._reg_cseq = victim._reg_call_id, 2**31 - 2
        ua.register()
        return [(h, _ip(addr[h]), "SIP REGISTER") for h in servers]

    def sip_reinvite(a, me: str) -> list:
        ua, victim = agent(a, me), ctx.location_cores[(a.victim, "sip")]
        out = []
        for sess in list(victim.sessions.values()):
            if sess.state != "established" or call_of.get(sess.call_id) != a.victim:
                continue
            forged = Session(call_id=sess.call_id, local_tag=sess.local_tag,
                             remote_uri=sess.remote_uri, remote_target=sess.remote_target,
                             remote_tag=sess.remote_tag, local_cseq=sess.local_cseq,
                             state="established", local_media=ua._media())
            ua.sessions[forged.call_id] = forged
            ua._reinvite(forged)
            out.append((ch, _ip(addr[ch]), "SIP INVITE"))
        return out

    ctx.forgers["sip_register"] = sip_register
    ctx.forgers["sip_reinvite"] = sip_reinvite
