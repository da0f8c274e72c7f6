"""Benchmark: SIP parsing time against input size (leading CRLFs, folded lines), with a plain
REGISTER measured in the same run as the baseline. Linear parsing shows as a constant time per
kilobyte; the quadratic parser of before took 9.4 s for 1 MB of CRLFs.

    .venv/bin/python benchmarks/bench_sip_parse.py
"""

from __future__ import annotations

import time

from imm_ns3.sip.message import SipParseError, parse_message

REGISTER = ("REGISTER sip:imm.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.4:5060;branch=z9hG4bK1\r\n"
            "Max-Forwards: 70\r\nTo: <sip:mh1@imm.example>\r\nFrom: <sip:mh1@imm.example>;tag=4\r\n"
            "Call-ID: 8438@x\r\nCSeq: 1826 REGISTER\r\nContact: <sip:mh1@10.1.0.4:5060>\r\n"
            "Expires: 600\r\nContent-Length: 0\r\n\r\n")


def timed(data: bytes, repeat: int = 20) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        try:
            parse_message(data)
        except SipParseError:
            pass
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    base = timed(REGISTER.encode(), 200)
    print(f"REGISTER ({len(REGISTER)} B): {base * 1e6:.1f} us")
    for kb in (8, 16, 32, 60):
        crlf = b"\r\n" * (kb * 512) + REGISTER.encode()
        fold = REGISTER.replace("Expires: 600\r\n", "Expires: 600\r\n" + " x\r\n" * (kb * 256)).encode()
        for name, data in (("leading CRLFs", crlf), ("folded lines", fold)):
            t = timed(data)
            print(f"{name:>14} {len(data) / 1024:5.0f} KiB: {t * 1e3:7.2f} ms"
                  f" = {t / base:6.0f}x a REGISTER, {t / (len(data) / 1024) * 1e6:6.1f} us per KiB")
    t = timed(b"\r\n" * 5_000_000, 3)
    print(f"10 MB of CRLFs (refused by size): {t * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
