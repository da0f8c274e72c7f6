"""Results contract: table schemas, summary, atomic run directories, fingerprints."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from imm_ns3.events import EventLog
from imm_ns3.results import TABLES, RunResult, read_run, signalling_summary, table, write_run, staging_dir


def test_empty_tables_have_contract_columns_and_dtypes():
    for name, schema in TABLES.items():
        df = table(name, [])
        assert list(df.columns) == list(schema)
        assert len(df) == 0


def test_table_keeps_extra_columns_last():
    df = table("handoffs", [{"mh": "mh1", "t_s": 1.0, "kind": "intra_domain", "old_bs": "a",
                             "new_bs": "b", "beacon_wait_s": 0.1}])
    assert list(df.columns)[-1] == "beacon_wait_s"
    assert df["old_domain"].isna().all()


def test_signalling_summary_groups_by_role_and_message():
    rx = {"received": 0, "received_bytes": 0}
    sig = table("signalling", [
        {"node": "gw1", "role": "gateway", "message": "GatewayBeacon", "count": 3, "bytes": 60, **rx},
        {"node": "gw2", "role": "gateway", "message": "GatewayBeacon", "count": 2, "bytes": 40, **rx},
        {"node": "mh1", "role": "mobile_host", "message": "Registration", "count": 1, "bytes": 16, **rx},
        {"node": "gw1", "role": "gateway", "message": "Registration", "count": 0, "bytes": 0,
         "received": 1, "received_bytes": 16},
    ])
    assert signalling_summary(sig) == {
        "gateway": {"GatewayBeacon": {"count": 5, "bytes": 100, "received": 0, "received_bytes": 0},
                    "Registration": {"count": 0, "bytes": 0, "received": 1, "received_bytes": 16}},
        "mobile_host": {"Registration": {"count": 1, "bytes": 16, "received": 0,
                                         "received_bytes": 0}},
    }


def _result():
    tables = {n: table(n, []) for n in TABLES}
    return RunResult({"scenario": "x", "seed": 1}, tables, "name = 'x'\n")


def test_write_run_is_atomic_and_replaces(tmp_path):
    out = tmp_path / "run"
    st = staging_dir(out)
    write_run(_result(), st, out)
    assert not st.exists()
    assert json.loads((out / "summary.json").read_text())["seed"] == 1
    r2 = _result()
    r2.summary["seed"] = 2
    write_run(r2, staging_dir(out), out)
    back = read_run(out)
    assert back.summary["seed"] == 2
    assert set(back.tables) == set(TABLES)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_read_run_refuses_incomplete_directory(tmp_path):
    (tmp_path / "events.parquet").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="not a complete imm-ns3 run directory"):
        read_run(tmp_path)


def test_fingerprint_changes_with_any_field():
    a, b = EventLog(), EventLog()
    for log in (a, b):
        log.record(1, "mh1", "mobile_host", "attach", "bs1")
    assert a.fingerprint() == b.fingerprint()
    b.record(2, "mh1", "mobile_host", "deassoc", "bs1")
    assert a.fingerprint() != b.fingerprint()
    c = EventLog()
    c.record(1, "mh1", "mobile_host", "attach", "bs2")
    assert c.fingerprint() != a.fingerprint()
    assert isinstance(pd.DataFrame(a.rows()).t_s[0], float)


def test_a_damaged_results_directory_is_one_error_naming_the_file(tmp_path):
    import json
    import shutil

    import pytest

    from imm_ns3.analysis import ResultsError, load

    from conftest import ROOT

    def damaged(what):
        d = tmp_path / what
        shutil.copytree(ROOT / "results" / "e1-handoff-latency", d)
        return d

    d = damaged("truncated")
    (d / "packed" / "flows.parquet").write_bytes(b"PAR1xx")
    with pytest.raises(ResultsError, match=r"flows.parquet: not a readable Parquet table"):
        load(d)
    d = damaged("replaced")  # 19 rows of events read as flows, before
    shutil.copy(d / "packed" / "events.parquet", d / "packed" / "flows.parquet")
    with pytest.raises(ResultsError, match=r"flows.parquet: lacks the column\(s\) name"):
        load(d)
    d = damaged("folder")  # read as 0 flows, before
    (d / "packed" / "flows.parquet").unlink()
    (d / "packed" / "flows.parquet").mkdir()
    with pytest.raises(ResultsError, match=r"flows.parquet: not a file"):
        load(d)
    d = damaged("listing")
    (d / "sweep.json").write_text("{")
    with pytest.raises(ResultsError, match=r"sweep.json: not JSON"):
        load(d)
    run = tmp_path / "run"  # a run directory whose summary lacks the seed (KeyError, before)
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"scenario": "x"}))
    with pytest.raises(ResultsError, match=r"summary.json: lacks seed"):
        load(run)
