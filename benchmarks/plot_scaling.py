"""Draw the cost per host-second from benchmark rows (``bench_run.py --json`` output, one JSON
object per line): wall seconds per simulated host-second of imm-ns3, of the part of it spent in
Python callbacks, and of the plain C++ program (same frames on the air; with traffic, the same
flows over a bridged 802.11 network), one panel for signalling only and one with traffic.

    .venv/bin/python benchmarks/plot_scaling.py benchmarks/results-2026-11-28.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    kinds = [(False, "patent-walk walks, signalling only"), (True, "crowd traffic (calls, downloads)")]
    kinds = [(t, label) for t, label in kinds if any(r["traffic"] == t for r in rows)]
    fig, axes = plt.subplots(1, len(kinds), figsize=(6 * len(kinds), 3.8), squeeze=False)
    for ax, (traffic, label) in zip(axes[0], kinds):
        sel = sorted((r for r in rows if r["traffic"] == traffic), key=lambda r: r["hosts"])
        hosts = [r["hosts"] for r in sel]

        def per_host_second(key: str, sel=sel) -> list[float]:
            return [r[key] / (r["hosts"] * r["sim_s"]) * 1e3 for r in sel]

        ax.plot(hosts, per_host_second("imm_wall_s"), "o-", label="imm-ns3, whole run")
        ax.plot(hosts, per_host_second("python_wall_s"), "s--", label="imm-ns3, in Python callbacks")
        ax.plot(hosts, per_host_second("cpp_wall_s"), "^-",
                label="plain C++ ns-3, same flows" if traffic else "plain C++ ns-3, same frames on the air")
        if all("cpp_radio_only_s" in r for r in sel):
            ax.plot(hosts, per_host_second("cpp_radio_only_s"), "v:", label="plain C++ ns-3, radio only")
        ax.set_xscale("log")
        ax.set_xlabel(f"mobile hosts ({label}, {sel[0]['sim_s']:g} s)")
        ax.set_ylabel("wall ms per simulated host-second")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(path).with_suffix(".png")
    fig.savefig(out, dpi=150)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
