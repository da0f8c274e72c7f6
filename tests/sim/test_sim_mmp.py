"""MMP and DRCP on ns-3: the message flow of Figure 5, care-of addresses, latency components,
probe accounting, semi-soft bicast, soft state, bad input."""

from __future__ import annotations

import ipaddress

import pytest

from imm_ns3.adapter import run_scenario
from imm_ns3.mmp import messages as m
from imm_ns3.scenario import load_scenario

from pcaputil import read_pcap, wifi_udp_payloads

from conftest import ROOT


def _probe(summary):
    (flow,) = [f for f in summary["flows"] if f["name"] == "probe"]
    return flow


def _mh_messages(walk_run):
    """Every MMP/DRCP message the mobile host sent or received on the air, in order."""
    _, frames = read_pcap(walk_run.out_dir / "pcap" / "mh1-wifi.pcap")
    out, seen = [], set()
    for src, dst, sport, dport, payload in wifi_udp_payloads(frames):
        if m.MMP_PORT not in (sport, dport) and m.DRCP_SERVER_PORT not in (sport, dport):
            continue
        key = (src, dst, payload)
        if key in seen and not isinstance(m.decode(payload), m.BaseStationBeacon):
            continue  # the same frame captured again (a MAC retransmission)
        seen.add(key)
        out.append((src, dst, m.decode(payload)))
    return out


def test_figure5_message_flow_on_the_air(walk_run):
    """[0052]-[0053]: beacon, advertisement, address, registration (+ack) on entering domain
    502; the same with a new address in domain 504; a cache hand-off inside domain 504."""
    msgs = _mh_messages(walk_run)
    # Drop the periodic beacons and advertisements once the flow moved past them.
    flow = []
    for src, dst, msg in msgs:
        if isinstance(msg, (m.BaseStationBeacon, m.DrcpAdvertisement)):
            if flow and flow[-1][0] == msg.name:
                continue
        flow.append((msg.name, msg))
    names = [n for n, _ in flow if n not in ("RouteUpdate",)]

    def first(seq, start=0):
        i = start
        for want in seq:
            while names[i] != want:
                i += 1
            i += 1
        return i

    entry = ["BaseStationBeacon", "DrcpAdvertisement", "DrcpRequest", "DrcpReply", "Registration",
             "RegistrationAck"]
    i = first(entry)  # 530, 532, 534, 536 of Figure 5
    i = first(["Registration", "RegistrationAck"], i)  # domain 503 (same sub-network)
    i = first(entry, i)  # 540, 542, 544, 546: domain 504 with a new address
    first(["CacheUpdate"], i)  # 550, 552: between base stations of domain 504
    regs = [msg for n, msg in flow if n == "Registration"]
    assert [m.ip_str(r.coa) for r in regs] == ["10.1.0.4", "10.1.0.4", "10.2.0.3"]
    assert all(r.mh_id == m.ip_int("10.0.0.10") for r in regs)
    cu = [msg for n, msg in flow if n == "CacheUpdate"]
    assert len(cu) == 1 and cu[0].semisoft == 0 and m.ip_str(cu[0].coa) == "10.2.0.3"
    # The DRCP request leaves with no address: 0.0.0.0 -> the sub-network's DRCP server.
    reqs = [(src, dst) for src, dst, msg in msgs if isinstance(msg, m.DrcpRequest)]
    assert reqs[0][0] == 0 and reqs[-1][0] == 0


def test_care_of_address_changes_only_across_sub_networks(walk_run):
    assert walk_run.summary["care_of_addresses"] == {"mh1": ["10.1.0.4", "10.2.0.3"]}
    h = walk_run.handoffs
    assert list(h.coa) == ["10.1.0.4", "10.2.0.3", "10.2.0.3"]
    assert list(h.coa_changed) == [False, True, False]
    # The daemon's own classification (from beacons and advertisements) agrees with the
    # topology's ground truth.
    assert list(h.mmp_kind) == list(h.kind)


def test_latency_components(walk_run):
    s = load_scenario("patent-walk")
    h = walk_run.handoffs.set_index("kind")
    for kind in h.index:
        row = h.loc[kind]
        assert 0 < row.beacon_wait_s <= s.mmp.bs_beacon_interval_s + 0.01
        assert row.mmp_retries == 0
    assert 0 < h.loc["inter_domain", "adv_wait_s"] <= s.drcp.advertisement_interval_s + 0.01
    assert 0 < h.loc["inter_subnet", "drcp_s"] < 0.05
    assert 0 < h.loc["inter_subnet", "update_s"] < 0.05  # registration -> acknowledgement
    assert h.loc["intra_domain", "update_s"] == 0  # a cache hand-off is not acknowledged
    for kind in h.index:
        row = h.loc[kind]
        parts = sum(v for v in (row.beacon_wait_s, row.adv_wait_s, row.drcp_s) if v == v)
        assert row.mmp_s >= parts - 1e-9


def test_probe_conservation_and_losses_at_handoffs(walk_run):
    flow = _probe(walk_run.summary)
    assert flow["dst"] == "mh1"
    assert flow["sent_packets"] == flow["received_packets"] + flow["lost_packets"]
    assert flow["duplicates"] == 0
    h = walk_run.handoffs
    # Loss happens at the handoffs: roughly the radio interruption plus MMP's update, at 50/s.
    assert h.probe_lost.sum() <= flow["lost_packets"]
    for row in h.itertuples():
        expected = (row.l2_s + row.mmp_s) * 50
        assert expected - 6 <= row.probe_lost <= expected + 6, row
        assert row.l2_s < row.probe_gap_s < row.l2_s + row.mmp_s + 0.1


def test_mmp_signalling_is_counted_by_role_and_type(walk_run):
    sig = walk_run.summary["signalling"]
    assert sig["mobile_host"]["Registration"]["count"] == 3
    assert sig["mobile_host"]["CacheUpdate"]["count"] == 1
    assert sig["mobile_host"]["DrcpRequest"]["count"] == 2
    assert sig["gateway"]["RegistrationAck"]["count"] == 3
    assert sig["gateway"]["HostRoute"]["count"] == 2  # sn1's border router learns 502 then 503
    assert sig["mobile_host"]["Registration"]["bytes"] == 3 * (14 + 28)
    assert walk_run.summary["mmp"]["dropped_no_uplink"] == 0
    # Route-updates that only refresh a cache never reach Python (mmp_routing.h's fast path),
    # and are counted all the same: every one a host sent is received at each of the three
    # hops of its tree (base station, intermediate node, gateway), the fast ones included.
    t = walk_run.tables["signalling"]
    ru = t[t.message == "RouteUpdate"].groupby("role")[["count", "received"]].sum()
    fast = walk_run.summary["mmp"]["route_updates_fast"]
    assert 0 < fast <= ru.loc[["base_station", "intermediate", "gateway"], "received"].sum()
    for role in ("base_station", "intermediate", "gateway"):
        assert ru.loc[role, "received"] == ru.loc["mobile_host", "count"], role


def test_two_radios_semisoft_loses_fewer_packets_than_hard():
    """[0035]-[0036] with a make-before-break host (wifi.mh_radios = 2): hard hand-off loses what
    is in flight towards the old base station when the host stops listening to it; semi-soft
    keeps listening while the crossover bicasts."""
    runs = {}
    for mode in ("hard", "semisoft"):
        s = load_scenario("patent-walk", [
            "wifi.mh_radios=2", f"mmp.handoff='{mode}'", "mmp.semisoft_period_s=0.2",
            "probe.rate_pps=200", "links.domain.delay_ms=20"])
        runs[mode] = run_scenario(s)
    lost = {k: r.handoffs.set_index("kind").loc["intra_domain", "probe_lost"] for k, r in runs.items()}
    # Hard: about the crossover -> old base station delay (20 ms) x 200/s, and more.
    assert lost["hard"] >= 4 and lost["semisoft"] + 5 <= lost["hard"], lost
    for r in runs.values():
        flow = _probe(r.summary)
        assert flow["sent_packets"] == flow["received_packets"] + flow["lost_packets"]
        assert r.summary["care_of_addresses"]["mh1"] == ["10.1.0.4", "10.2.0.3"]
        # The trailing radio bridges the leading radio's 802.11 handoff: no half-second breaks.
        assert (r.handoffs.probe_gap_s < 0.2).all(), r.handoffs.probe_gap_s
    assert runs["semisoft"].summary["mmp"]["bicast_copies"] > 0


def test_semisoft_bicasts_at_the_crossover():
    s = load_scenario("patent-walk", ["mmp.handoff='semisoft'", "mmp.semisoft_period_s=0.2"])
    r = run_scenario(s)
    ev = r.events
    cross = ev[(ev.node == "in504") & ev.event.isin(["cache_added", "cache_replaced"])]
    assert list(cross.event) == ["cache_added", "cache_replaced"]
    assert 0.19 < cross.t_s.iloc[1] - cross.t_s.iloc[0] < 0.21  # the semi-soft period
    assert r.summary["mmp"]["bicast_copies"] > 0
    flow = _probe(r.summary)
    assert flow["sent_packets"] == flow["received_packets"] + flow["lost_packets"]
    # With one break-before-make 802.11 radio the old base station is out of reach during the
    # semi-soft period, so its copies cannot arrive: no duplicates, and no gain over hard
    # hand-off (see the two-radio test above for the gain).
    assert flow["duplicates"] == 0


def test_interface_monitoring_delays_every_handoff_by_the_poll_wait():
    """mmp.monitor_interval_s ([0056], [0073]): the daemon acts at its next interface poll; every
    handoff waits for it (under one interval) and still completes, the C++ gate following the
    daemon into its waiting states from the poll timer."""
    r = run_scenario(load_scenario("patent-walk", ["mmp.monitor_interval_s=0.5",
                                                   "simulation.duration_s=40", "sip.enabled=false",
                                                   "tcp.enabled=false"]))
    h = r.handoffs
    assert len(h) == 3 and h.monitor_wait_s.between(0, 0.5).all() and h.mmp_s.notna().all()
    assert (h.mmp_s > h.monitor_wait_s).all()
    assert r.summary["care_of_addresses"]["mh1"] == ["10.1.0.4", "10.2.0.3"]


def test_a_reused_care_of_address_reaches_its_new_holder():
    """A DRCP lease handed out again (flat design, 30 hosts at 10 m/s, 80 s): the base station's
    ARP entry still named the previous holder's MAC, and every answer to the new holder went to
    the old one for the rest of ns-3's 120 s ARP lifetime. The base stations now update such an
    entry to the new holder when it configures the address (its ARP announcement); dead or
    pending entries hold no MAC and are left alone."""
    e3 = ROOT / "experiments" / "scenarios" / "e3-flat.toml"
    r = run_scenario(load_scenario(str(e3), ["mobile_hosts.count=30", "mobility.speed_mps=10.0",
                                             "simulation.duration_s=80",
                                             "mmp.broadcast_jitter_s=0.01"]))
    assert r.summary["mmp"]["stale_arp_entries_updated"] >= 5
    sig = r.signalling[r.signalling.role == "mobile_host"].groupby("message")[["count", "received"]].sum()
    assert sig.loc["RegistrationAck", "received"] >= 0.85 * sig.loc["Registration", "count"]


def test_idle_host_keeps_its_routes_with_route_updates():
    base = ["mobility={model='constant_velocity', position_m=[5, 0, 0], speed_mps=0}",
            "simulation.duration_s=20", "mmp.cache_timeout_s=2.0", "mmp.route_update_interval_s=0.8"]
    r = run_scenario(load_scenario("patent-walk", base + ["sip.enabled=false"]))
    flow = _probe(r.summary)
    assert flow["lost_packets"] == 0 and flow["received_packets"] == flow["sent_packets"] > 800
    assert r.summary["signalling"]["mobile_host"]["RouteUpdate"]["count"] >= 20
    # With a voice call the host sends RTP up every 20 ms: that refreshes the caches ([0033]),
    # so it needs (almost) no route-updates, and still loses nothing.
    r = run_scenario(load_scenario("patent-walk", base))
    assert _probe(r.summary)["lost_packets"] == 0
    assert r.summary["signalling"]["mobile_host"].get("RouteUpdate", {"count": 0})["count"] <= 4


def test_malformed_mmp_messages_are_counted_and_the_run_goes_on():
    s = load_scenario("patent-walk", ["simulation.duration_s=5"])

    def setup(ctx):
        b = ctx.bridge
        sock = b.udp_socket(ctx.net.nodes["ch"], 5555, "attacker", lambda *a: None)
        gw = int(next(lk.addr_b for lk in ctx.topo.links if lk.b == "gw504"))
        for i, junk in enumerate([b"", b"\x07\x01", b"\x01\x63abc", b"\x01\x03" + bytes(5)]):
            b.call_at(2.0 + i * 0.1, lambda j=junk: b.udp_send(sock, j, gw, m.MMP_PORT), name="junk")

    r = run_scenario(s, setup=setup)
    faults = r.summary["mmp"]["faults"]
    assert faults == {"gw504:bad_version": 1, "gw504:truncated": 2, "gw504:unknown_type": 1}
    assert r.summary["care_of_addresses"]["mh1"] == ["10.1.0.4"]


def test_exhausted_drcp_pool_is_an_event_not_a_crash():
    # sn1 as a /29: 6 host addresses, 3 of them base stations -> 3 care-of addresses, 5 hosts.
    s = load_scenario("patent-walk", ["subnets.sn1.prefix='10.1.0.0/29'", "mobile_hosts.count=5",
                                      "simulation.duration_s=4", "mobility.start_s=10"])
    r = run_scenario(s)
    coas = r.summary["care_of_addresses"]
    assert sorted(a for v in coas.values() for a in v) == ["10.1.0.4", "10.1.0.5", "10.1.0.6"]
    ev = r.events
    assert (ev.event == "drcp_pool_exhausted").sum() >= 2
    assert set(ipaddress.IPv4Address(a) for v in coas.values() for a in v) <= set(
        ipaddress.IPv4Network("10.1.0.0/29").hosts())


def test_redundancy_delivery_resumes_within_a_few_beacon_intervals():
    """Figures 2B/2C: a gateway fails (and returns), then a base station's primary up-link
    fails; nodes switch on beacon silence and the caches heal ([0039]-[0045])."""
    s = load_scenario("redundancy")
    r = run_scenario(s)
    gw_fail, link_fail = r.summary["failures"]
    limit = (s.mmp.failover_beacons + 1) * s.mmp.beacon_interval_s + s.mmp.route_update_interval_s
    for f in (gw_fail, link_fail):
        gap = f["delivery_gap_s"]["mh1"]
        assert gap is not None and 0.5 < gap <= limit, f
    ev = r.events
    switches = ev[(ev.event == "uplink_switch") & (ev.t_s > 10) & (ev.t_s < 10 + limit)]
    assert {"in276a", "bs278a"} <= set(switches.node)
    assert (ev[(ev.node == "sn1-br") & (ev.event == "host_route") & (ev.t_s > 10)].detail.iloc[0]
            == "10.5.0.2 via 172.16.0.14")  # the border router follows the secondary gateway
    after = ev[(ev.node == "bs278a") & (ev.event == "uplink_switch") & (ev.t_s > 35)]
    assert after.detail.iloc[0].startswith("if1->if2")  # onto the secondary up-link
    flow = _probe(r.summary)
    assert flow["sent_packets"] == flow["received_packets"] + flow["lost_packets"]
    # All losses are in the failure windows: nothing is lost in steady state.
    assert flow["lost_packets"] <= (gw_fail["delivery_gap_s"]["mh1"] + link_fail["delivery_gap_s"]["mh1"]
                                    + 1.0) * s.probe.rate_pps
    assert gw_fail["on_path"] == link_fail["on_path"] == {"mh1": True}  # seed 1: both hit


def test_local_failure_detection_switches_without_waiting_for_beacons():
    """[0040]: a node that detects a failure of its primary interface switches at once; the
    downlink then heals from the host's next route-update, and the border router's host route
    follows after its convergence delay (mmp.border_route_delay_s)."""
    from imm_ns3.scenario import apply_overrides, read_scenario_dict, validate_dict

    data, _ = read_scenario_dict("redundancy")
    s = validate_dict(apply_overrides(data, {
        "mmp.failure_detection": "local", "mmp.local_detection_delay_s": 0.05,
        "mmp.border_route_delay_s": 0.3}))
    r = run_scenario(s)
    ev = r.events
    down = ev[(ev.event == "interface_down")]
    # The gateway's neighbours notice at 10.05 s (the border router has no MMP core to tell);
    # both ends of the failed link at 35.05 s.
    assert sorted(down[down.t_s.round(6) == 10.05].node) == ["in276a", "in276b"]
    assert sorted(down[down.t_s.round(6) == 35.05].node) == ["bs278a", "in276a"]
    switch = ev[(ev.event == "uplink_switch") & (ev.t_s > 10) & (ev.t_s < 11)]
    assert "in276a" in set(switch.node) and switch.t_s.min() == pytest.approx(10.05)
    # The new gateway announces the host from its first route-update; the route follows 0.3 s on.
    gw_b = ev[(ev.node == "gw274b") & (ev.event == "cache_created") & (ev.t_s > 10)].t_s.iloc[0]
    route = ev[(ev.node == "sn1-br") & (ev.event == "host_route") & (ev.t_s > 10)].t_s.iloc[0]
    assert route - gw_b == pytest.approx(0.3 + 0.002, abs=0.002)  # + the one-hop link delay
    gw_fail, link_fail = r.summary["failures"]
    for f, extra in ((gw_fail, 0.3), (link_fail, 0.0)):
        if f["on_path"]["mh1"]:
            assert 0.05 <= f["delivery_gap_s"]["mh1"] <= (
                0.05 + s.mmp.route_update_interval_s + extra + 0.1), f


def test_single_path_baseline_is_cut_off_until_the_element_returns():
    s = load_scenario(ROOT / "experiments" / "scenarios" / "e6-single-path.toml")
    r = run_scenario(s)
    gw_fail, link_fail = r.summary["failures"]
    assert gw_fail["on_path"] == link_fail["on_path"] == {"mh1": True}
    # Nothing arrives while the gateway is down (10-25 s); then beacons and caches come back.
    assert 15.0 < gw_fail["delivery_gap_s"]["mh1"] < 15.0 + 2 * s.mmp.beacon_interval_s + 1.0
    assert link_fail["delivery_gap_s"]["mh1"] is None  # the up-link never returns


def test_cpp_forwarding_cache_conforms_to_the_reference_cache():
    """The C++ routing hook's cache and imm_ns3.mmp.cache.RoutingCache give the same answers
    for the same operations at the same times (expiry included)."""
    import random

    from imm_ns3.adapter.runtime import compile_extension
    from imm_ns3.mmp.cache import RoutingCache

    rng = random.Random(7)
    ops, t = [], 0.1
    for _ in range(400):
        t += rng.choice([0.0, 0.05, 0.3, 0.9])
        ops.append((round(t, 3), rng.choice(["refresh", "hard", "semisoft", "lookup", "lookup", "remove"]),
                    rng.randrange(3), rng.randrange(1, 4)))
    mismatches, seen = [], []
    s = load_scenario("patent-walk", [f"simulation.duration_s={t + 1}", "probe.enabled=false"])

    def setup(ctx):
        c = compile_extension("mmp_routing.h")
        shim = ctx.bridge.ns.CreateObject[c.MmpRouting]()
        shim.Configure(0, False, 0x0A000000, 0xFF000000, int(1.0e9), 4343, False)
        ref = RoutingCache(timeout_s=1.0)
        names = {0: "created", 1: "refreshed", 2: "replaced", 3: "added"}
        ctx.keep_shim = shim

        def step(op, coa, iface):
            now = ctx.bridge.now()
            coa = 0x0A000001 + coa
            if op == "lookup":
                got, want = tuple(int(i) for i in shim.Lookup(coa)), ref.lookup(coa, now)
            elif op == "remove":
                got, want = int(shim.RemoveInterface(iface)), len(ref.remove_interface(iface))
            else:
                got = names[getattr(shim, op.capitalize())(coa, iface)]
                want = getattr(ref, op)(coa, iface, now)
            seen.append(op)
            if got != want:
                mismatches.append((now, op, coa, iface, got, want))

        for when, op, coa, iface in ops:
            ctx.bridge.call_at(when, step, op, coa, iface, name="cache op")

    run_scenario(s, setup=setup)
    assert len(seen) == len(ops)
    assert mismatches == []


def test_base_station_beacons_from_cpp_equal_the_python_reference(monkeypatch):
    """The base-station beacons are sent by C++ (cpp/bridge.h PeriodicDatagram), the core telling it
    only what to send; imm_ns3.env.TimerPeriodic is the same series from Python timers. Both
    runs must be the same run (every table, the signalling count after the warm-up included),
    the C++ one with 10 Python events fewer per base station and simulated second."""
    import golden
    from imm_ns3.adapter import mmp_env
    from imm_ns3.env import TimerPeriodic

    s = load_scenario("patent-walk", ["simulation.duration_s=12.0", "simulation.warmup_s=3.0"])
    cpp = run_scenario(s)
    monkeypatch.setattr(mmp_env.DomainNodeEnv, "periodic",
                        lambda env, iface, first_s, interval_s: TimerPeriodic(env, iface, first_s, interval_s))
    ref = run_scenario(s)
    assert golden.record(cpp) == golden.record(ref)
    beacons = cpp.summary["signalling"]["base_station"]["BaseStationBeacon"]
    # Five base stations, 10 a second from the warm-up's end (3 s) to the end (12 s).
    assert 5 * 10 * 9 - 5 <= beacons["count"] <= 5 * 10 * 9
    assert beacons["bytes"] == beacons["count"] * (len(m.BaseStationBeacon(0, 0, 0, 0)) + 28)
    fewer = ref.summary["python_events"] - cpp.summary["python_events"]
    assert 5 * 10 * 12 - 10 <= fewer <= 5 * 10 * 12
