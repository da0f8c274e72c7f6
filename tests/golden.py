"""Golden fingerprints: what each built-in scenario and a handful of variants compute, pinned.

Each case records the event log's fingerprint, a content hash of each results table (handoffs,
flows, signalling, timeline) and a few readable numbers. ``tests/sim/test_golden.py`` runs every
case and compares. A change of behaviour therefore shows up as a failing test; when the change is
deliberate, regenerate the file in the same commit and say why in its message::

    .venv/bin/python tests/golden.py --write            # every case
    .venv/bin/python tests/golden.py --write three-hosts  # only the named cases

The event-log fingerprint and the table hashes are kept apart on purpose: work moved between
Python and C++ may change the event log (what is logged) without changing a single number the
tables hold, and the file says which of the two moved.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GOLDEN_FILE = Path(__file__).resolve().parent / "golden" / "fingerprints.json"
HASHED_TABLES = ("handoffs", "flows", "signalling", "timeline")


@dataclass(frozen=True)
class Case:
    name: str
    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = 1
    why: str = ""


CASES = [
    Case("patent-walk-seed1", "patent-walk", why="the default scenario: every protocol, every handoff kind"),
    Case("patent-walk-seed2", "patent-walk", seed=2, why="another seed: other timer phases"),
    Case("redundancy", "redundancy", why="Figures 2B/2C: gateway and up-link failures, failover"),
    Case("two-radio-semisoft", "patent-walk", {"wifi.mh_radios": 2, "mmp.handoff": "semisoft"},
         why="make-before-break host, semi-soft bicast"),
    Case("mobile-ip", "patent-walk", {"macro_mobility.tcp": "mip"},
         why="classic Mobile IP baseline: home agent, IP-in-IP"),
    Case("three-hosts", "patent-walk", {"mobile_hosts.count": 3},
         why="several hosts sharing caches, the registrar and the channel"),
    Case("shadowing-fading", "patent-walk",
         {"wifi.propagation.shadowing_db": 6.0, "wifi.propagation.fading": "rayleigh",
          "tcp.enabled": False, "sip.enabled": False},
         why="log-normal shadowing and Rayleigh fading: random radio, reproducible per seed"),
    Case("local-detection", "redundancy",
         {"mmp.failure_detection": "local", "mmp.border_route_delay_s": 0.5},
         why="failures noticed by loss of carrier; border router converging"),
]


def table_hash(df) -> str:
    """A content hash of a results table: every column, every row, floats at full precision."""
    text = df.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record(result) -> dict[str, Any]:
    """The golden record of one run's result."""
    s = result.summary
    h = result.handoffs
    flows = {f"{f['name']}:{f['src']}->{f['dst']}": (
        {"received_bytes": f.get("received_bytes")} if f["kind"] == "tcp"
        else {"received_packets": f.get("received_packets"), "lost_packets": f.get("lost_packets")})
        for f in s["flows"]}
    return {
        "fingerprint": s["fingerprint"],
        "events": s["events"],
        "tables": {name: table_hash(result.tables[name]) for name in HASHED_TABLES},
        "numbers": {
            "handoffs": s["handoffs"],
            "l2_ms": [round(x * 1e3, 3) for x in h["l2_s"]] if len(h) else [],
            "care_of_addresses": s["care_of_addresses"],
            "flows": flows,
            "signalling_messages": int(result.signalling["count"].sum())
            if "count" in result.signalling and len(result.signalling) else 0,
        },
    }


def run_case(case: Case) -> dict[str, Any]:
    from imm_ns3.adapter import run_scenario
    from imm_ns3.scenario import load_scenario

    return record(run_scenario(load_scenario(case.scenario, overrides=case.overrides), seed=case.seed))


def load_golden() -> dict[str, Any]:
    return json.loads(GOLDEN_FILE.read_text())


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "--write":
        print(__doc__)
        return 2
    names = argv[1:]
    unknown = [n for n in names if n not in {c.name for c in CASES}]
    if unknown:
        print(f"unknown case {unknown[0]}; cases: {', '.join(c.name for c in CASES)}", file=sys.stderr)
        return 2
    golden = load_golden() if GOLDEN_FILE.exists() else {}
    for case in CASES:
        if names and case.name not in names:
            continue
        golden[case.name] = {"scenario": case.scenario, "overrides": case.overrides,
                             "seed": case.seed, "why": case.why, **run_case(case)}
        print(f"{case.name}: {golden[case.name]['fingerprint']}", flush=True)
    golden = {c.name: golden[c.name] for c in CASES if c.name in golden}
    GOLDEN_FILE.parent.mkdir(exist_ok=True)
    GOLDEN_FILE.write_text(json.dumps(golden, indent=1, sort_keys=False) + "\n")
    print(f"wrote {GOLDEN_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
