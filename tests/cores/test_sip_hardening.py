"""The SIP parser and registrar under hostile input: strict where RFC 3261's grammar is strict,
tolerant where section 7.3 says so, linear time, size limits, every failure a SipParseError or a
4xx, one log line per datagram."""

from __future__ import annotations

import asyncio
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imm_ns3.sip.agent import UserAgent
from imm_ns3.sip.message import MAX_MESSAGE_BYTES, SipParseError, parse_message
from imm_ns3.sip.registrar import Registrar

from fakes import FakeLoop, FakeSipEnv, FakeSipNet
from test_sip import REGISTER as REGISTER_BYTES

REGISTER = REGISTER_BYTES.decode()  # the REGISTER of RFC 3665 used across the SIP tests
RESPONSE = ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
            "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n")
SRC = ("10.1.0.4", 5060)


def _with(old: str, new: str, base: str = REGISTER) -> bytes:
    assert old in base
    return base.replace(old, new).encode()


@pytest.mark.parametrize("data,why", [
    (_with("200 OK", "4294967301 x", RESPONSE), "bad start line"),
    (_with("200 OK", "2000 OK", RESPONSE), "bad start line"),
    (_with("200 OK", "200OK", RESPONSE), "bad start line"),
    (_with("Call-ID: 843817637684230@998sdasdh09\r\n",
           "Call-ID: 843817637684230@998sdasdh09\r\nCall-ID: other\r\n"), "Call-ID header appears more"),
    (_with("CSeq: 1826 REGISTER\r\n", "CSeq: 1826 REGISTER\r\nCSeq: 1 REGISTER\r\n"), "CSeq header appears"),
    (_with("To: <sip:mh1@imm.example>\r\n", "To: <sip:mh1@imm.example>\r\nTo: <sip:x@y>\r\n"), "To header appears"),
    (_with("CSeq: 1826", "CSeq: \u00b9826"), "bad CSeq"),
    (_with("Content-Length: 0", "Content-Length: \u0660"), "bad Content-Length"),
    (_with("Max-Forwards: 70", "Max-Forwards: \u00b2"), "bad Max-Forwards"),
    (_with("Expires: 600", "Expires: \u00b3"), "bad Expires"),
    (_with("REGISTER sip:imm.example SIP", "REGISTER sip:imm\x00.example SIP"), "control character"),
    (_with("Call-ID: 843817637684230", "Call-ID: 84381\x007637684230"), "control character"),
    (_with("Call-ID: 843817637684230@998sdasdh09", "Call-ID: "), "missing or empty Call-ID"),
    (_with("From: <sip:mh1@imm.example>;tag=456248", "From: "), "missing or empty From"),
    (_with("To: <sip:mh1@imm.example>", "To:"), "missing or empty To"),
    # RFC 4475 3.1.2.6 "ltgtruri": a Request-URI in angle brackets.
    (_with("REGISTER sip:imm.example SIP", "REGISTER <sip:imm.example> SIP"), "bad Request-URI"),
    # RFC 4475 3.1.2.9 "quotbal": unbalanced quotes in a display name.
    (_with("To: <sip:mh1@imm.example>", 'To: "Mr. J. User <sip:mh1@imm.example>'), "unbalanced quotes"),
    (_with("From: <sip:mh1@imm.example>", "From: <sip:mh1@imm.example"), "'<' without '>'"),
    (("x" * (MAX_MESSAGE_BYTES + 1)).encode(), "at most 65535"),
])
def test_strict_where_the_grammar_is_strict(data, why):
    with pytest.raises(SipParseError, match=why):
        parse_message(data)


def test_tolerant_where_section_7_3_says_so():
    # LF-only line ends, and a body that itself holds CRLFCRLF.
    body = "v=0\r\n\r\nx"
    text = REGISTER.replace("\r\n", "\n").replace("Content-Length: 0", f"Content-Length: {len(body)}")
    m = parse_message((text + body).encode())
    assert m.body == body.encode()
    # Leading CRLFs, compact names, folded lines, leading zeros.
    folded = "\r\n\r\n" + REGISTER.replace("Call-ID: ", "i: ").replace("CSeq: 1826", "CSeq: 01826") \
        .replace("Contact: <sip:mh1@10.1.0.4:5060>", "Contact:\r\n  <sip:mh1@10.1.0.4:5060>")
    m = parse_message(folded.encode())
    assert m.cseq == (1826, "REGISTER") and m.header("Contact") == "<sip:mh1@10.1.0.4:5060>"
    assert parse_message(RESPONSE.replace("200 OK", "200 ").encode()).status == 200


def test_floods_within_a_datagram_parse_and_larger_ones_are_refused():
    # (How long these take is measured by benchmarks/bench_sip_parse.py, never here.)
    crlfs = b"\r\n" * 30000 + REGISTER.encode()
    folded = REGISTER.replace("Expires: 600\r\n", "Expires: 600\r\n" + " x\r\n" * 15000).encode()
    assert len(crlfs) <= MAX_MESSAGE_BYTES and parse_message(crlfs).method == "REGISTER"
    with pytest.raises(SipParseError, match="bad Expires"):
        parse_message(folded)  # the folded lines belong to Expires: '600 x x x ...'
    with pytest.raises(SipParseError, match="at most 65535"):
        parse_message(b"\r\n" * 5_000_000)


@pytest.mark.parametrize("contact,expires", [
    ("Contact: <sip:a@1.2.3.4>;expires=\u00b2", None),
    (None, "Expires: \u00b3"),
    (None, "Expires: " + "9" * 5000),
    ("Contact: <sip:a@1.2.3.4>;expires=" + "9" * 5000, None),
])
def test_registrar_answers_400_where_it_raised(contact, expires):
    text = REGISTER
    if contact:
        text = text.replace("Contact: <sip:mh1@10.1.0.4:5060>", contact)
    if expires:
        text = text.replace("Expires: 600", expires)
    reg = Registrar()
    (out,) = reg.receive(text.encode(), SRC, 0.0)
    assert out.startswith(b"SIP/2.0 400 ")
    assert "-> 400" in reg.last


def test_contact_star_needs_expires_zero_and_options_to_the_server():
    reg = Registrar()
    assert reg.receive(REGISTER.encode(), SRC, 0.0)[0].startswith(b"SIP/2.0 200")
    star = REGISTER.replace("Contact: <sip:mh1@10.1.0.4:5060>", "Contact: *")
    assert reg.receive(star.encode(), SRC, 1.0)[0].startswith(b"SIP/2.0 400")
    assert reg.bindings  # still bound
    zero = star.replace("Expires: 600", "Expires: 0").replace("CSeq: 1826", "CSeq: 1827")
    assert reg.receive(zero.encode(), SRC, 2.0)[0].startswith(b"SIP/2.0 200")
    assert not reg.bindings
    options = REGISTER.replace("REGISTER sip:imm.example", "OPTIONS sip:imm.example") \
        .replace("CSeq: 1826 REGISTER", "CSeq: 1 OPTIONS")
    (out,) = reg.receive(options.encode(), SRC, 3.0)
    assert out.startswith(b"SIP/2.0 200") and b"Allow: REGISTER" in out


def test_bindings_are_purged_and_bounded():
    reg = Registrar(max_bindings=50)
    for i in range(80):
        text = REGISTER.replace("mh1@imm.example", f"u{i}@imm.example").replace("Expires: 600", "Expires: 10")
        out = reg.receive(text.encode(), SRC, 0.0)[0]
        assert out.startswith(b"SIP/2.0 200" if i < 50 else b"SIP/2.0 503")
    assert len(reg.bindings) == 50 and reg.faults["full"] == 30
    # Later, once they have expired, new ones fit again.
    text = REGISTER.replace("mh1@imm.example", "late@imm.example")
    assert reg.receive(text.encode(), SRC, 100.0)[0].startswith(b"SIP/2.0 200")
    assert len(reg.bindings) == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.integers(0, len(REGISTER)))
def test_the_registrar_and_agent_never_raise_on_mutated_input(junk, at):
    data = REGISTER.encode()[:at] + junk + REGISTER.encode()[at:]
    reg = Registrar()
    reg.receive(data, SRC, 0.0)
    assert reg.last and "\n" not in reg.last

    loop = FakeLoop()
    env = FakeSipEnv(loop, FakeSipNet(loop), ("10.1.0.4", 5060), fixed_rand=0.5)
    UserAgent(env, aor_uri="sip:mh1@imm.example", host="10.1.0.4", servers=[]).receive(data, SRC)


def test_the_udp_server_logs_one_line_per_datagram():
    from imm_ns3.sip.server import serve

    lines, ports = [], []

    async def main():
        task = asyncio.create_task(serve("127.0.0.1", 0, max_seconds=1.5, log=lines.append,
                                         ready=ports.append))
        while not ports:
            await asyncio.sleep(0.01)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for data in (b"\x00garbage\nwith\nlines\r\n", REGISTER.replace("Via: SIP/2.0/UDP 10.1.0.4:5060;branch=z9hG4bKnashds7\r\n", "").encode(),
                     REGISTER.encode(), b"\r\n" * 30000):
            s.sendto(data, ("127.0.0.1", ports[0]))
            await asyncio.sleep(0.05)
        s.close()
        await task

    asyncio.run(main())
    assert len(lines) == 4 and all("\n" not in ln and "\x00" not in ln for ln in lines)
    assert "malformed" in lines[0] and "dropped" in lines[0]
    assert "malformed (missing or empty Via header) -> dropped" in lines[1]
    assert "REGISTER sip:imm.example -> 200" in lines[2] and "(1 binding(s) held)" in lines[2]


def test_kept_register_answers_are_bounded_under_a_flood(monkeypatch):
    # A flood of distinct REGISTERs must not grow the retransmission store without bound.
    from imm_ns3.sip import registrar as regmod

    monkeypatch.setattr(regmod, "MAX_TRANSACTIONS", 40)
    reg = Registrar(max_bindings=1000)
    for i in range(200):
        text = REGISTER.replace("mh1@imm.example", f"u{i}@imm.example").replace("nashds7", f"n{i}")
        assert reg.receive(text.encode(), SRC, 1.0)[0].startswith(b"SIP/2.0 200")
        assert len(reg._transactions) <= 40
    # The newest is still answered from its kept answer; an old one is processed anew.
    newest = REGISTER.replace("mh1@imm.example", "u199@imm.example").replace("nashds7", "n199")
    reg.receive(newest.encode(), SRC, 2.0)
    assert reg.retransmissions == 1


# ---- the --users file of imm-sim sip-registrar ---------------------------------------------------
def _users_file(tmp_path, users: dict | None = None, text: str | None = None):
    import tomli_w

    f = tmp_path / "users.toml"
    f.write_text(text if text is not None else tomli_w.dumps({"users": users}))
    return f


def _refusal(path) -> str:
    """What `imm-sim sip-registrar --users PATH` says; it must exit 2 with one line."""
    from click.testing import CliRunner

    from imm_ns3.cli import main

    r = CliRunner().invoke(main, ["sip-registrar", "--users", str(path), "--max-seconds", "0.1"])
    assert r.exit_code == 2 and r.output.count("\n") == 1, r.output
    return r.output


@pytest.mark.parametrize("users,expect", [
    ({"sip:@": "pw"}, "error: --users: users.'sip:@': the SIP URL needs a user and a domain"),
    ({"sip:mh1@": "pw"}, "error: --users: users.'sip:mh1@': the SIP URL needs a user and a domain"),
    ({"sip:@imm.example": "pw"}, "error: --users: users.'sip:@imm.example': the SIP URL needs a user"),
    ({"sip:mh1\x00@imm.example": "pw"}, "error: --users: users.'sip:mh1\\x00@imm.example': control"
     " characters and blanks are not allowed in a SIP URL"),
    ({"sip:\x1b[2Jmh1@imm.example": "pw"}, "error: --users: users.'sip:\\x1b[2Jmh1@imm.example':"
     " control characters"),
    ({"sip:mh1@imm.example": "a", "sip:mh1@IMM.Example": "b"}, "error: --users:"
     " users.'sip:mh1@IMM.Example': the same address ('sip:mh1@imm.example') as"
     " users.'sip:mh1@imm.example' (a domain's case does not count); give each address once"),
    ({"sip:mh1@imm.example": ""}, "error: --users: users.'sip:mh1@imm.example': a key is a SIP URL"),
    ({"sip:" + "u" * 5000 + "@imm.example": 3}, "error: --users: users.'sip:uuuuuuuuuuuuu"),
])
def test_bad_users_are_one_line(tmp_path, users, expect):
    out = _refusal(_users_file(tmp_path, users))
    assert out.startswith(expect) and len(out) < 400, out


def test_users_files_that_are_no_regular_files_or_no_toml_are_one_line(tmp_path):
    import os

    assert _refusal("/dev/zero") == ("error: --users: cannot read /dev/zero: it is a character"
                                     " device, not a regular file\n")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert _refusal(fifo) == f"error: --users: cannot read {fifo}: it is a FIFO (named pipe), not a regular file\n"
    deep = _users_file(tmp_path, text="users = " + "[" * 600 + "]" * 600 + "\n")
    assert _refusal(deep) == f"error: --users: {deep}: tables and arrays nested more than 32 levels deep\n"
    assert "is not valid TOML" in _refusal(_users_file(tmp_path, text="[users\n"))
    assert "needs a [users] table" in _refusal(_users_file(tmp_path, text="x = 1\n"))


def test_good_users_are_read_by_address_of_record(tmp_path):
    from imm_ns3.cli import _read_users

    f = _users_file(tmp_path, {"sip:mh1@IMM.example": "a", "sip:MH1@imm.example;transport=udp": "b"})
    assert _read_users(str(f)) == {"sip:mh1@imm.example": "a", "sip:MH1@imm.example": "b"}


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.one_of(st.text(max_size=12), st.builds(lambda u, h: f"sip:{u}@{h}",
                                                                 st.text(max_size=4), st.text(max_size=6))),
                       st.one_of(st.text(max_size=6), st.integers()), max_size=4))
def test_random_users_files_are_read_or_refused_in_one_line(tmp_path_factory, users):
    from imm_ns3.cli import _BadInput, _read_users

    f = _users_file(tmp_path_factory.mktemp("u"), users)
    try:
        got = _read_users(str(f))
    except _BadInput as e:
        assert "\n" not in e.message and e.message.startswith("--users: ")
        return
    assert len(got) == len(users) and all(k.startswith("sip:") and "@" in k for k in got)
