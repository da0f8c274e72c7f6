"""SIP against a forger, in memory: digest authentication at the registrar (RFC 3261 22, RFC
7616 SHA-256), re-INVITEs checked against their dialog, a move confirmed with the registrar,
recovery from a REGISTER lock-out. No ns-3."""

from __future__ import annotations

from imm_ns3.sip import Registrar, parse_message
from imm_ns3.sip import digest
from imm_ns3.sip.agent import Session, UserAgent

from fakes import FakeLoop, FakeSipEnv, FakeSipNet
from test_sip_agents import SIP1

MH, EVE = ("10.1.0.4", 5060), ("10.20.0.3", 5060)
AOR = "sip:mh1@imm.example"


def _world(users=None, confirm=False):
    loop = FakeLoop()
    net = FakeSipNet(loop)
    reg = Registrar(users=users, nonce_secret=b"k" * 16)
    net.endpoints[SIP1] = lambda data, src: [net.send(SIP1, src, out)
                                              for out in reg.receive(data, src, loop.now())]
    envs = {MH: FakeSipEnv(loop, net, MH, 1),
            ("10.10.0.2", 5060): FakeSipEnv(loop, net, ("10.10.0.2", 5060), 2),
            EVE: FakeSipEnv(loop, net, EVE, 3)}
    creds = ("mh1", users[AOR]) if users else None
    mh = UserAgent(envs[MH], aor_uri=AOR, host=MH[0], servers=[SIP1], media_port=40002, credentials=creds)
    ch = UserAgent(envs[("10.10.0.2", 5060)], aor_uri="sip:ch@imm.example", host="10.10.0.2",
                   servers=[SIP1], media_port=40000, confirm_moves=confirm)
    eve = UserAgent(envs[EVE], aor_uri=AOR, host=EVE[0], servers=[SIP1], media_port=40002)
    for addr, ua in ((MH, mh), (("10.10.0.2", 5060), ch), (EVE, eve)):
        net.endpoints[addr] = ua.receive
    return loop, net, reg, mh, ch, eve, envs


def test_digest_response_is_rfc_7616_sha_256():
    # RFC 7616 section 3.9.1's example, SHA-256 with qop=auth.
    r = digest.response("Mufasa", "http-auth@example.org", "Circle of Life", "GET", "/dir/index.html",
                        "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
    assert r == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"


def test_registrar_with_users_takes_only_the_user_s_own_credentials():
    loop, net, reg, mh, ch, eve, envs = _world(users={AOR: "secret"})
    mh.register()
    loop.run(1.0)
    assert reg.lookup(AOR, 1.0) == "sip:mh1@10.1.0.4:5060"
    assert [e for _, e, _ in envs[MH].logs] == ["sip_challenged", "sip_registered"]
    # The next REGISTER reuses the challenge: no extra round trip.
    n = len(net.sent)
    mh.register()
    loop.run(2.0)
    assert len(net.sent) - n == 2 and reg.lookup(AOR, 2.0) == "sip:mh1@10.1.0.4:5060"
    # The forger, with the victim's Call-ID and a huge CSeq, without the password: 401.
    eve._reg_call_id, eve._reg_cseq = mh._reg_call_id, 2**31 - 2
    eve.register()
    loop.run(3.0)
    assert reg.lookup(AOR, 3.0) == "sip:mh1@10.1.0.4:5060"
    # ... and with the wrong password, or the right one of another user.
    for creds in (("mh1", "guess"), ("mh2", "secret")):
        eve.credentials = creds
        eve._challenges.clear()
        eve._reg_call_id, eve._reg_cseq = "reg-eve", 0
        eve.register()
        loop.run(loop.now() + 1.0)
        assert reg.lookup(AOR, loop.now()) == "sip:mh1@10.1.0.4:5060", creds
    # A captured authenticated REGISTER replayed from elsewhere (same nonce, same nc): refused.
    mine = [d for _, src, dst, d in net.sent if src == MH and b"Authorization" in d][-1]
    forged = mine.replace(b"10.1.0.4:5060>", b"10.20.0.3:5060>").replace(b"branch=z9hG4bK", b"branch=z9hG4bKx")
    out = reg.receive(forged, EVE, loop.now())
    assert parse_message(out[0]).status == 401
    # (the forger tries each twice: a fresh challenge, then gives up)
    assert reg.faults == {"auth_missing": 4, "auth_bad_response": 2, "auth_refused": 2,
                          "auth_replay": 1}


def test_a_stale_nonce_costs_one_round_trip():
    loop, net, reg, mh, *_ = _world(users={AOR: "secret"})
    reg._nonces.ttl_s = 5.0
    mh.register()
    loop.run(1.0)
    mh.register()
    loop.run(10.0)  # the nonce is 9 s old: stale -> a new challenge -> registered again
    mh.register()
    loop.run(11.0)
    assert reg.faults.get("auth_stale_nonce") == 1
    assert reg.bindings[AOR].expires_at > 10.0


def test_without_auth_a_forged_register_wins_but_does_not_lock_the_host_out():
    loop, net, reg, mh, ch, eve, envs = _world()
    mh.register()
    loop.run(1.0)
    eve._reg_call_id, eve._reg_cseq = mh._reg_call_id, 2**31 - 2
    eve.register()
    loop.run(2.0)
    assert reg.lookup(AOR, 2.0) == "sip:mh1@10.20.0.3:5060"  # the specification's server
    mh.register()  # 500 Out of order -> a new Call-ID -> registered
    loop.run(3.0)
    assert reg.lookup(AOR, 3.0) == "sip:mh1@10.1.0.4:5060"
    assert "sip_register_new_call_id" in [e for _, e, _ in envs[MH].logs]


def _call(loop, mh, ch):
    mh.register()
    loop.run(1.0)
    media = []
    ch.on_media = lambda s: media.append(s.remote_media.address)
    s = ch.call(AOR)
    loop.run(2.0)
    assert s.state == "established"
    return s, media


def _forge_reinvite(eve, victim_session, *, tags=True, cseq_step=1):
    s = victim_session
    forged = Session(call_id=s.call_id, local_tag=s.local_tag if tags else "x",
                     remote_uri=s.remote_uri, remote_target=s.remote_target,
                     remote_tag=s.remote_tag if tags else "y", local_cseq=s.local_cseq + cseq_step - 1,
                     state="established", local_media=eve._media())
    eve.sessions[forged.call_id] = forged
    eve._reinvite(forged)


def test_reinvite_outside_the_dialog_is_refused():
    loop, net, reg, mh, ch, eve, envs = _world()
    s, media = _call(loop, mh, ch)
    _forge_reinvite(eve, mh.sessions[s.call_id], tags=False)  # only the Call-ID
    loop.run(3.0)
    _forge_reinvite(eve, mh.sessions[s.call_id], cseq_step=0)  # tags, but an old CSeq
    loop.run(4.0)
    assert media == [] and ch.sessions[s.call_id].remote_media.address == "10.1.0.4"
    assert ch.faults == {"reinvite_wrong_tags": 1, "reinvite_old_cseq": 1}


def test_an_eavesdropper_s_reinvite_moves_the_media_unless_moves_are_confirmed():
    for confirm, expected in ((False, ["10.20.0.3"]), (True, [])):
        loop, net, reg, mh, ch, eve, envs = _world(confirm=confirm)
        s, media = _call(loop, mh, ch)
        _forge_reinvite(eve, mh.sessions[s.call_id])  # tags and the next CSeq: accepted
        loop.run(4.0)
        assert media == expected, confirm
        if confirm:
            assert ch.faults == {"move_unconfirmed": 1}
            assert ch.sessions[s.call_id].remote_media.address == "10.1.0.4"
            # The host's own move is confirmed and applied.
            net.endpoints[("10.2.0.3", 5060)] = net.endpoints.pop(MH)
            envs[MH].addr = ("10.2.0.3", 5060)
            # The forger used the host's next CSeq, but nothing of the dialog changed.
            mh.move_to("10.2.0.3")
            loop.run(6.0)
            assert media == ["10.2.0.3"]


def test_cli_sip_registrar_with_users_challenges_on_real_udp(tmp_path):
    import socket
    import subprocess
    import sys

    from test_sip import ROOT, _reg

    users = tmp_path / "users.toml"
    users.write_text('[users]\n"sip:mh1@imm.example" = "secret"\n')
    p = subprocess.Popen([sys.executable, "-m", "imm_ns3", "sip-registrar", "--port", "0",
                          "--max-seconds", "20", "-q", "--users", str(users)],
                         stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        port = int(p.stdout.readline().split(":")[-1].split()[0])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(_reg(), ("127.0.0.1", port))
            resp = parse_message(s.recvfrom(4096)[0])
            assert resp.status == 401
            ch = digest.parse_params(resp.header("WWW-Authenticate"))
            auth = digest.authorization("mh1", ch["realm"], "secret", "REGISTER", "sip:imm.example",
                                        ch["nonce"], 1, "c1")
            req = _reg(cseq=2).replace(b"Content-Length", f"Authorization: {auth}\r\nContent-Length".encode())
            s.sendto(req, ("127.0.0.1", port))
            assert parse_message(s.recvfrom(4096)[0]).status == 200
    finally:
        p.kill()
        p.wait()
    bad = tmp_path / "bad.toml"
    bad.write_text("[users]\nmh1 = 3\n")
    r = subprocess.run([sys.executable, "-m", "imm_ns3", "sip-registrar", "--users", str(bad)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and r.stderr.startswith("error: --users: users.mh1:")
    assert len(r.stderr.strip().splitlines()) == 1


def test_an_attacker_node_hands_each_datagram_to_the_agent_it_belongs_to():
    """Two SIP attacks by one attacker on two victims share the node's SIP socket: answers go
    to the agent whose dialog or registration they are, requests to the agent whose address of
    record they name."""
    from types import SimpleNamespace

    from imm_ns3.adapter.sip import _to_agent

    got = []
    uas = [SimpleNamespace(aor=f"sip:mh{i}@imm.example", sessions={f"call-{i}": None},
                           _reg_call_id=f"reg-{i}", receive=lambda d, s, i=i: got.append(i))
           for i in (1, 2)]

    def msg(start, call_id):
        return (f"{start}\r\nVia: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKx\r\n"
                f"From: <sip:ch@imm.example>;tag=a\r\nTo: <sip:mh2@imm.example>\r\n"
                f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()

    _to_agent(uas, msg("SIP/2.0 200 OK", "call-2"), ("10.10.0.2", 5060))
    _to_agent(uas, msg("SIP/2.0 200 OK", "reg-1"), ("10.10.0.4", 5060))
    _to_agent(uas, msg("INVITE sip:mh2@10.20.0.9 SIP/2.0", "new-call"), ("10.10.0.2", 5060))
    _to_agent(uas, b"garbage", ("10.10.0.2", 5060))  # the first agent answers 400
    assert got == [2, 1, 2, 1]
