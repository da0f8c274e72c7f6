"""Run directories: what manifest.json records, the default directory, and the checks that an
--out may be written and holds no other run."""

from __future__ import annotations

from pathlib import Path

from .._version import __version__
from ..scenario import BUILTIN_SCENARIOS, Scenario
from .main import main


def run_manifest(scenario: str, overrides: tuple[str, ...], seed: int) -> dict:
    """What ``manifest.json`` of a run directory records of how it was made: the code version
    and commit (what ``imm-sim reproduce`` reports), the scenario as named and the overrides."""
    import sys as _sys

    from ..adapter.runtime import ns3_version
    from ..sweep.store import code_version, git_commit

    named = scenario if scenario in BUILTIN_SCENARIOS else Path(scenario).name
    return {"scenario": named, "overrides": list(overrides), "seed": seed,
            "imm_ns3_version": __version__, "code_version": code_version(),
            "git_commit": git_commit(), "python": _sys.version.split()[0],
            "ns3_version": ns3_version()}


def default_run_dir(s: Scenario, seed: int, overrides: tuple[str, ...]) -> Path:
    """``runs/<name>-seed<N>``; with ``--set`` overrides, a suffix naming them (a hash of the
    overrides as given), so runs of different overrides never share a directory."""
    import hashlib

    name = f"{s.name}-seed{seed}"
    if overrides:
        name += "-" + hashlib.sha256("\n".join(overrides).encode()).hexdigest()[:8]
    return Path("runs") / name


def unwritable_dir(out_dir: Path, option: str = "--out") -> str | None:
    """Why a results directory cannot be made at ``out_dir`` (a file in the way, a folder
    nobody may write), checked before any simulation, without creating anything; or None."""
    import os
    import tempfile

    p = Path(out_dir)
    if p.exists() and not p.is_dir():
        return f"{option} {out_dir}: exists and is not a directory"
    anc = p.parent if not p.exists() else p
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        return f"{option} {out_dir}: {anc} is not a directory"
    try:
        fd, probe = tempfile.mkstemp(prefix=".imm-probe-", dir=anc)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return f"{option} {out_dir}: cannot write in {anc} ({e.strerror or e})"
    return None


def replaces_another_run(out_dir: Path, s: Scenario, seed: int) -> str | None:
    """Why writing this run to ``out_dir`` would replace something else, or None. A run
    directory may be rewritten only by the same scenario and seed (a rerun)."""
    import json

    import tomli_w

    from ..results import foreign_entries

    unwritable = unwritable_dir(out_dir)
    if unwritable:
        return unwritable
    if not out_dir.exists():
        return None
    if not (out_dir / "summary.json").exists():
        return f"--out {out_dir}: exists and is not an imm-ns3 run directory; choose another path"
    try:
        old_seed = json.loads((out_dir / "summary.json").read_text()).get("seed")
        old_scenario = (out_dir / "scenario.toml").read_text()
    except (OSError, ValueError):
        old_seed, old_scenario = None, None
    if old_seed == seed and old_scenario == tomli_w.dumps(s.model_dump(mode="json", exclude_none=True)):
        foreign = foreign_entries(out_dir)
        if foreign:
            return (f"--out {out_dir}: holds the same run and files no run wrote"
                    f" ({', '.join(foreign[:5])}); a rerun would replace the directory, so it"
                    " is refused: move them, or choose another --out")
        return None
    return (f"--out {out_dir}: holds another run (a different scenario or seed); it is never"
            " replaced: choose another --out, or remove it first")


if __name__ == "__main__":  # pragma: no cover
    main()
