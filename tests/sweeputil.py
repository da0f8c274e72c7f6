"""The small sweep file the sweep tests start from (tests/package/test_sweep.py,
tests/sim/test_sweep_runs.py), and writing one."""

from __future__ import annotations

from pathlib import Path

BASE = """
name = "t"
scenario = "patent-walk"
seeds = {seeds}
[base]
"simulation.duration_s" = 3.0
"tcp.enabled" = false
"sip.enabled" = false
"""


def write_sweep(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p
