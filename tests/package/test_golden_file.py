"""The golden file (tests/golden/fingerprints.json) lists every case of tests/golden.py, with its
scenario, overrides and seed."""

from __future__ import annotations

from golden import CASES, GOLDEN_FILE, load_golden


def test_golden_file_lists_every_case():
    golden = load_golden()
    assert [c.name for c in CASES] == list(golden), (
        f"{GOLDEN_FILE} is out of date with tests/golden.py: run tests/golden.py --write")
    for c in CASES:
        g = golden[c.name]
        assert (g["scenario"], g["overrides"], g["seed"]) == (c.scenario, c.overrides, c.seed)
