"""Golden fingerprints (tests/golden.py): every pinned case computes what it computed when the
file was last written. A failure lists what moved; if the change is deliberate, regenerate with
``.venv/bin/python tests/golden.py --write`` and say why in the commit message."""

from __future__ import annotations

import pytest

from golden import CASES, load_golden, run_case


def _diff(want: dict, got: dict, path: str = "") -> list[str]:
    out = []
    for k in sorted(set(want) | set(got)):
        a, b = want.get(k), got.get(k)
        here = f"{path}.{k}" if path else k
        if isinstance(a, dict) and isinstance(b, dict):
            out += _diff(a, b, here)
        elif a != b:
            out.append(f"{here}: golden {a!r}, now {b!r}")
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_matches_its_golden_record(ns3_ready, case):
    want = {k: v for k, v in load_golden()[case.name].items()
            if k not in ("scenario", "overrides", "seed", "why")}
    got = run_case(case)
    problems = _diff(want, got)
    assert not problems, (f"{case.name} changed behaviour ({case.why}):\n  " + "\n  ".join(problems)
                          + "\nIf deliberate: .venv/bin/python tests/golden.py --write "
                          + case.name + " and say why in the commit.")
