"""MMP/DRCP wire format: byte-exact round trips, and every kind of damage named."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imm_ns3.mmp import messages as m

from conftest import ROOT

U = {"B": 0xFF, "H": 0xFFFF, "I": 0xFFFFFFFF, "Q": 2**64 - 1}


def _strategy(cls):
    kw = {}
    for name, code in cls._FIELDS:
        if name == "semisoft":
            kw[name] = st.integers(0, 1)
        elif name == "prefix_len":
            kw[name] = st.integers(0, 32)
        else:
            kw[name] = st.integers(0, U[code])
    return st.builds(cls, **kw)


@pytest.mark.parametrize("cls", m.ALL_MESSAGES, ids=lambda c: c.__name__)
def test_round_trip(cls):
    @settings(max_examples=150, deadline=None)
    @given(_strategy(cls))
    def check(msg):
        data = msg.encode()
        assert len(data) == len(msg)
        assert data[:2] == bytes([m.VERSION, cls.TYPE])
        assert m.decode(data) == msg
        assert m.decode(data).encode() == data

    check()


def test_byte_exact_layout():
    b = m.GatewayBeacon(gateway_ip=m.ip_int("10.1.0.1"), domain_id=502, seq=7, timestamp_ns=1_000_000_000)
    assert b.encode() == bytes.fromhex("0101" "0a010001" "000001f6" "00000007" "000000003b9aca00" "0000")
    r = m.Registration(coa=m.ip_int("10.2.0.5"), mh_id=m.ip_int("10.0.0.10"), seq=1)
    assert r.encode() == bytes.fromhex("0103" "0a020005" "0a00000a" "00000001")


@pytest.mark.parametrize("data,fault", [
    (b"", "truncated"),
    (b"\x01", "truncated"),
    (b"\x02\x01" + bytes(22), "bad_version"),
    (b"\x01\x63", "unknown_type"),
    (b"\x01\x01" + bytes(10), "truncated"),
    (b"\x01\x01" + bytes(23), "bad_length"),
    (b"\x01\x04" + bytes(12) + b"\x02", "bad_value"),  # CacheUpdate.semisoft = 2
    (b"\x01\x10" + bytes(8) + b"\x21" + bytes(4), "bad_value"),  # prefix_len 33
])
def test_damage_is_named(data, fault):
    with pytest.raises(m.MessageError) as ei:
        m.decode(data)
    assert ei.value.fault == fault


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_decode_raises_only_message_error(data):
    try:
        msg = m.decode(data)
    except m.MessageError:
        return
    assert msg.encode() == data


def test_constructor_checks_ranges():
    with pytest.raises(ValueError, match="GatewayBeacon.seq: must be an integer in 0..4294967295"):
        m.GatewayBeacon(1, 2, -1, 0)
    with pytest.raises(ValueError, match="semisoft: must be 0 or 1"):
        m.CacheUpdate(1, 2, 3, 5)
    assert struct.calcsize("!" + "".join(c for _, c in m.DrcpReply._FIELDS)) == 26


def test_docs_message_table_is_current():
    doc = (ROOT / "docs" / "mmp.md").read_text()
    table = doc.split("<!-- BEGIN GENERATED MESSAGE TABLE -->\n")[1].split("<!-- END")[0].strip()
    assert table == m.layout_table(), "docs/mmp.md message table is stale: paste layout_table()"
