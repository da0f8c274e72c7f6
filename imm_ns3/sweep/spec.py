"""Sweep files: reading and checking them, and expanding a sweep into its runs (cases x grid
combinations x seeds, each validated once)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scenario import (
    BUILTIN_SCENARIOS,
    ScenarioError,
    apply_overrides,
    check_override_path,
    parse_toml_file,
    read_scenario_dict,
    validate_dict,
)
from .store import run_key

SWEEP_KEYS = ("name", "description", "scenario", "seeds", "base", "cases", "grid", "tiny", "figures")
FIGURE_KEYS = ("draw", "file", "check")
TINY_KEYS = ("seeds", "base", "grid", "cases")


class SweepError(ValueError):
    """A sweep that cannot start. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep."""

    key: str
    case: str | None
    params: dict[str, Any]  # the overrides that vary (case and grid), by dotted path
    seed: int
    overrides: dict[str, Any]  # everything applied to the scenario: base, case, grid
    scenario: str  # built-in name or absolute path (what a worker loads)
    source: str = ""  # the same as the sweep file names it (stored: no path of this machine)


@dataclass
class Sweep:
    name: str
    scenario: str
    seeds: list[int]
    base: dict[str, Any] = field(default_factory=dict)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    description: str = ""
    file: str | None = None
    # Figures drawn from this sweep's results (imm-sim figures): id -> {"draw": "module:function"
    # (the module beside the sweep file), "file": output name without extension}.
    figures: dict[str, dict[str, str]] = field(default_factory=dict)

    case_scenarios: dict[str, str] = field(default_factory=dict)  # case -> its own scenario
    _runs: list[RunSpec] | None = field(default=None, repr=False, compare=False)

    def portable(self, source: str) -> str:
        """A scenario source as stored in ``sweep.json`` and manifests: a built-in name, or a
        file relative to the sweep file's folder (``scenarios/e3-flat.toml``), never a path of
        the machine that ran the sweep."""
        if source in BUILTIN_SCENARIOS or not self.file:
            return source if source in BUILTIN_SCENARIOS else Path(source).name
        base = Path(self.file).resolve().parent
        try:
            return Path(source).resolve().relative_to(base).as_posix()
        except ValueError:
            return Path(source).name

    def stored_file(self) -> str | None:
        """The sweep file as stored: relative to the working directory when it lies under it
        (``experiments/e1-handoff-latency.toml``), else its name."""
        if not self.file:
            return None
        f = Path(self.file)
        if not f.is_absolute():
            return f.as_posix()
        try:
            return f.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return f.name

    def expand(self) -> list[RunSpec]:
        """Every run, in a stable order: case, grid combination, seed. Each combination is
        validated (once: the list is kept); every invalid one is a line of the SweepError."""
        if self._runs is None:
            self._runs = self._expand()
        return self._runs

    def _expand(self) -> list[RunSpec]:
        paths = list(self.grid)
        out, problems = [], []
        for case, case_over in (self.cases or {None: {}}).items():
            source = self.case_scenarios.get(case, self.scenario) if case else self.scenario
            data, _ = read_scenario_dict(source)
            for values in itertools.product(*(self.grid[p] for p in paths)):
                varied = {**case_over, **dict(zip(paths, values))}
                overrides = {**self.base, **varied}
                try:
                    scenario = validate_dict(apply_overrides(data, overrides))
                except ScenarioError as e:
                    label = ", ".join(f"{k}={v!r}" for k, v in dict(zip(paths, values)).items())
                    head = f"case {case}: " if case else ""
                    problems += [f"run {head}{label or '(base)'}: {m}" for m in e.problems]
                    continue
                label = self.portable(source)
                out += [RunSpec(run_key(scenario, seed), case, varied, seed, overrides, source,
                                label) for seed in self.seeds]
        if problems:
            raise SweepError(_unique(problems))
        return out


# ---- loading and validating a sweep file --------------------------------------------------
def _flatten(d: Any, prefix: str = "", where: str = "") -> dict[str, Any]:
    """A table of overrides as ``{dotted.path: value}``. The same field given twice (a dotted
    key and a table, ``"a.b" = 1`` and ``[base.a] b = 2``) is an error, not a silent choice."""
    if not isinstance(d, dict):
        raise SweepError([f"{where or prefix.rstrip('.')}: a table of overrides"
                          f" (dotted path = value), got {_brief(d)}"])
    out: dict[str, Any] = {}
    for k, v in d.items():
        path = f"{prefix}{k}"
        items = _flatten(v, path + ".", where) if isinstance(v, dict) else {path: v}
        for key, value in items.items():
            if key in out:
                raise SweepError([f"{where + '.' if where else ''}{key}: given twice (a dotted key"
                                  " and a table name the same field); give it once"])
            out[key] = value
    return out


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _brief(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _source(src: str, sweep_file: Path) -> str:
    """A built-in scenario name, or a scenario file resolved against the sweep file's folder."""
    if src in BUILTIN_SCENARIOS:
        return src
    p = Path(src)
    return str(p if p.is_absolute() else (sweep_file.parent / p).resolve())


MAX_SEEDS = 10_000  # seeds of one sweep
MAX_GRID_VALUES = 1_000  # values of one grid field
MAX_RUNS = 100_000  # runs of one sweep (cases x grid combinations x seeds)
MAX_COMBINATIONS = 10_000  # cases x grid combinations (each is validated before anything runs)


def _seeds(v: Any, where: str) -> list[int]:
    if isinstance(v, int) and not isinstance(v, bool) and v > MAX_SEEDS:
        raise SweepError([f"{where}: at most {MAX_SEEDS} seeds, got {v}"])
    if isinstance(v, list) and len(v) > MAX_SEEDS:
        raise SweepError([f"{where}: at most {MAX_SEEDS} seeds, got a list of {len(v)}"])
    if isinstance(v, bool):
        raise SweepError([f"{where}: a number of seeds (1..N) or a list of seeds, got {v!r}"])
    if isinstance(v, int):
        if v < 1:
            raise SweepError([f"{where}: at least 1 seed, got {v}"])
        return list(range(1, v + 1))
    if isinstance(v, list) and v and all(isinstance(x, int) and not isinstance(x, bool)
                                         and 1 <= x < 2**31 for x in v):
        if len(set(v)) != len(v):
            raise SweepError([f"{where}: seeds repeat: {v}"])
        return list(v)
    raise SweepError([f"{where}: a number of seeds (1..N) or a non-empty list of seeds"
                      f" (integers from 1), got {v!r}"])


def _figures(raw: Any) -> dict[str, dict[str, str]]:
    """``[figures.ID]`` tables: ``draw = "module:function"``, an optional ``file`` name and an
    optional ``check = "module:function"`` returning the figure's model-check rows."""
    if not isinstance(raw, dict):
        raise SweepError(["figures: a table of figures, e.g. [figures.e1] draw = \"e1:draw\""])
    out, problems = {}, []
    for fid, f in raw.items():
        if not isinstance(f, dict):
            problems.append(f"figures.{fid}: a table with draw = \"module:function\"")
            continue
        problems += [f"figures.{fid}.{k}: unknown field; allowed: {', '.join(FIGURE_KEYS)}"
                     for k in f if k not in FIGURE_KEYS]
        draw = f.get("draw")
        if not (isinstance(draw, str) and draw.count(":") == 1 and all(draw.split(":"))):
            problems.append(f"figures.{fid}.draw: 'module:function' (the module beside the sweep"
                            f" file), got {draw!r}")
        name = f.get("file", fid)
        if not (isinstance(name, str) and _NAME.match(name)):
            problems.append(f"figures.{fid}.file: a file name without folders, got {name!r}")
        check = f.get("check")
        if check is not None and not (isinstance(check, str) and check.count(":") == 1
                                      and all(check.split(":"))):
            problems.append(f"figures.{fid}.check: 'module:function' (the module beside the sweep"
                            f" file), got {check!r}")
        out[str(fid)] = {"draw": draw, "file": name, **({"check": check} if check else {})}
    if problems:
        raise SweepError(problems)
    return out


def load_sweep(path: str | Path, tiny: bool = False) -> Sweep:
    """Read and check a sweep file: every problem is one line naming the field; nothing runs."""
    path = Path(path)
    if not path.exists():
        raise SweepError([f"sweep: no file {str(path)!r}"])
    try:
        raw = parse_toml_file(path, "sweep")
    except ScenarioError as e:
        raise SweepError(e.problems) from None
    problems = [f"{k}: unknown field; allowed: {', '.join(SWEEP_KEYS)}" for k in raw
                if k not in SWEEP_KEYS]
    if "scenario" not in raw:
        problems.append("scenario: missing; give a built-in scenario"
                        f" ({', '.join(BUILTIN_SCENARIOS)}) or a file")
    if problems:
        raise SweepError(problems)
    for k in ("base", "grid", "cases", "tiny"):
        if k in raw and not isinstance(raw[k], dict):
            problems.append(f"{k}: a table, got {_brief(raw[k])}")
    for k in ("name", "description"):
        if k in raw and not (isinstance(raw[k], str) and raw[k].isprintable()
                             and len(raw[k]) <= 10_000):
            problems.append(f"{k}: printable text (no control characters), at most 10000"
                            f" characters, got {_brief(raw[k])}")
    if problems:
        raise SweepError(problems)
    if tiny:
        t = raw.get("tiny") or {}
        bad = [k for k in t if k not in TINY_KEYS]
        if bad:
            raise SweepError([f"tiny.{k}: unknown field; allowed: {', '.join(TINY_KEYS)}" for k in bad])
        for k in ("seeds", "cases"):
            if k in t:
                raw[k] = t[k]
        if "base" in t:
            raw["base"] = {**_flatten(raw.get("base", {}), where="base"),
                           **_flatten(t["base"], where="tiny.base")}
        if "grid" in t:
            raw["grid"] = {**_flatten(raw.get("grid", {}), where="grid"),
                           **_flatten(t["grid"], where="tiny.grid")}

    scen = raw["scenario"]
    if not isinstance(scen, str):
        raise SweepError([f"scenario: a built-in name or a file path, got {scen!r}"])
    scen = _source(scen, path)
    try:
        data, _ = read_scenario_dict(scen)
    except ScenarioError as e:
        raise SweepError([f"scenario: {m}" for m in e.problems]) from None

    seeds = _seeds(raw.get("seeds", 1), "seeds")
    base = _flatten(raw.get("base", {}), where="base")
    cases_raw = raw.get("cases", {})
    if not isinstance(cases_raw, dict):
        raise SweepError(["cases: a table of named tables of overrides"])
    cases, case_scen, case_data = {}, {}, {}
    for name, over in cases_raw.items():
        if not isinstance(over, dict) or not over:
            problems.append(f"cases.{name}: a non-empty table of overrides")
            continue
        over = dict(over)
        if not _NAME.match(str(name)):
            problems.append(f"cases.{_brief(name)}: a case name of letters, digits, '.', '_' and"
                            " '-' (at most 100 characters)")
            continue
        if "scenario" in over:  # a case may run another scenario (e.g. another topology)
            src = over.pop("scenario")
            if not isinstance(src, str):
                problems.append(f"cases.{name}.scenario: a built-in name or a file path")
                continue
            src = _source(src, path)
            try:
                case_data[name], _ = read_scenario_dict(src)
            except ScenarioError as e:
                problems += [f"cases.{name}.scenario: {m}" for m in e.problems]
                continue
            case_scen[name] = src
        try:
            cases[name] = _flatten(over, where=f"cases.{name}")
        except SweepError as e:
            problems += e.problems
    grid = _flatten(raw.get("grid", {}), where="grid")
    for k, v in grid.items():
        if not isinstance(v, list):
            problems.append(f"grid.{k}: a list of values, got {_brief(v)}")
        elif not v:
            problems.append(f"grid.{k}: empty list; give at least one value")
        elif len(v) > MAX_GRID_VALUES:
            problems.append(f"grid.{k}: {len(v)} values; at most {MAX_GRID_VALUES}")
        else:
            seen: list[Any] = []
            for x in v:
                if any(type(x) is type(y) and x == y for y in seen):
                    problems.append(f"grid.{k}: {_brief(x)} is given twice; each value runs once")
                    break
                seen.append(x)
    if not problems:
        combos = max(1, len(cases))
        for v in grid.values():
            combos *= len(v)
        n_runs = combos * len(seeds)
        if combos > MAX_COMBINATIONS:
            problems.append(f"grid: {combos:.3g} combinations (cases x grid values); a sweep has"
                            f" at most {MAX_COMBINATIONS}: split it into several sweep files")
        elif n_runs > MAX_RUNS:
            problems.append(f"grid: {n_runs:.3g} runs (cases x grid combinations x seeds); a sweep"
                            f" has at most {MAX_RUNS}: split it into several sweep files")
    # Every override path must exist in the scenario it applies to (base and grid: in every
    # case's scenario).
    every = [case_data.get(c, data) for c in cases] or [data]
    first_values = {k: v[0] for k, v in grid.items() if isinstance(v, list) and v}
    checks = ([("base", base, every), ("grid", first_values, every)]
              + [(f"cases.{c}", o, [case_data.get(c, data)]) for c, o in cases.items()])
    for where, over, datas in checks:
        for k in over:
            for d in datas:
                try:
                    check_override_path(d, k)
                except ScenarioError as e:
                    problems += [m.replace("--set ", f"{where}.", 1) for m in e.problems]
                    break
    if problems:
        raise SweepError(_unique(problems))
    figures = _figures(raw.get("figures", {}))
    name = raw.get("name", path.stem)
    if not (isinstance(name, str) and _NAME.match(name)):
        raise SweepError([f"name: letters, digits, '.', '_' and '-', starting with a letter or"
                          f" digit, at most 100 characters (it names the sweep's directory),"
                          f" got {_brief(name)}"])
    sweep = Sweep(name=name, scenario=scen, seeds=seeds, base=base,
                  cases=cases, grid=grid, description=str(raw.get("description", "")),
                  file=str(path), case_scenarios=case_scen, figures=figures)
    sweep.expand()  # every combination must be a valid scenario before anything runs
    return sweep
