"""imm-sim draw and the pictures of imm_ns3.analysis.netmap / .timeline (no ns-3): what the
figures contain, checked from the data handed to matplotlib and the artists' gids, and the
one-line errors of the new options (draw, run --netanim / --flowmon)."""

from __future__ import annotations

import json
import math
import os

import pytest
import tomli_w
from click.testing import CliRunner

from imm_ns3.analysis.coverage import covered
from imm_ns3.analysis.netmap import cell_radius_m, draw_network, layout
from imm_ns3.analysis.plotting import pyplot
from imm_ns3.analysis.timeline import draw_sequence, draw_timeline
from imm_ns3.cli import main
from imm_ns3.results import table
from imm_ns3.scenario import load_scenario
from imm_ns3.topology import build_topology

plt = pyplot()


def _draw(source, **kw):
    fig, ax = plt.subplots()
    try:
        return draw_network(ax, source, **kw), ax
    finally:
        plt.close(fig)


def _gids(ax):
    return {a.get_gid() for a in [*ax.patches, *ax.lines, *ax.collections] if a.get_gid()}


def test_patent_walk_map_has_every_cell_node_path_and_exit():
    s = load_scenario("patent-walk")
    topo = build_topology(s)
    m, ax = _draw(s)
    assert set(m.cells) == set(topo.radios) and set(m.nodes) == set(topo.nodes) - {"mh1"}
    assert {f"cell:{bs}" for bs in topo.radios} <= _gids(ax)
    assert all(c["channel"] == 1 for c in m.cells.values())
    # The cell is where coverage.py's radio model stops hearing: 85 m with 16 dBm, exponent 3.
    r = m.cells["bs502a"]["r"]
    assert r == pytest.approx(85.1, abs=0.2)
    assert covered(topo, -0.99 * r, 0) and not covered(topo, -1.01 * r, 0)
    # The walk: from (0, 0) to (400, 0); it leaves bs502a, bs503a, bs504a on the way, where
    # coverage expects it (bs502b, 130 m north, never hears it).
    path = m.paths["mh1"]
    assert path[0] == (0.0, 0.0) and path[-1][0] == pytest.approx(400.0)
    left = {bs: x for _, bs, _, x, _ in m.exits}
    assert set(left) == {"bs502a", "bs503a", "bs504a"}
    assert left["bs502a"] == pytest.approx(r, abs=1.0)
    assert left["bs503a"] == pytest.approx(130 + r, abs=1.0)
    assert m.gaps == [] and m.areas == []
    # Wired groups and links: three domains in two wireless sub-networks, every link drawn.
    assert {"d502", "d503", "d504", "sn1", "sn2"} <= set(m.groups)
    assert len([lk for lk in m.links if lk[2] != "lan"]) == len(topo.links)


def test_redundancy_draws_secondary_uplinks_dashed_and_schematic_above_the_cells():
    s = load_scenario("redundancy")
    topo = build_topology(s)
    m, ax = _draw(s)
    secondary = {(a, b) for a, b, kind, primary in m.links if kind == "domain" and not primary}
    assert ("in276b", "bs278a") in secondary and ("gw274b", "in276a") in secondary
    dashed = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("link:") and ln.get_linestyle() == "--"]
    assert len(dashed) == len(secondary)
    pos = layout(topo)
    top = m.cells["bs278a"]["y"] + m.cells["bs278a"]["r"]
    assert all(pos[n][1] > top for n in topo.nodes if n not in topo.radios and n != "mh1")
    assert pos["gw274a"][0] != pos["gw274b"][0]  # siblings spread, not stacked


def test_crowd_draws_the_random_waypoint_area_and_the_channel_plan():
    m, ax = _draw(load_scenario("crowd"))
    assert m.areas == [(-40.0, -40.0, 430.0, 40.0)] and m.paths == {}
    assert sorted({c["channel"] for c in m.cells.values()}) == [1, 6, 11]
    assert "area" in _gids(ax)


def test_shadowing_draws_a_band_around_the_mean_cell():
    m, _ = _draw(load_scenario("patent-walk", ["wifi.propagation.shadowing_db=6"]))
    c = m.cells["bs502a"]
    assert c["r_lo"] < c["r"] < c["r_hi"]
    # 6 dB at exponent 3: a factor 10 ** (6 / 30) either way.
    assert c["r_hi"] / c["r"] == pytest.approx(10 ** 0.2, rel=1e-3)


def test_cell_radius_follows_the_range_model():
    t = build_topology(load_scenario("patent-walk", ["wifi.propagation.model='range'",
                                                     "wifi.propagation.range_m=60"]))
    assert cell_radius_m(t, "bs502a") == pytest.approx(60.0, abs=0.01)


# ---- a run directory, written by hand (the columns of the results contract) -----------------

HANDOFFS = [
    dict(mh="mh1", t_s=11.040834, kind="inter_domain", old_bs="bs502a", new_bs="bs503a",
         old_domain="d502", new_domain="d503", old_subnet="sn1", new_subnet="sn1",
         last_beacon_s=10.477182, deassoc_s=10.989182, l2_detect_s=0.512, l2_assoc_s=0.051651,
         l2_s=0.563651, mmp_s=0.194654, coa="10.1.0.4"),
    dict(mh="mh1", t_s=24.003715, kind="inter_subnet", old_bs="bs503a", new_bs="bs504a",
         old_domain="d503", new_domain="d504", old_subnet="sn1", new_subnet="sn2",
         last_beacon_s=23.440054, deassoc_s=23.952054, l2_detect_s=0.512, l2_assoc_s=0.05166,
         l2_s=0.56366, mmp_s=0.215113, coa="10.2.0.3"),
    dict(mh="mh1", t_s=37.051845, kind="intra_domain", old_bs="bs504a", new_bs="bs504b",
         old_domain="d504", new_domain="d504", old_subnet="sn2", new_subnet="sn2",
         last_beacon_s=36.488045, deassoc_s=37.000132, l2_detect_s=0.512087, l2_assoc_s=0.051713,
         l2_s=0.5638, mmp_s=0.048287, coa="10.2.0.3"),
]
EVENTS = [
    (0.051714, "mh1", "mobile_host", "attach", "bs502a"),
    (23.952054, "mh1", "mobile_host", "deassoc", "bs503a"),
    (24.003715, "mh1", "mobile_host", "handoff", "bs503a->bs504a inter_subnet"),
    (24.201889, "sn2-drcp", "drcp_server", "drcp_assign", "10.2.0.3 client 00000000002c"),
    (24.205760, "mh1", "mobile_host", "coa", "10.2.0.3/16 lease 60s"),
    (24.206604, "bs504a", "base_station", "cache_created", "10.2.0.3 if2 by Registration"),
    (24.207608, "in504", "intermediate", "cache_created", "10.2.0.3 if2 by Registration"),
    (24.208611, "gw504", "gateway", "cache_created", "10.2.0.3 if2 by Registration"),
    (24.215294, "ch", "correspondent", "mip_update", "10.0.0.10 -> 10.2.0.3"),
    (24.218828, "mh1", "mobile_host", "registered", "10.2.0.3 gw 172.16.0.46 domain 504"),
    (24.5, "in503", "intermediate", "uplink", "if1 gw 172.16.0.18"),  # periodic: left out
]


@pytest.fixture
def run_dir(tmp_path):
    s = load_scenario("patent-walk")
    d = tmp_path / "run"
    d.mkdir()
    table("handoffs", HANDOFFS).to_parquet(d / "handoffs.parquet", index=False)
    table("events", [dict(zip(("t_s", "node", "role", "event", "detail"), e)) for e in EVENTS]
          ).to_parquet(d / "events.parquet", index=False)
    gone = {k for a in (106, 236, 366) for k in range(a, a + 6)}  # 0.6 s gaps, from bin k
    table("timeline", [dict(name="probe", src="ch", dst="mh1", t_s=round(0.1 * k, 1),
                            bytes=0 if k < 10 or k in gone else 1000,
                            packets=0 if k < 10 or k in gone else 5) for k in range(500)]
          ).to_parquet(d / "timeline.parquet", index=False)
    table("flows", []).to_parquet(d / "flows.parquet", index=False)
    (d / "scenario.toml").write_text(tomli_w.dumps(s.model_dump(mode="json", exclude_none=True)))
    (d / "summary.json").write_text(json.dumps({"scenario": "patent-walk", "seed": 1, "sim_time_s": 50.0,
                                                "mobile_hosts": [{"name": "mh1"}]}))
    return d


def test_a_run_directory_adds_its_handoffs_where_they_happened(run_dir):
    m, ax = _draw(run_dir)
    assert [h["kind"] for h in m.handoffs] == ["inter_domain", "inter_subnet", "intra_domain"]
    # On the walk: 10 m/s from x = 0 at 2 s.
    for h in m.handoffs:
        assert h["x"] == pytest.approx(10 * (h["t_s"] - 2), abs=0.01) and h["y"] == 0
    assert m.handoffs[0]["latency_ms"] == pytest.approx(563.651 + 194.654, abs=0.01)
    assert {"handoffs:inter_domain", "handoffs:inter_subnet", "handoffs:intra_domain"} <= _gids(ax)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "758 ms" in texts


def test_timeline_shows_cells_components_and_gaps(run_dir):
    fig, ax = plt.subplots()
    t = draw_timeline(ax, run_dir)
    plt.close(fig)
    assert [c[0] for c in t.cells["mh1"]] == ["bs502a", "bs503a", "bs504a", "bs504b"]
    assert t.cells["mh1"][0][1] == pytest.approx(0.051714) and t.cells["mh1"][-1][2] == 50.0
    assert t.gaps[("mh1", "probe ch->mh1")] == [(10.6, 11.2), (23.6, 24.2), (36.6, 37.2)]
    comps = t.handoffs[1]["components"]
    assert comps["L2 detect"] == (23.440054, 23.952054) and comps["MMP"][1] == pytest.approx(24.218828)


def test_sequence_chart_draws_the_logged_steps_of_one_handoff(run_dir):
    fig, ax = plt.subplots()
    q = draw_sequence(ax, run_dir, host="mh1", handoff=1)
    plt.close(fig)
    assert q.lifelines[:2] == ["mh1", "bs504a"] and {"in504", "gw504", "sn2-drcp", "ch"} <= set(q.lifelines)
    assert "in503" not in q.lifelines  # the periodic up-link entry says nothing about the handoff
    assert ("bs504a", "in504", 24.206604, 24.207608, "Registration") in q.arrows
    assert [c[0] for c in q.components] == ["L2 detect", "L2 assoc", "MMP"]


# ---- the command line -----------------------------------------------------------------------

def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _one_line_error(r, *words):
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.output, r.output
    for w in words:
        assert w in lines[0], lines[0]


def test_draw_writes_pictures(tmp_path, run_dir):
    for args, out in (([("patent-walk")], tmp_path / "map.png"), ([run_dir], tmp_path / "run.svg"),
                      ([run_dir, "--timeline", "--handoff", "2"], tmp_path / "tl.pdf")):
        r = _invoke("draw", *args, "-o", out)
        assert r.exit_code == 0, r.output
        head = out.read_bytes()[:5]
        assert head in (b"\x89PNG\r", b"%PDF-") or head.startswith(b"<?xml")
    before = (tmp_path / "map.png").stat().st_mtime_ns
    assert _invoke("draw", "redundancy", "-o", tmp_path / "map.png").exit_code == 0  # a picture: replaced
    assert (tmp_path / "map.png").stat().st_mtime_ns >= before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png", "run", "run.svg", "tl.pdf"]


def test_draw_hostile_inputs_are_one_line_errors(tmp_path, run_dir):
    notes = tmp_path / "notes.png"
    notes.write_text("my notes")
    (tmp_path / "empty").mkdir()
    cases = [
        (["draw", tmp_path / "missing" / "dir"], ["no such directory"]),
        (["draw", tmp_path / "empty"], ["not a run directory"]),
        (["draw", run_dir, "-o", tmp_path / "x.gif"], ["unknown picture format"]),
        (["draw", run_dir, "-o", tmp_path / "noext"], ["unknown picture format"]),
        (["draw", run_dir, "-o", tmp_path], ["is a directory"]),
        (["draw", run_dir, "-o", notes], ["not replaced"]),
        (["draw", run_dir, "-o", tmp_path / "nodir" / "a.png"], ["no directory"]),
        (["draw", run_dir, "--timeline", "--host", "mh7"], ["--host mh7", "mh1"]),
        (["draw", run_dir, "--timeline", "--handoff", "3"], ["--handoff 3", "0 to 2"]),
        (["draw", run_dir, "--timeline", "--handoff", "-1"], ["--handoff -1"]),
        (["draw", run_dir, "--timeline", "--handoff", "two"], ["--handoff 'two'", "0 or more"]),
        (["draw", run_dir, "--host", "mh1"], ["add --timeline"]),
        (["draw", "patent-walk", "--timeline"], ["run directory"]),
        (["draw", run_dir, "--set", "simulation.seed=2"], ["--set"]),
        (["draw", "no-such-scenario"], ["no-such-scenario"]),
        (["draw", "patent-walk", "--set", "wifi.nope=1"], ["wifi.nope"]),
    ]
    for args, words in cases:
        _one_line_error(_invoke(*args), *words)
    assert notes.read_text() == "my notes"
    (run_dir / "handoffs.parquet").write_text("not parquet")
    _one_line_error(_invoke("draw", run_dir), "handoffs.parquet")
    if os.geteuid() != 0:  # root writes anywhere: the read-only case only means something for others
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        _one_line_error(_invoke("draw", "patent-walk", "-o", ro / "a.png"), "cannot write")


def test_run_observer_options_are_checked_before_ns3(tmp_path):
    """Every one fails before a simulation (and before ns-3 is loaded): nothing is written."""
    trace = tmp_path / "mine.xml"
    trace.write_text("<notes/>")
    cases = [
        (["--netanim", tmp_path], ["is a directory"]),
        (["--netanim", tmp_path / "a.txt"], [".xml"]),
        (["--netanim", trace], ["not replaced"]),
        (["--netanim", tmp_path / "nodir" / "a.xml"], ["no directory"]),
        (["--netanim", tmp_path / "run" / "a.xml"], ["inside the run directory"]),
        (["--netanim-packets"], ["--netanim FILE.xml"]),
    ]
    for extra, words in cases:
        _one_line_error(_invoke("run", "patent-walk", "--out", tmp_path / "run", "-q", *extra), *words)
    assert trace.read_text() == "<notes/>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xml"]


def test_layout_is_finite_for_every_builtin():
    for name in ("patent-walk", "redundancy", "crowd"):
        pos = layout(build_topology(load_scenario(name)))
        assert all(math.isfinite(x) and math.isfinite(y) for x, y in pos.values())


def test_docs_pictures_exist_and_stay_small():
    from conftest import ROOT

    import re

    text = (ROOT / "docs" / "pictures.md").read_text()
    pictures = re.findall(r"\]\((img/[^)]+\.png)\)", text)
    assert len(pictures) >= 6
    for p in pictures:
        size = (ROOT / "docs" / p).stat().st_size
        assert 10_000 < size < 300_000, p
