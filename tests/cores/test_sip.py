"""SIP codec (RFC 3261 section 7.3 tolerance), SDP, registrar/redirect core, asyncio server."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imm_ns3.sip import (
    AudioSession,
    Headers,
    Registrar,
    SipParseError,
    SipRequest,
    SipResponse,
    aor,
    name_addr,
    params,
    parse_message,
    parse_sdp,
)

from conftest import ROOT

REGISTER = (
    "REGISTER sip:imm.example SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.1.0.4:5060;branch=z9hG4bKnashds7\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:mh1@imm.example>\r\n"
    "From: <sip:mh1@imm.example>;tag=456248\r\n"
    "Call-ID: 843817637684230@998sdasdh09\r\n"
    "CSeq: 1826 REGISTER\r\n"
    "Contact: <sip:mh1@10.1.0.4:5060>\r\n"
    "Expires: 600\r\n"
    "Content-Length: 0\r\n\r\n").encode()


def test_parse_register():
    m = parse_message(REGISTER)
    assert isinstance(m, SipRequest) and m.method == "REGISTER" and m.uri == "sip:imm.example"
    assert m.cseq == (1826, "REGISTER") and m.call_id == "843817637684230@998sdasdh09"
    assert params(m.header("Via"))[1] == {"branch": "z9hG4bKnashds7"}
    assert name_addr(m.header("From")) == ("", "sip:mh1@imm.example", {"tag": "456248"})


def test_tolerance_of_section_7_3():
    text = (
        "INVITE sip:mh1@imm.example SIP/2.0\r\n"
        "v: SIP/2.0/UDP 10.10.0.2:5060;branch=z9hG4bK1 , SIP/2.0/UDP 10.10.0.9;branch=z9hG4bK2\r\n"
        "mAX-fORWARDS: 0070\r\n"
        "t: \"Mobile One\" <sip:mh1@imm.example>\r\n"
        "f: <sip:ch@imm.example>;TAG=aa;unknownparam\r\n"
        "i: abc\r\n"
        "cseq: 007 INVITE\r\n"
        "Subject: a header that is\r\n folded over\r\n\ttwo lines\r\n"
        "X-Unknown-Header: kept, as is\r\n"
        "c: application/sdp\r\n"
        "l: 003\r\n\r\nabcTRAILING").encode()
    m = parse_message(text)
    assert m.method == "INVITE" and m.cseq == (7, "INVITE")
    assert len(m.headers.get_all("Via")) == 2  # comma-separated values split
    assert m.header("max-forwards") == "0070"
    assert m.header("Subject") == "a header that is folded over two lines"
    assert m.header("x-unknown-header") == "kept, as is"  # unknown header: not split
    assert name_addr(m.header("To"))[0] == "Mobile One"
    assert name_addr(m.header("From"))[2] == {"tag": "aa", "unknownparam": ""}
    assert m.body == b"abc"  # Content-Length with leading zeros bounds the body
    again = parse_message(m.encode())
    assert again.headers == m.headers.replace("Content-Length", "3") and again.body == b"abc"


def test_response_and_encoding_is_canonical():
    r = parse_message(b"SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP h;branch=z9hG4bKx\r\nf: <sip:a@b>;tag=1\r\n"
                      b"t: <sip:c@d>;tag=2\r\ni: x\r\ncseq: 1 INVITE\r\n\r\n")
    assert isinstance(r, SipResponse) and (r.status, r.reason) == (180, "Ringing")
    out = r.encode().decode()
    assert out.startswith("SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom:")
    assert out.endswith("Content-Length: 0\r\n\r\n") and "\n" not in out.replace("\r\n", "")


@pytest.mark.parametrize("data,why", [
    (b"", "no empty line"),
    (b"REGISTER sip:x SIP/2.0\r\nVia: a\r\n", "no empty line"),
    (REGISTER.replace(b"CSeq: 1826 REGISTER", b"CSeq: x REGISTER"), "bad CSeq"),
    (REGISTER.replace(b"CSeq: 1826 REGISTER", b"CSeq: 1826 INVITE"), "does not match"),
    (REGISTER.replace(b"Call-ID: 843817637684230@998sdasdh09\r\n", b""), "missing or empty Call-ID"),
    (REGISTER.replace(b"Content-Length: 0", b"Content-Length: 10"), "Content-Length 10"),
    (REGISTER.replace(b"SIP/2.0\r\nVia", b"SIP/3.0\r\nVia"), "bad start line"),
    (REGISTER.replace(b"Max-Forwards: 70", b"Max-Forwards: 700"), "bad Max-Forwards"),
    (b"SIP/2.0 99 Odd\r\nVia: a\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 X\r\n\r\n", "bad start line"),
    (b"\xff\xfe\r\n\r\n", "malformed"),
    (REGISTER.replace(b"Expires: 600", b"Bad Header Name: 1"), "bad header name"),
])
def test_malformed_inputs_raise_sip_parse_error(data, why):
    with pytest.raises(SipParseError, match=why):
        parse_message(data)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_sip_parse_error(data):
    try:
        parse_message(data)
    except SipParseError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.integers(0, len(REGISTER) - 1), st.integers(0, 255), st.integers(0, len(REGISTER)))
def test_mutated_messages_raise_only_sip_parse_error(pos, byte, cut):
    data = bytearray(REGISTER)
    data[pos] = byte
    try:
        parse_message(bytes(data[:cut]) + bytes(data[cut:]))
        parse_message(bytes(data[:cut]))
    except SipParseError:
        pass


TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(TOKEN, TOKEN, st.integers(0, 2**31 - 1), st.binary(max_size=64),
       st.lists(st.tuples(st.sampled_from(["X-A", "Subject", "User-Agent"]), TOKEN), max_size=3))
def test_round_trip(user, tag, cseq, body, extra):
    items = [("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK" + tag), ("Max-Forwards", "70"),
             ("From", f"<sip:{user}@imm.example>;tag={tag}"), ("To", f"<sip:{user}@imm.example>"),
             ("Call-ID", f"{tag}@x"), ("CSeq", f"{cseq} MESSAGE"), *extra]
    req = SipRequest(headers=Headers(tuple(items)), body=body, method="MESSAGE",
                     uri=f"sip:{user}@imm.example")
    back = parse_message(req.encode())
    assert back.method == "MESSAGE" and back.body == body and back.cseq == (cseq, "MESSAGE")
    assert [h for h in back.headers if h[0] != "Content-Length"] == items
    assert back.encode() == req.encode()


def test_sdp_round_trip_and_errors():
    s = AudioSession("10.2.0.3", 40000, (0, 8), session_id=5, version=2)
    back = parse_sdp(s.encode())
    assert back == s
    assert b"c=IN IP4 10.2.0.3\r\n" in s.encode() and b"m=audio 40000 RTP/AVP 0 8\r\n" in s.encode()
    with pytest.raises(SipParseError):
        parse_sdp(b"v=0\r\ns=-\r\n")
    with pytest.raises(SipParseError):
        parse_sdp(b"c=IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n")


def test_aor():
    assert aor("sip:MH1@IMM.example:5070;transport=udp") == "sip:MH1@imm.example"
    assert aor("sip:imm.example") == "sip:imm.example"


# ---- registrar / redirect server ------------------------------------------------------------

def _reg(contact="<sip:mh1@10.1.0.4:5060>", expires="600", cseq=1826, call_id="c1"):
    return (REGISTER.replace(b"<sip:mh1@10.1.0.4:5060>", contact.encode())
            .replace(b"Expires: 600", f"Expires: {expires}".encode())
            .replace(b"1826", str(cseq).encode())
            .replace(b"843817637684230@998sdasdh09", call_id.encode()))


INVITE = (b"INVITE sip:mh1@imm.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.10.0.2;branch=z9hG4bKi\r\n"
          b"Max-Forwards: 70\r\nFrom: <sip:ch@imm.example>;tag=9\r\nTo: <sip:mh1@imm.example>\r\n"
          b"Call-ID: inv1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")


def test_register_then_redirect_then_expiry():
    r = Registrar()
    (ok,) = r.receive(_reg(), ("10.1.0.4", 5060), now=0.0)
    ok = parse_message(ok)
    assert ok.status == 200 and ok.header("Contact") == "<sip:mh1@10.1.0.4:5060>;expires=600"
    assert "tag=" in ok.header("To") and ok.header("Via") == "SIP/2.0/UDP 10.1.0.4:5060;branch=z9hG4bKnashds7"
    (moved,) = r.receive(INVITE, ("10.10.0.2", 5060), now=10.0)
    moved = parse_message(moved)
    assert moved.status == 302 and moved.header("Contact") == "<sip:mh1@10.1.0.4:5060>"
    # A new care-of address replaces the contact ([0073]).
    r.receive(_reg("<sip:mh1@10.2.0.3:5060>", cseq=1827), ("10.2.0.3", 5060), now=20.0)
    assert r.lookup("sip:mh1@imm.example", 21.0) == "sip:mh1@10.2.0.3:5060"
    assert r.lookup("sip:mh1@imm.example", 620.0) is None  # expired 600 s after the refresh
    (gone,) = r.receive(INVITE, ("10.10.0.2", 5060), now=700.0)
    assert parse_message(gone).status == 404


def test_register_edge_cases():
    r = Registrar()
    r.receive(_reg(cseq=5), ("x", 1), 0.0)
    (stale,) = r.receive(_reg("<sip:mh1@10.9.9.9>", cseq=4), ("x", 1), 1.0)
    assert parse_message(stale).status == 500  # out-of-order REGISTER in the same Call-ID
    assert r.lookup("sip:mh1@imm.example", 1.0) == "sip:mh1@10.1.0.4:5060"
    (q,) = r.receive(_reg().replace(b"Contact: <sip:mh1@10.1.0.4:5060>\r\n", b""), ("x", 1), 2.0)
    assert parse_message(q).header("Contact").startswith("<sip:mh1@10.1.0.4:5060>")
    r.receive(_reg("*", expires="0", cseq=9), ("x", 1), 3.0)
    assert r.lookup("sip:mh1@imm.example", 3.0) is None
    (bad,) = r.receive(_reg(expires="soon", cseq=10), ("x", 1), 4.0)
    assert parse_message(bad).status == 400


def test_bad_requests_get_400_or_are_dropped_and_unknown_methods_501():
    r = Registrar()
    broken = REGISTER.replace(b"CSeq: 1826 REGISTER", b"CSeq: 1826 INVITE")
    (ans,) = r.receive(broken, ("x", 1), 0.0)
    ans = parse_message(ans)
    assert ans.status == 400 and ans.header("Call-ID") == "843817637684230@998sdasdh09"
    assert r.receive(b"\x00\x01garbage", ("x", 1), 0.0) == []
    assert r.receive(b"SIP/2.0 200 OK\r\n\r\n", ("x", 1), 0.0) == []
    assert r.faults == {"malformed": 3}
    foo = INVITE.replace(b"INVITE", b"FOO")
    (nimp,) = r.receive(foo, ("x", 1), 0.0)
    assert parse_message(nimp).status == 501 and r.faults["unknown_method"] == 1


def test_server_on_loopback():
    from imm_ns3.sip.server import serve

    async def scenario():
        port_box: list[int] = []
        task = asyncio.create_task(serve("127.0.0.1", 0, max_seconds=10, ready=port_box.append))
        while not port_box:
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        got: asyncio.Queue = asyncio.Queue()

        class Client(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                got.put_nowait(data)

        transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=("127.0.0.1", port_box[0]))
        transport.sendto(_reg())
        ok = parse_message(await asyncio.wait_for(got.get(), 5))
        transport.sendto(INVITE)
        moved = parse_message(await asyncio.wait_for(got.get(), 5))
        transport.close()
        task.cancel()
        return ok, moved

    ok, moved = asyncio.run(scenario())
    assert ok.status == 200 and moved.status == 302
    assert moved.header("Contact") == "<sip:mh1@10.1.0.4:5060>"


def test_cli_sip_registrar_answers_a_register():
    p = subprocess.Popen([sys.executable, "-m", "imm_ns3", "sip-registrar", "--port", "0",
                          "--max-seconds", "20", "-q"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = p.stdout.readline()
        assert line.startswith("sip-registrar listening on udp 127.0.0.1:")
        port = int(line.split(":")[-1].split()[0])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(_reg(), ("127.0.0.1", port))
            data, _ = s.recvfrom(4096)
        assert parse_message(data).status == 200
    finally:
        p.kill()
        p.wait()


def test_a_retransmitted_register_gets_its_answer_again_not_500():
    # RFC 3261 17.2.3: the retransmission of a REGISTER whose 200 was lost (or is still on its
    # way, e.g. to a care-of address the domain cannot route to yet) belongs to the same server
    # transaction. Processed anew, its unchanged CSeq made the registrar answer 500.
    r = Registrar()
    (first,) = r.receive(_reg(cseq=7), ("10.1.0.4", 5060), 0.0)
    (again,) = r.receive(_reg(cseq=7), ("10.1.0.4", 5060), 0.5)
    assert again == first and parse_message(again).status == 200 and r.retransmissions == 1
    assert r.lookup("sip:mh1@imm.example", 1.0) == "sip:mh1@10.1.0.4:5060"
    # Past Timer J (32 s) it is a new request again, and out of order.
    (late,) = r.receive(_reg(cseq=7), ("10.1.0.4", 5060), 40.0)
    assert parse_message(late).status == 500 and r.retransmissions == 1
