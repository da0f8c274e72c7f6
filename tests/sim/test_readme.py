"""The README's Python snippet runs as printed and reproduces the numbers results/README.md
reports (issue: examples that drift from the stored results)."""

from __future__ import annotations

import ast
import os
import re

from conftest import ROOT


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_snippet_runs_and_reproduces_the_stored_delays(ns3_ready, monkeypatch):
    blocks = _python_blocks((ROOT / "README.md").read_text())
    assert len(blocks) == 1
    tree = ast.parse(blocks[0])
    # Every expression statement's value is kept, as an interactive session would show it.
    shown = []
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.Expr):
            tree.body[i] = ast.parse("_shown.append(None)").body[0]
            tree.body[i].value.args = [node.value]
    ast.fix_missing_locations(tree)
    monkeypatch.chdir(ROOT)  # the snippet reads results/ relative to a clone
    env = {"_shown": shown}
    exec(compile(tree, "README.md", "exec"), env)
    handoffs, delays = shown
    assert list(handoffs.columns) == ["t_s", "kind", "old_bs", "new_bs", "l2_s"]
    assert set(handoffs.kind) == {"inter_domain", "inter_subnet", "intra_domain"}
    mip = (delays["mip"] * 1e3).round().astype(int).tolist()
    assert mip == [17, 47, 107]  # results/README.md, E4: correspondent -> mobile under Mobile IP
    assert "Mobile IP 17.1, 47.3 and 107.3 ms" in (ROOT / "results" / "README.md").read_text()
    assert not os.path.exists(ROOT / "runs" / "patent-walk-seed2")  # simulate() writes nothing
