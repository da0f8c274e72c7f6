import nbformat as nbf
nb = nbf.v4.new_notebook()
cells = []
cells.append(nbf.v4.new_markdown_cell("""# The patent walk: handoffs and their latency

Reads the stored run in `results/patent-walk/` (made with `imm-sim run --out results/patent-walk`)
and shows where the mobile host was attached over time, and what each handoff cost: the radio
part (802.11 beacon loss and re-association) and the MMP part (Figure 4A: beacon, DRCP,
registration).
It reads stored results only: to analyse another run, point `RUN` at its directory."""))
cells.append(nbf.v4.new_code_cell("""import tomllib
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from imm_ns3.results import read_run

RUN = Path("../results/patent-walk")  # parameter: any run directory
run = read_run(RUN)
scenario = tomllib.loads(run.scenario_toml)
run.summary["scenario"], run.summary["seed"], run.summary["handoffs"]"""))
cells.append(nbf.v4.new_code_cell("""h = run.handoffs
h[["mh", "t_s", "kind", "old_bs", "new_bs", "l2_detect_s", "l2_assoc_s", "l2_s"]].round(4)"""))
cells.append(nbf.v4.new_code_cell("""# Which base station each host is attached to over time (attach and handoff events).
ev = run.events
assoc = ev[ev.event.isin(["attach", "handoff", "reassoc"])].copy()
assoc["bs"] = assoc.detail.str.split("->").str[-1].str.split(" ").str[0]
bs_order = list(scenario["nodes"])
bs_order = [n for n in bs_order if scenario["nodes"][n]["role"] == "base_station"]
colors = {"intra_domain": "tab:green", "inter_domain": "tab:orange", "inter_subnet": "tab:red"}

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5), gridspec_kw={"width_ratios": [2, 1]})
end = run.summary["sim_time_s"]
for mh, g in assoc.groupby("node"):
    ys = [bs_order.index(b) for b in g.bs]
    ax1.step(list(g.t_s) + [end], ys + ys[-1:], where="post", label=mh)
for row in h.itertuples():
    ax1.axvspan(row.last_beacon_s, row.t_s, color=colors[row.kind], alpha=0.3)
ax1.set_yticks(range(len(bs_order)), bs_order)
ax1.set_xlabel("simulated time (s)")
ax1.set_title("attachment (shaded: radio-level interruption)")
cols = ["l2_detect_s", "l2_assoc_s", "beacon_wait_s", "adv_wait_s", "drcp_s", "update_s"]
cols = [c for c in cols if c in h]
parts = h.groupby("kind")[cols].mean().fillna(0) * 1e3
parts.plot.bar(stacked=True, ax=ax2, rot=0)
ax2.set_ylabel("ms")
ax2.set_title("handoff latency by component")
ax2.legend(["radio: detection", "radio: re-association", "MMP: base-station beacon",
            "MMP: DRCP advertisement", "DRCP: address", "registration"][:len(cols)], fontsize=7,
           loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.tight_layout()"""))
cells.append(nbf.v4.new_code_cell("""# Checks that keep this notebook honest when the stored run changes.
assert set(h.kind) <= set(colors)
assert (h.l2_s > 0).all() and (h.l2_s - h.l2_detect_s - h.l2_assoc_s).abs().max() < 1e-9"""))
nb["cells"] = cells
nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbf.write(nb, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "01-patent-walk-handoffs.ipynb"))
