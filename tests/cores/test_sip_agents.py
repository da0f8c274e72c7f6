"""SIP user agents and RTP in memory: registration, redirect, INVITE/ACK, re-INVITE after a
move, retransmission timers, BYE; RTP codec and RFC 3550 receiver statistics. No ns-3."""

from __future__ import annotations

import pytest

from imm_ns3.sip import Registrar, parse_message
from imm_ns3.sip.agent import T1, T2, UserAgent
from imm_ns3.sip.rtp import RtpError, RtpPacket, RtpReceiver

from fakes import FakeLoop, FakeSipEnv, FakeSipNet

SIP1 = ("10.10.0.4", 5060)
SIP2 = ("10.10.0.5", 5060)


# The former names of the shared fakes, for tests that import them from here.
Net, AgentEnv = FakeSipNet, FakeSipEnv


def _world(servers=(SIP1,)):
    loop = FakeLoop()
    net = FakeSipNet(loop)
    regs = {}
    for s in servers:
        reg = Registrar()
        regs[s] = reg
        net.endpoints[s] = (lambda data, src, reg=reg, s=s: [net.send(s, src, out) for out in reg.receive(data, src, loop.now())])
    mh_env = FakeSipEnv(loop, net, ("10.1.0.4", 5060), 1)
    ch_env = FakeSipEnv(loop, net, ("10.10.0.2", 5060), 2)
    mh = UserAgent(mh_env, aor_uri="sip:mh1@imm.example", host="10.1.0.4", servers=list(servers),
                   media_port=40002)
    ch = UserAgent(ch_env, aor_uri="sip:ch@imm.example", host="10.10.0.2", servers=list(servers),
                   media_port=40000)
    net.endpoints[("10.1.0.4", 5060)] = mh.receive
    net.endpoints[("10.10.0.2", 5060)] = ch.receive
    return loop, net, regs, mh, ch, mh_env, ch_env


def _methods(net, src=None, dst=None):
    out = []
    for t, s, d, data in net.sent:
        if (src is None or s == src) and (dst is None or d == dst):
            m = parse_message(data)
            out.append(getattr(m, "method", None) or m.status)
    return out


def test_register_call_and_reinvite_after_a_move():
    loop, net, regs, mh, ch, mh_env, ch_env = _world()
    mh.register()
    loop.run(1.0)
    assert regs[SIP1].lookup("sip:mh1@imm.example", 1.0) == "sip:mh1@10.1.0.4:5060"
    media = []
    ch.on_media = lambda s: media.append((s.remote_media.address, s.remote_media.port))
    s = ch.call("sip:mh1@imm.example")
    loop.run(2.0)
    assert s.state == "established" and s.remote_target == "sip:mh1@10.1.0.4:5060"
    assert s.remote_media.address == "10.1.0.4" and s.remote_media.port == 40002
    # [0074]: INVITE to the server, 302, ACK (by the transaction), INVITE to the host, 200, ACK
    assert _methods(net, src=("10.10.0.2", 5060)) == ["INVITE", "ACK", "INVITE", "ACK"]
    assert _methods(net, src=("10.1.0.4", 5060))[-3:] == [100, 180, 200]
    # [0075]: the host moves to a new care-of address: REGISTER, then re-INVITE the correspondent.
    net.endpoints[("10.2.0.3", 5060)] = net.endpoints.pop(("10.1.0.4", 5060))
    mh_env.addr = ("10.2.0.3", 5060)
    mh.move_to("10.2.0.3")
    loop.run(3.0)
    assert regs[SIP1].lookup("sip:mh1@imm.example", 3.0) == "sip:mh1@10.2.0.3:5060"
    assert media == [("10.2.0.3", 40002)]
    cs = ch.sessions[s.call_id]
    assert cs.remote_target == "sip:mh1@10.2.0.3:5060" and cs.reinvites == 1
    reinv = [parse_message(d) for _, src, _, d in net.sent if src == ("10.2.0.3", 5060)
             and d.startswith(b"INVITE")]
    assert len(reinv) == 1 and b"c=IN IP4 10.2.0.3" in reinv[0].body
    assert reinv[0].header("Contact") == "<sip:mh1@10.2.0.3:5060>"
    # BYE ends it on both sides, and each side knows how (the adapter stops the RTP sender of
    # the side that received the BYE, not on a failed re-INVITE).
    ms = mh.sessions[s.call_id]
    mh.hangup(ms)
    loop.run(4.0)
    assert s.call_id not in ch.sessions and s.state == "ended"
    assert (ms.ended_by, s.ended_by) == ("hangup", "bye")


def test_every_server_gets_the_registration():
    loop, net, regs, mh, *_ = _world(servers=(SIP1, SIP2))
    mh.register()
    loop.run(1.0)
    assert all(r.lookup("sip:mh1@imm.example", 1.0) == "sip:mh1@10.1.0.4:5060" for r in regs.values())
    assert set(mh.registered) == {SIP1, SIP2}


def test_lost_invite_is_retransmitted_by_timer_a():
    loop, net, regs, mh, ch, mh_env, ch_env = _world()
    mh.register()
    loop.run(1.0)
    dropped = []

    def drop(src, dst, data):
        if dst == ("10.1.0.4", 5060) and data.startswith(b"INVITE") and len(dropped) < 2:
            dropped.append(loop.now())
            return True
        return False

    net.drop = drop
    s = ch.call("sip:mh1@imm.example")
    loop.run(5.0)
    assert s.state == "established" and len(dropped) == 2
    assert abs(dropped[1] - dropped[0] - T1) < 1e-9  # first retransmission after T1
    invites = [t for t, src, dst, d in net.sent if dst == ("10.1.0.4", 5060) and d.startswith(b"INVITE")]
    assert abs(invites[2] - invites[1] - 2 * T1) < 1e-9  # then 2*T1


def test_register_to_a_dead_server_times_out_with_timers_e_and_f():
    loop, net, regs, mh, ch, mh_env, ch_env = _world(servers=(("10.10.0.99", 5060),))
    net.endpoints.pop(("10.10.0.99", 5060))  # the server is down
    mh.register()
    loop.run(40.0)
    times = [t for t, src, dst, d in net.sent if dst == ("10.10.0.99", 5060)]
    gaps = [round(b - a, 6) for a, b in zip(times, times[1:])]
    assert gaps[:4] == [T1, 2 * T1, 4 * T1, T2] and all(g == T2 for g in gaps[4:])
    (t_out,) = [t for t, e, _ in mh_env.logs if e == "sip_register_timeout"]
    assert t_out == pytest.approx(64 * T1)


def test_2xx_is_retransmitted_until_the_ack():
    loop, net, regs, mh, ch, mh_env, ch_env = _world()
    mh.register()
    loop.run(1.0)
    acks = []
    net.drop = lambda src, dst, data: data.startswith(b"ACK") and dst[0] == "10.1.0.4" and len(acks) < 1 \
        and not acks.append(1)
    s = ch.call("sip:mh1@imm.example")
    loop.run(4.0)
    oks = [t for t, src, dst, d in net.sent if src == ("10.1.0.4", 5060) and d.startswith(b"SIP/2.0 200")]
    assert len(oks) == 2 and abs(oks[1] - oks[0] - T1) < 1e-9
    assert s.state == "established"


def test_agent_answers_garbage_and_unknown_methods():
    loop, net, regs, mh, ch, mh_env, ch_env = _world()
    mh.receive(b"INFO sip:mh1@10.1.0.4 SIP/2.0\r\nVia: SIP/2.0/UDP 10.10.0.2:5060;branch=z9hG4bK1\r\n"
               b"From: <sip:ch@imm.example>;tag=1\r\nTo: <sip:mh1@imm.example>\r\nCall-ID: q\r\n"
               b"CSeq: 1 INFO\r\n\r\n", ("10.10.0.2", 5060))
    mh.receive(b"\x00junk", ("10.10.0.2", 5060))
    loop.run(1.0)
    assert [parse_message(d).status for *_, d in net.sent] == [501]
    assert mh.faults == {"unknown_method": 1, "malformed": 1}


# ---- RTP --------------------------------------------------------------------------------------

def test_rtp_round_trip_and_errors():
    p = RtpPacket(seq=65535, timestamp=160, ssrc=0xDEADBEEF, payload_type=0, marker=1, payload=b"x" * 160)
    data = p.encode()
    assert data[:2] == bytes([0x80, 0x80]) and len(data) == 12 + 160
    assert RtpPacket.decode(data) == p
    with pytest.raises(RtpError):
        RtpPacket.decode(b"\x80\x00")
    with pytest.raises(RtpError):
        RtpPacket.decode(b"\x40" + bytes(11))


def test_rtp_receiver_loss_wrap_and_jitter():
    r = RtpReceiver()
    t, ts = 0.0, 0
    seq = 65530
    for i in range(20):
        if i not in (5, 6):  # two lost
            r.on_packet(RtpPacket(seq=seq & 0xFFFF, timestamp=ts, ssrc=1), t + (0.004 if i % 2 else 0.0))
        seq, t, ts = seq + 1, t + 0.02, ts + 160
    r.on_packet(RtpPacket(seq=(seq - 3) & 0xFFFF, timestamp=ts - 480, ssrc=1), t)  # duplicate
    assert r.expected == 20 and r.received == 18 and r.lost == 2 and r.duplicates == 1
    # Alternating 0/4 ms transit: |D| = 4 ms each time -> J converges towards 4 ms.
    assert 0.002 < r.jitter_s < 0.004
    assert r.longest_gap(0.0, 1.0) == pytest.approx(0.06, abs=0.005)


@pytest.mark.xfail(strict=True, reason=(
    "known: a retransmitted 2xx reaching the lingering INVITE transaction is taken as a second "
    "re-INVITE done (an extra reinvites_done entry and sip_reinvite_ok event; reinvite_s, the "
    "first one after the move, is unaffected). The fix changes stored lossy runs' event logs "
    "(e1-radio seed 48), so it lands with reruns of the SIP sweeps under loss"))
def test_a_retransmitted_2xx_to_a_reinvite_is_acked_again_not_counted_again():
    """The callee retransmits its 2xx until the ACK arrives (RFC 3261 13.3.1.4). A retransmission
    that reaches the caller while its INVITE transaction still lingers (timer K) is a
    retransmission: ACKed again (13.2.2.4), not a second re-INVITE done."""
    loop, net, regs, mh, ch, mh_env, ch_env = _world()
    mh.register()
    loop.run(1.0)
    s = ch.call("sip:mh1@imm.example")
    loop.run(2.0)
    assert s.state == "established"
    acks_lost = []

    def drop(src, dst, data):  # the mobile host's first ACK to the re-INVITE's 2xx is lost
        if src == ("10.2.0.3", 5060) and data.startswith(b"ACK") and not acks_lost:
            acks_lost.append(loop.now())
            return True
        return False

    net.drop = drop
    net.endpoints[("10.2.0.3", 5060)] = net.endpoints.pop(("10.1.0.4", 5060))
    mh_env.addr = ("10.2.0.3", 5060)
    mh.move_to("10.2.0.3")
    loop.run(4.0)
    ms = mh.sessions[s.call_id]
    assert acks_lost and ms.state == "established"
    assert [c for _, c in mh.reinvites_done] == [s.call_id]  # one re-INVITE, done once
    assert mh_env.events().count("sip_reinvite_ok") == 1
    acks = [d for _, src, _, d in net.sent if src == ("10.2.0.3", 5060) and d.startswith(b"ACK")]
    assert len(acks) == 2  # the lost one and the one for the retransmitted 2xx
    assert ch.sessions[s.call_id].remote_target == "sip:mh1@10.2.0.3:5060"


# ---- a call between two mobile hosts (beyond the specification, docs/sip.md) ------------------

def _mobile_pair():
    loop = FakeLoop()
    net = FakeSipNet(loop)
    reg = Registrar()
    net.endpoints[SIP1] = lambda data, src: [net.send(SIP1, src, out)
                                             for out in reg.receive(data, src, loop.now())]
    hosts = {}
    for i, (name, ip) in enumerate((("mh1", "10.1.0.4"), ("mh2", "10.2.0.3"))):
        env = FakeSipEnv(loop, net, (ip, 5060), i + 1)
        ua = UserAgent(env, aor_uri=f"sip:{name}@imm.example", host=ip, servers=[SIP1],
                       media_port=40002)
        net.endpoints[(ip, 5060)] = ua.receive
        ua.register()
        hosts[name] = (ua, env)
    (a, a_env), (b, b_env) = hosts["mh1"], hosts["mh2"]
    a.mobile_peers, b.mobile_peers = {b.aor}, {a.aor}
    b.media_ports[a.aor] = 41000  # the callee answers this caller on the call's own port
    loop.run(1.0)
    s = a.call(b.aor, media_port=41000)
    loop.run(2.0)
    assert s.state == b.sessions[s.call_id].state == "established"
    assert (s.remote_media.port, b.sessions[s.call_id].remote_media.port) == (41000, 41000)
    return loop, net, reg, a, a_env, b, b_env, s


def _move(net, ua, env, new_ip):
    net.endpoints[(new_ip, 5060)] = net.endpoints.pop(env.addr)
    env.addr = (new_ip, 5060)
    ua.move_to(new_ip)


def test_one_mobile_host_moving_re_invites_the_other_directly():
    loop, net, reg, a, a_env, b, b_env, s = _mobile_pair()
    _move(net, a, a_env, "10.2.0.4")
    loop.run(3.0)
    bs = b.sessions[s.call_id]
    assert bs.remote_media.address == "10.2.0.4" and bs.remote_media.port == 41000
    assert a.glare == b.glare == {"sent_491": 0, "got_491": 0, "retried": 0, "via_server": 0}


def _waits_after_491(ua, net) -> list[float]:
    """For each 491 the agent received: how long until it sent its next INVITE."""
    got = [t for t, src, dst, d in net.sent if dst == ua.env.addr and d.startswith(b"SIP/2.0 491")]
    out = []
    for t in got:
        nxt = [t2 for t2, src, _, d in net.sent if src == ua.env.addr and d.startswith(b"INVITE")
               and t2 > t]
        out.append(nxt[0] - t)
    return out


def test_a_re_invite_that_meets_the_peer_s_own_is_refused_491_and_retried_rfc_3261_way():
    # Both move at 2 s. mh1's re-INVITE reaches mh2 while mh2's own is in progress: 491
    # (RFC 3261 14.2); mh1, the owner of the Call-ID, tries again after 2.1-4 s (14.1). mh2's
    # went to mh1's old contact and is lost: 2 s later it goes through the SIP server, whose
    # 302 names mh1's new contact.
    loop, net, reg, a, a_env, b, b_env, s = _mobile_pair()
    _move(net, a, a_env, "10.2.0.4")
    _move(net, b, b_env, "10.1.0.5")
    loop.run(12.0)
    b_s = b.sessions[s.call_id]
    assert s.remote_media.address == "10.1.0.5" and b_s.remote_media.address == "10.2.0.4"
    assert s.remote_target == "sip:mh2@10.1.0.5:5060" and b_s.remote_target == "sip:mh1@10.2.0.4:5060"
    assert s.state == b_s.state == "established"
    assert a.glare == {"sent_491": 0, "got_491": 1, "retried": 1, "via_server": 0}
    assert b.glare == {"sent_491": 1, "got_491": 0, "retried": 0, "via_server": 1}
    (wait,) = _waits_after_491(a, net)
    assert 2.1 - 1e-9 <= wait <= 4.0 + 1e-9


def test_two_mobile_hosts_whose_re_invites_are_both_lost_meet_through_the_server():
    # Both re-INVITEs go to the other's old contact and are lost; 2 s later both go through the
    # server, and the two redirected re-INVITEs cross: 491 both ways; mh2 tries again within
    # 0-2 s, mh1 (the owner) within 2.1-4 s, so they do not meet again.
    loop, net, reg, a, a_env, b, b_env, s = _mobile_pair()
    old = {a_env.addr, b_env.addr}
    net.drop = lambda src, dst, data: dst in old
    _move(net, a, a_env, "10.2.0.4")
    _move(net, b, b_env, "10.1.0.5")
    loop.run(15.0)
    b_s = b.sessions[s.call_id]
    assert s.remote_media.address == "10.1.0.5" and b_s.remote_media.address == "10.2.0.4"
    assert s.state == b_s.state == "established"
    for ua in (a, b):
        assert ua.glare == {"sent_491": 1, "got_491": 1, "retried": 1, "via_server": 1}
    (wa,), (wb,) = _waits_after_491(a, net), _waits_after_491(b, net)
    assert 2.1 - 1e-9 <= wa <= 4.0 + 1e-9 and 0.0 <= wb <= 2.0 + 1e-9
