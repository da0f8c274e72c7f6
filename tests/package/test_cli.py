"""imm-sim: exit codes, one-line errors, nothing written on bad input (a run on ns-3:
tests/sim/test_cli_runs.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from imm_ns3.cli import main
from imm_ns3.cli.docgen import render
from imm_ns3.scenario import builtin_path

from conftest import ROOT


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_validate_builtin():
    r = _invoke("validate", "patent-walk")
    assert r.exit_code == 0, r.output
    assert "patent-walk: valid" in r.output
    assert "base stations 5, gateways 3, intermediate nodes 3" in r.output
    assert "WiFi 802.11g, every cell on channel 1" in r.output
    r = _invoke("validate", "crowd")
    assert "WiFi 802.11g, channel plan 1, 6, 11 (stations scan them all)" in r.output


def _bad_file(tmp_path, old, new):
    text = builtin_path("patent-walk").read_text()
    assert old in text
    p = tmp_path / "bad.toml"
    p.write_text(text.replace(old, new, 1))
    return str(p)


@pytest.mark.parametrize("old,new,expect", [
    ('ssid = "imm"', 'ssid = "imm"\nbogus = 1', "error: wifi.bogus: unknown field"),
    ("backbone = { rate_mbps = 1000.0", "backbone = { rate_mbps = -1000.0",
     "error: links.backbone.rate_mbps: Input should be greater than 0"),
    ("access = { rate_mbps = 100.0, delay_ms = 2.0 }", "access = { rate_mbps = 100.0, delay_ms = -2.0 }",
     "error: links.access.delay_ms: Input should be greater than or equal to 0"),
    ('[nodes.bs502b]\ndomain = "d502"', '[nodes.bs502b]\n', "error: nodes.bs502b.domain: required field is missing"),
    ("waypoints_m = [[0.0, 0.0, 0.0], [400.0, 0.0, 0.0]]", "waypoints_m = []",
     "error: mobility.waypoints_m: List should have at least 1 item"),
    ("speed_mps = 10.0", 'speed_mps = "fast"', "error: mobility.speed_mps: Input should be a valid number"),
])
def test_bad_file_exits_2_and_writes_nothing(tmp_path, old, new, expect):
    path = _bad_file(tmp_path, old, new)
    out = tmp_path / "out"
    for cmd in (["validate", path], ["run", path, "--out", str(out)]):
        r = _invoke(*cmd)
        assert r.exit_code == 2, r.output
        lines = r.output.strip().splitlines()
        assert any(line.startswith(expect) for line in lines), r.output
        assert "Traceback" not in r.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_bad_set_path_exits_2(tmp_path):
    r = _invoke("run", "--set", "mobility.sped=3", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    assert r.output.startswith("error: --set mobility.sped: 'mobility.sped' is not a scenario field")
    assert not (tmp_path / "o").exists()


def test_out_dir_that_is_not_a_run_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    r = _invoke("run", "--out", str(tmp_path))
    assert r.exit_code == 2 and "is not an imm-ns3 run directory" in r.output
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_bad_input_in_a_real_process_fails_before_importing_ns3():
    code = ("import sys, runpy; sys.argv=['imm-sim','run','--set','wifi.channel=99'];"
            "\ntry:\n runpy.run_module('imm_ns3', run_name='__main__')"
            "\nfinally:\n print('NS_IMPORTED' if 'ns' in sys.modules else 'NS_NOT_IMPORTED', file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert p.stderr.startswith("error: wifi.channel: 99 is not a 2.4GHz channel of 802.11g")
    assert "NS_NOT_IMPORTED" in p.stderr


def test_scenario_docs_are_generated_from_the_schema():
    doc = (ROOT / "docs" / "scenario.md").read_text()
    assert render(doc) == doc, "docs/scenario.md is stale: run python -m imm_ns3.cli.docgen"


def test_bad_sweep_files_exit_2_before_any_run(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('scenario = "patent-walk"\nseeds = 5\n')
    bad = tmp_path / "bad.toml"
    bad.write_text('scenario = "patent-walk"\n[grid]\n"mobility.speed_mps" = []\n"wifi.chanel" = [1]\n')
    r = _invoke("sweep", str(good), str(bad), "--out", str(tmp_path / "out"))
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        f"error: {bad}: grid.mobility.speed_mps: empty list; give at least one value",
        f"error: {bad}: grid.wifi.chanel: 'wifi.chanel' is not a scenario field; allowed at this"
        " level: active_probing, beacon_interval_s, channel, lead_min_rssi_dbm, loss, max_missed_beacons,"
        " mh_radios, probe_request_timeout_s, propagation, rate_manager, ssid, standard, tx_power_dbm"]
    assert not (tmp_path / "out").exists()


def test_figures_without_results_is_an_error_naming_the_sweep_to_run(tmp_path):
    out = tmp_path / "figs"
    r = _invoke("figures", "--results", str(tmp_path), "--only", "e4", "--only", "e1",
                "--out", str(out))
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert len(lines) == 2 and all(ln.startswith("error: ") for ln in lines), lines
    assert "e4: no results in" in lines[0]
    assert "imm-sim sweep experiments/e4-mip-vs-miplr.toml" in lines[0]
    assert "e1: no results in" in lines[1]
    assert not out.exists()  # nothing drawn when any figure asked for cannot be
    assert _invoke("figures", "--only", "e99").exit_code == 2


def test_paragraph_index_is_generated_from_the_code():
    from imm_ns3.cli.paragraphs import citations, render

    assert (ROOT / "docs" / "paragraphs.md").read_text() == render(), \
        "docs/paragraphs.md is stale: run python -m imm_ns3.cli.paragraphs"
    index = citations()
    assert "imm_ns3/mmp/node.py" in index["0036"]  # semi-soft hand-off at the crossover
    assert "imm_ns3/sip/agent.py" in index["0075"]  # re-INVITE after a move


def test_one_sweep_file_into_a_directory_of_sweeps_says_what_out_means(tmp_path):
    (tmp_path / "e1-handoff-latency").mkdir()
    (tmp_path / "e1-handoff-latency" / "sweep.json").write_text("{}")
    r = _invoke("sweep", str(ROOT / "experiments" / "e9-security.toml"), "--out", str(tmp_path))
    assert r.exit_code == 2
    assert r.output.strip().endswith(f"(with one sweep file --out is the sweep directory itself,"
                                      f" e.g. {tmp_path / 'e9-security'})")


def test_prepare_prune_keeps_this_version(monkeypatch, tmp_path):
    from imm_ns3.adapter import precompiled

    monkeypatch.setenv("IMM_NS3_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CXX", "/bin/false")
    for f in (precompiled.pch_path(), precompiled.library_path()):  # already built
        f.parent.mkdir(parents=True)
        f.write_bytes(b"\0" * 2_000_000)
    old = tmp_path / "pch-0123456789abcdef0123"
    old.mkdir()
    (old / "ns3.pch").write_bytes(b"\0" * 3_000_000)
    r = _invoke("prepare", "--prune")
    assert r.exit_code == 0, r.output
    assert r.output.count("(already built)") == 2
    assert f"removed {old} (3 MB)" in r.output and "pruned 1 directory, 3 MB" in r.output
    assert not old.exists() and precompiled.pch_path().exists() and precompiled.library_path().exists()


def _experiments(tmp_path, module_text, figure="draw = \"figs:e4\"\ncheck = \"figs:check\""):
    exp = tmp_path / "exp"
    exp.mkdir(exist_ok=True)
    (exp / "e4-mip-vs-miplr.toml").write_text(
        'name = "e4-mip-vs-miplr"\nscenario = "patent-walk"\n[figures.e4]\n' + figure + "\n")
    (exp / "figs.py").write_text(module_text)
    return exp


_GOOD_DRAW = """
import matplotlib.pyplot as plt
def e4(res):
    return plt.figure()
"""


@pytest.mark.parametrize("module_text, figure, msg", [
    (_GOOD_DRAW, 'draw = "nomod:e4"', "no module nomod.py"),
    (_GOOD_DRAW, 'draw = "figs:nothere"', "has no function 'nothere'"),
    ("raise ImportError('broken')", 'draw = "figs:e4"', "figs.py does not load: ImportError: broken"),
    ("def e4(res):\n    raise RuntimeError('boom')", 'draw = "figs:e4"',
     "its draw function raised RuntimeError: boom"),
    ("def e4(res):\n    return None", 'draw = "figs:e4"', "returned NoneType, not a matplotlib Figure"),
    (_GOOD_DRAW + "def check(res):\n    return 42", 'draw = "figs:e4"\ncheck = "figs:check"',
     "its check returned int"),
])
def test_figures_from_a_hostile_experiments_folder_are_one_line(tmp_path, module_text, figure, msg):
    exp = _experiments(tmp_path, module_text, figure)
    out = tmp_path / "figs-out"
    r = _invoke("figures", "--experiments", str(exp), "--results", str(ROOT / "results"),
                "--out", str(out))
    assert r.exit_code == 2 and r.output.count("\n") == 1 and msg in r.output, r.output
    assert not out.exists()


def test_figures_refuse_a_nul_file_name_an_empty_folder_and_damaged_results(tmp_path):
    exp = _experiments(tmp_path, _GOOD_DRAW, 'draw = "figs:e4"\nfile = "a\\u0000b"')
    r = _invoke("figures", "--experiments", str(exp), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "figures.e4.file" in r.output and r.output.count("\n") == 1
    (tmp_path / "empty").mkdir()
    r = _invoke("figures", "--experiments", str(tmp_path / "empty"), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "holds no sweep file" in r.output  # not the checkout's instead
    import shutil

    res = tmp_path / "res"
    shutil.copytree(ROOT / "results" / "e4-mip-vs-miplr", res / "e4-mip-vs-miplr")
    (res / "e4-mip-vs-miplr" / "packed" / "flows.parquet").write_bytes(b"PAR1")
    exp = _experiments(tmp_path, _GOOD_DRAW, 'draw = "figs:e4"')
    r = _invoke("figures", "--experiments", str(exp), "--results", str(res), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "flows.parquet: not a readable" in r.output
    assert not (tmp_path / "o").exists()
