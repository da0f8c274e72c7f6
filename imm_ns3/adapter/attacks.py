"""The attacker of ``[[attacks]]`` (docs/security.md) on ns-3.

Each host with role ``attacker`` gets :class:`imm::Capture` (``attack.h``) in place of its TCP
and UDP: what reaches it (TCP the correspondent now sends there, RTP, the probe) is recorded in
C++ and dropped without an answer; only its own control sockets get datagrams (the ports the
protocol adapters registered in ``ctx.attacker_ports``: MIP-LR 4350, Mobile IP 434, SIP 5060;
the sockets are opened here by what they registered in ``ctx.attacker_sockets``).

This adapter schedules the attacks, captures and collects; it knows no protocol. Each kind is
forged by the protocol adapter that knows it, registered in ``ctx.forgers`` at that adapter's
set-up, with the protocol state an eavesdropper would know (the victim's next sequence number
or identification, its first update for a replay, its dialog), but none of the keys: MIP-LR and
Mobile IP kinds in ``adapter/miplr.py``, SIP kinds in ``adapter/sip.py``, and the same-cell
kinds (``mmp_registration``, ``mmp_semisoft_copy``, ``drcp_exhaustion``) in ``adapter/mmp.py``.
Those are sent from a station: another mobile host, whose Capture is in steal mode: its own
traffic goes on, what comes for an address it took over is recorded and dropped.

What it got is read afterwards from ``ctx.location_log`` (every binding a register,
correspondent, home agent or SIP registrar applied) and the captures:

- ``attacks.parquet``: one row per (attack, target) with the messages sent, whether the target
  applied a binding of the victim to the attacker (``accepted``), when, and how long the
  target held it (``held_s``: until the victim's own binding replaced it, or the end of the run);
- ``summary.json`` ``attacks``: per attack ``{kind, at_s, attempted, accepted,
  hijacked_packets, hijacked_bytes}``, where hijacked counts what reached the attacker from the
  attack's time until the same attacker's next attack (or the end of the run).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..scenario.schema import STATION_ATTACK_KINDS
from ..schedule import spread_start
from .context import Collector, RunContext
from .env import Signalling
from .runtime import compile_extension

IPIP, TCP, UDP = 4, 6, 17


def _ip(a: int) -> str:
    return str(ipaddress.IPv4Address(a))


def setup_attacks(ctx: RunContext) -> Collector | None:
    s = ctx.scenario
    if not s.attacks:
        return None
    c = compile_extension("attack.h")
    addr = {h: int(a) for h, a in ctx.topo.host_addresses().items()}
    perm = {mh.name: int(mh.permanent_address) for mh in ctx.topo.mobile_hosts}
    counts = Signalling(ctx.bridge.now, s.simulation.warmup_s)
    captures: dict[str, tuple[Any, ...]] = {}
    stations = sorted({a.attacker for a in s.attacks if a.kind in STATION_ATTACK_KINDS})
    for name in stations:
        captures[name] = tuple(c.InstallCapture(ctx.net.nodes[name], p) for p in (TCP, UDP))
        for cap in captures[name]:
            cap.StealMode()
    for name in sorted({a.attacker for a in s.attacks} - set(stations)):
        node = ctx.net.nodes[name]
        tcp, udp, ipip = (c.InstallCapture(node, p) for p in (TCP, UDP, IPIP))
        for port in ctx.attacker_ports:
            udp.PassPort(port)
        captures[name] = (tcp, udp, ipip)
        for open_sockets in ctx.attacker_sockets:
            open_sockets(name, counts)

    # One row per message sent: (attack index, target node, target address, message name[, key])
    sent: list[list[Any]] = []

    def fire(i: int) -> None:
        a = s.attacks[i]
        forge = ctx.forgers.get(a.kind)
        if forge is not None:
            for row in forge(a, _ip(addr.get(a.attacker, 0))):
                sent.append([i, *row])
        ctx.log.record(ctx.bridge.now_ns(), a.attacker, "attacker", "attack",
                       f"{a.kind} against {a.victim}")

    times = [spread_start(ctx.seed, "attack", str(i), a.at_s, a.at_spread_s)
             for i, a in enumerate(s.attacks)]
    for i, a in enumerate(s.attacks):
        ctx.bridge.call_at(times[i], fire, i, name=f"attack {i} ({a.kind})")

    def collect() -> None:
        _collect(ctx, counts, captures, sent, addr, perm, times)

    return collect


def _collect(ctx: RunContext, counts: Signalling, captures, sent, addr, perm, times) -> None:
    s = ctx.scenario
    end = ctx.bridge.now()
    urls = {mh.name: mh.sip_url for mh in ctx.topo.mobile_hosts}
    ctx.signalling_rows.extend(counts.rows())
    log = sorted(ctx.location_log)
    rows, summary = [], []
    for i, a in enumerate(s.attacks):
        station = a.kind in STATION_ATTACK_KINDS
        me = a.attacker if station else _ip(addr[a.attacker])
        at = times[i]
        later = [times[j] for j, b in enumerate(s.attacks) if b.attacker == a.attacker and times[j] > at]
        until = min(later) if later else end
        mine = [r for r in sent if r[0] == i]
        accepted_total = 0
        packets, bytes_, arrivals = _hijacked(captures[a.attacker], at, until)
        if a.kind == "drcp_exhaustion":
            rows.append(_exhaustion_row(ctx, i, a, at, mine, log, end))
            accepted_total = rows[-1]["accepted_leases"]
        for target in ([] if a.kind == "drcp_exhaustion" else dict.fromkeys(r[1] for r in mine)):
            key = (mine[0][4] if station else _ip(perm[a.victim]) if not a.kind.startswith("sip")
                   else urls[a.victim])
            n_sent = sum(1 for r in mine if r[1] == target)
            names = ",".join(sorted({r[3] for r in mine if r[1] == target}))
            entries = [(t, v) for t, node, k, v in log if node == target and k == key and t >= at]
            took = next((t for t, v in entries if v == me), None)
            held = None
            if took is not None and station:
                # A cache entry is taken back by the victim's next packet, in C++ and unlogged:
                # held until the last packet that reached the attacker (0 if none did).
                held = max([t for t in arrivals if t >= took], default=took) - took
                accepted_total += 1
            elif took is not None:
                back = next((t for t, v in entries if t > took and v != me), None)
                held = (back if back is not None else end) - took
                accepted_total += 1
            rows.append({"attack": i, "kind": a.kind, "at_s": at, "attacker": a.attacker, "victim": a.victim,
                         "target": target, "messages": names, "sent": n_sent,
                         "accepted": took is not None, "accepted_at_s": took, "held_s": held,
                         "accepted_leases": None})
        for r in rows:
            if r["attack"] == i:
                r.update(hijacked_packets=packets, hijacked_bytes=bytes_)
        summary.append({"kind": a.kind, "at_s": at, "attacker": a.attacker, "victim": a.victim,
                        "attempted": len(mine), "accepted": accepted_total,
                        "hijacked_packets": packets, "hijacked_bytes": bytes_})
    ctx.attack_rows.extend(rows)
    ctx.extra_summary["attacks"] = summary


def _hijacked(captures, at: float, until: float) -> tuple[int, int, list[float]]:
    """Packets and bytes that reached the attacker in [at, until), and their arrival times."""
    packets = bytes_ = 0
    times: list[float] = []
    for cap in captures:
        for t_ns, b in zip(list(cap.arrivalNs), list(cap.arrivalBytes)):
            if at <= t_ns * 1e-9 < until:
                packets += 1
                bytes_ += int(b)
                times.append(t_ns * 1e-9)
    return packets, bytes_, sorted(times)


def _exhaustion_row(ctx: RunContext, i: int, a, at: float, mine, log, end: float) -> dict:
    """DRCP exhaustion: leases the server gave to invented client ids, and how long the victim
    then went without a care-of address (from the first time it lost one after the attack until
    it had one again, or the end of the run)."""
    forged = {r[4] for r in mine}
    leased = {k for t, node, k, v in log if k in forged and v != "refused" and t >= at}
    held = None
    history = [c for c in ctx.care_of[a.victim].history if c.t_s >= at]
    lost = next((c.t_s for c in history if c.lost), None)
    if lost is not None:
        back = next((c.t_s for c in history if c.t_s >= lost and not c.lost), None)
        held = (back if back is not None else end) - lost
    return {"attack": i, "kind": a.kind, "at_s": at, "attacker": a.attacker, "victim": a.victim,
            "target": mine[0][1] if mine else None, "messages": "DrcpRequest", "sent": len(mine),
            "accepted": bool(leased), "accepted_at_s": None, "held_s": held,
            "accepted_leases": len(leased)}
