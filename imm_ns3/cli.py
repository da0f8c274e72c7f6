"""``imm-sim``: run and check scenarios from the command line.

Exit codes: 0 success; 1 the simulation failed (a callback raised; nothing is left behind);
2 bad input (scenario file, ``--set``, options), reported one problem per line before ns-3 is
even imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .report import format_summary
from .scenario import DEFAULT_SCENARIO, BUILTIN_SCENARIOS, Scenario, ScenarioError, load_scenario
from .topology import scan_channels, station_channel


class _BadInput(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:  # one line per problem, no usage banner
        for line in self.message.splitlines():
            click.echo(f"error: {line}", err=True)


def _load(scenario: str, overrides: tuple[str, ...]) -> tuple[Scenario, "object"]:
    from .topology import plan_or_error

    try:
        s = load_scenario(scenario, list(overrides))
        return s, plan_or_error(s)
    except ScenarioError as e:
        raise _BadInput("\n".join(e.problems)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="imm-sim")
def main() -> None:
    """Integrated Mobility Management (MMP, MIP-LR, SIP mobility) on ns-3."""
    from .adapter.precompiled import mode  # noqa: PLC0415 (imports no ns-3)

    try:
        mode()
    except ValueError as e:
        raise _BadInput(str(e)) from None


_SET_HELP = ("Override a scenario field by dotted path, e.g. --set mobility.speed_mps=10 "
             "(VALUE is read as TOML, else as a string). Repeatable.")


@main.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=_SET_HELP)
@click.option("--seed", type=click.IntRange(1, 2**31 - 1), default=None,
              help="ns-3 RngRun (default: simulation.seed of the scenario).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Results directory (default: runs/<scenario>-seed<N>, plus a suffix naming"
                   " the --set overrides). A directory holding another run is never replaced.")
@click.option("--pcap", is_flag=True, help="Write pcap files of every device under OUT/pcap/.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def run(scenario: str, overrides: tuple[str, ...], seed: int | None, out_dir: Path | None,
        pcap: bool, quiet: bool) -> None:
    """Run one simulation of SCENARIO (a file, or a built-in name; default: patent-walk)."""
    s, topo = _load(scenario, overrides)
    seed = seed if seed is not None else s.simulation.seed
    out_dir = out_dir or default_run_dir(s, seed, overrides)
    problem = replaces_another_run(out_dir, s, seed)
    if problem:
        raise _BadInput(problem)
    from .adapter import CallbackError, run_scenario

    import signal

    from .cost import WARN_ABOVE_S, estimate

    cost = estimate(s)
    if cost.wall_s > WARN_ABOVE_S and not quiet:
        click.echo(f"note: {cost.line()}; Ctrl-C stops it", err=True)

    def terminate(signum, frame):  # SIGTERM as Ctrl-C: stop, write nothing, exit 130
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    if not quiet:
        click.echo(f"{s.name} seed {seed}: loading ns-3 ...", err=True)
    try:
        result = run_scenario(s, seed=seed, out_dir=out_dir, pcap=pcap, progress=not quiet,
                              scenario_file=None if scenario in BUILTIN_SCENARIOS else scenario,
                              manifest=run_manifest(scenario, overrides, seed))
    except CallbackError as e:
        click.echo(f"error: {e}", err=True)
        click.echo(e.traceback_text.rstrip(), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
    if not quiet:
        click.echo(format_summary(result.summary, result.handoffs, out_dir))


@main.command("list")
def list_scenarios() -> None:
    """The built-in scenarios, one line each."""
    from .scenario import read_scenario_dict

    for name in BUILTIN_SCENARIOS:
        data, _ = read_scenario_dict(name)
        click.echo(f"{name:<14} {data.get('description', '')}")
    click.echo("\nimm-sim show NAME > my.toml   copies one to edit; imm-sim validate my.toml checks it.")


@main.command()
@click.argument("name")
def show(name: str) -> None:
    """Print a built-in scenario's file (redirect it into your own: imm-sim show NAME > my.toml)."""
    from .scenario import builtin_path

    if name not in BUILTIN_SCENARIOS:
        raise _BadInput(f"show {name}: no built-in scenario of that name; built-in:"
                        f" {', '.join(BUILTIN_SCENARIOS)}")
    click.echo(builtin_path(name).read_text(), nl=False)


@main.command()
@click.argument("scenario")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=_SET_HELP)
def validate(scenario: str, overrides: tuple[str, ...]) -> None:
    """Check SCENARIO without running it, and describe the network it declares."""
    s, topo = _load(scenario, overrides)
    roles = topo.roles()
    click.echo(f"{s.name}: valid")
    click.echo(f"  sub-networks {len(s.subnets)} ({sum(sn.kind == 'wireless' for sn in s.subnets.values())}"
               f" wireless), domains {len(s.domains)}, base stations {roles.get('base_station', 0)},"
               f" gateways {roles.get('gateway', 0)}, intermediate nodes {roles.get('intermediate', 0)}")
    click.echo(f"  nodes {len(topo.nodes)}, wired links {len(topo.links)}, LANs {len(topo.lans)},"
               f" mobile hosts {len(topo.mobile_hosts)} ({_models(topo)})")
    plan = scan_channels(s)
    click.echo(f"  WiFi {s.wifi.standard}, " + (
        f"channel plan {', '.join(map(str, plan))} (stations scan them all)" if plan
        else f"every cell on channel {station_channel(s)}"))
    click.echo(f"  simulated time {s.simulation.duration_s:g} s, seed {s.simulation.seed}")
    from .cost import estimate

    click.echo(f"  {estimate(s).line()}")
    from .coverage import coverage_warnings

    for w in coverage_warnings(topo):
        click.echo(w)


@main.command()
@click.argument("sweep_files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workers", "-j", type=click.IntRange(1, 1024), default=None,
              help="Local worker processes (default: the number of CPUs). Each imports ns-3 once.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on a Dask cluster instead, e.g. tcp://head:8786 (see docs/sweeps.md).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Sweep directory (default: runs/<sweep name>); with several sweep files, the"
                   " directory that holds one <sweep name>/ each (default: runs).")
@click.option("--tiny", is_flag=True, help="Apply each file's [tiny] section (a few short runs).")
@click.option("--skip-failed", is_flag=True, help="Do not retry runs recorded as failed.")
@click.option("--pack", "pack_after", is_flag=True,
              help="Afterwards, pack each sweep directory's runs (see imm-sim pack).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def sweep(sweep_files: tuple[Path, ...], workers: int | None, scheduler: str | None,
          out_dir: Path | None, tiny: bool, skip_failed: bool, pack_after: bool,
          quiet: bool) -> None:
    """Run every run of SWEEP_FILE... that is not already in its sweep directory.

    Several files share one pool of workers, each of which imports ns-3 once."""
    import os

    from .sweep import SweepError, load_sweep, run_sweeps

    items, problems = [], []
    for f in sweep_files:
        try:
            sw = load_sweep(f, tiny=tiny)
            n_runs = len(sw.expand())
        except (SweepError, ScenarioError) as e:
            problems += [f"{f}: {p}" if len(sweep_files) > 1 else p for p in e.problems]
            continue
        if len(sweep_files) == 1:
            out = out_dir or Path("runs") / sw.name
        else:
            out = (out_dir or Path("runs")) / sw.name
        if (out.exists() and any(out.iterdir()) and not (out / "runs").exists()
                and not (out / "packed").exists()):
            # A directory of sweep directories: the form --out takes with several files.
            holds_sweeps = any((out / d / "sweep.json").exists() for d in os.listdir(out))
            hint = (f" (with one sweep file --out is the sweep directory itself, e.g."
                    f" {out / sw.name})" if len(sweep_files) == 1 and holds_sweeps else "")
            problems.append(f"--out {out}: exists and is not a sweep directory; choose another"
                            f" path{hint}")
        unwritable = unwritable_dir(out)
        if unwritable:
            problems.append(unwritable)
        items.append((sw, out, n_runs))
    if problems:
        raise _BadInput("\n".join(problems))
    n = workers or os.cpu_count() or 1
    if not quiet:
        for sw, out, n_runs in items:
            click.echo(f"{sw.name}: {n_runs} runs ({len(sw.cases) or 1} cases, {len(sw.seeds)} seeds)"
                       f" -> {out}/", err=True)
        click.echo(f"on {scheduler}" if scheduler else f"{n} local workers", err=True)
    try:
        reports = run_sweeps([(sw, out) for sw, out, _ in items], workers=n, scheduler=scheduler,
                             progress=not quiet, skip_failed=skip_failed)
    except SweepError as e:
        raise _BadInput("\n".join(e.problems)) from None
    for (sw, out, _), report in zip(items, reports):
        click.echo(f"{sw.name}: {report.line()}")
        if pack_after and not report.interrupted:
            _pack_line(out)
    if any(r.interrupted for r in reports):
        sys.exit(130)
    if any(r.failed for r in reports):
        sys.exit(1)


def _pack_line(out: Path, prune: bool = False) -> None:
    from .sweep.store import pack

    now, total, size = pack(out, prune=prune)
    click.echo(f"{out}: packed {now} runs now, {total} in {out / 'packed'}/ ({size / 1e6:.1f} MB)")


@main.command("pack")
@click.argument("sweep_dirs", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--prune", is_flag=True,
              help="Keep only the runs SWEEP_DIR/sweep.json lists (the sweep as last invoked):"
                   " drop runs of earlier code versions or removed cases.")
def pack_cmd(sweep_dirs: tuple[Path, ...], prune: bool) -> None:
    """Pack the complete runs of each sweep directory into SWEEP_DIR/packed/: one Parquet file
    per table for all runs, and their summaries, manifests and scenarios. The run directories
    are removed; the sweep treats packed runs as done, and imm_ns3.results.load reads them.
    Hundreds of short runs shrink tenfold or more: pack results before committing them."""
    from .sweep.store import SweepDirError, read_listing

    problems = []
    for d in sweep_dirs:
        try:
            read_listing(d)
        except SweepDirError as e:
            problems.append(str(e))
            continue
        if not (d / "runs").exists() and not (d / "packed").exists():
            problems.append(f"{d}: not a sweep directory (no runs/ or packed/)")
    if problems:
        raise _BadInput("\n".join(problems))
    for d in sweep_dirs:
        try:
            _pack_line(d, prune=prune)
        except SweepDirError as e:
            raise _BadInput(str(e)) from None
        except (OSError, ValueError) as e:  # pyarrow's errors are ValueErrors (ArrowInvalid)
            raise _BadInput(f"{d}: cannot read what is stored there ({type(e).__name__}: "
                            f"{str(e).splitlines()[0] if str(e) else ''}); nothing was packed")


@main.command()
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Directory holding the experiments' sweep directories (e1, e2, ...).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Where to write the figures (default: RESULTS/figures).")
@click.option("--only", multiple=True, help="Only these figures (e.g. --only e1).")
@click.option("--experiments", "experiments_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Directory of sweep files declaring [figures] (default: the"
                                 " checkout's experiments/).")
def figures(results_dir: Path, out_dir: Path | None, only: tuple[str, ...],
            experiments_dir: Path | None) -> None:
    """Redraw every figure from stored results (PNG and PDF), stamped with their versions.

    Results are read from each sweep's pack (RESULTS/<sweep>/packed/, what is committed), its
    run directories (RESULTS/<sweep>/runs/), or both. A figure whose results are missing is an
    error (exit 1, one line each naming the sweep to run) unless --only leaves it out; then
    nothing is drawn."""
    from .figures import FigureError, MissingResults, discover, draw_all
    from .sweep import SweepError

    try:
        found = discover(experiments_dir)
    except (FileNotFoundError, SweepError, ValueError) as e:
        raise _BadInput(f"--experiments: {e}") from None
    bad = [o for o in only if o not in found]
    if bad:
        raise _BadInput(f"--only {bad[0]}: unknown figure; allowed: {', '.join(found)}")
    out_dir = out_dir or results_dir / "figures"
    for where, option in ((out_dir, "--out"), (results_dir, "--results")):
        unwritable = unwritable_dir(where, option)
        if unwritable:
            raise _BadInput(unwritable)
    try:
        lines = draw_all(results_dir, out_dir, only or None, figures=found)
    except MissingResults as e:
        for line in e.lines:
            click.echo(f"error: {line}", err=True)
        sys.exit(1)
    except FigureError as e:
        raise _BadInput(f"{e}; nothing was drawn") from None
    for line in lines:
        click.echo(line)


@main.command()
@click.argument("sweep_dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results"), show_default=True,
              help="Without SWEEP_DIR: every sweep directory (with a sweep.json) under this one.")
@click.option("--per-sweep", "per_sweep", type=click.IntRange(1, 1_000_000), default=None,
              metavar="N", help="Rerun N runs of each sweep (a seeded sample; see --sample-seed).")
@click.option("--all", "all_runs", is_flag=True, help="Rerun every stored run.")
@click.option("--sample-seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Which runs the sample takes (the same seed, the same runs).")
@click.option("--shortest", is_flag=True,
              help="Take the N runs whose stored wall time was shortest instead (cheap: CI).")
@click.option("--workers", "-j", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="Worker processes (each imports ns-3 once); 1 reruns in this process.")
@click.option("--keep", type=click.Path(path_type=Path), default=None,
              help="Keep the reruns under this directory (KEEP/<sweep>/runs/<key>).")
@click.option("--quiet", "-q", is_flag=True, help="Only the line per sweep.")
def reproduce(sweep_dirs: tuple[Path, ...], results_dir: Path, per_sweep: int | None,
              all_runs: bool, sample_seed: int, shortest: bool, workers: int,
              keep: Path | None, quiet: bool) -> None:
    """Rerun stored runs with this checkout's code and compare every table (numbers to 1e-9,
    strings exactly) and the summary's results with what is stored.

    \b
    Prints per sweep "reproduced" or its first difference (table, column, row, stored vs now,
    both code versions); exit 1 on any difference or failed rerun. Each run is rerun from its
    stored scenario.toml and seed. Without SWEEP_DIR, every sweep under --results.
    imm-sim reproduce --per-sweep 1 --shortest   # what CI runs: one short run of each sweep
    imm-sim reproduce results/e2-semisoft-loss --all -j 2"""
    from .sweep.reproduce import is_stored, reproduce as check, sweep_dirs as find

    if (per_sweep is None) == (not all_runs):
        raise _BadInput("reproduce: give --per-sweep N or --all")
    if keep is not None and unwritable_dir(keep, "--keep"):
        raise _BadInput(unwritable_dir(keep, "--keep"))
    if keep is not None and keep.exists() and any(keep.iterdir()):
        raise _BadInput(f"--keep {keep}: exists and is not empty; choose a new directory")
    if sweep_dirs:
        dirs = list(sweep_dirs)
    elif results_dir.is_dir():
        dirs = find(results_dir)
    else:
        raise _BadInput(f"--results {results_dir}: no such directory")
    bad = [d for d in dirs if not is_stored(d)]
    if bad:
        raise _BadInput("\n".join(f"{d}: neither a sweep directory (sweep.json) nor a run"
                                  " directory (summary.json)" for d in bad))
    if not dirs:
        raise _BadInput(f"--results {results_dir}: holds no sweep or run directory")
    try:
        results = check(dirs, None if all_runs else per_sweep, sample_seed=sample_seed,
                        shortest=shortest, workers=workers, keep=keep,
                        progress=None if quiet else (lambda line: click.echo(line, err=True)))
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was compared", err=True)
        sys.exit(130)
    except (OSError, ValueError, KeyError) as e:
        raise _BadInput(f"reproduce: cannot read the stored runs: {e}") from None
    for sc in results:
        click.echo(sc.line())
        if not quiet:
            for c in sc.checks:
                for note in c.notes:
                    click.echo(f"  note: {c.run.label()}: {note}")
    if not all(sc.ok for sc in results):
        sys.exit(1)


def _models(topo) -> str:
    """The hosts' mobility models: 'random_waypoint', or 'waypoints x 40, random_waypoint x 60'."""
    counts: dict[str, int] = {}
    for mh in topo.mobile_hosts:
        counts[mh.mobility.model] = counts.get(mh.mobility.model, 0) + 1
    if len(counts) == 1 and not topo.scenario.mobile_hosts.groups:
        return next(iter(counts))
    return ", ".join(f"{m} x {n}" for m, n in counts.items())


@main.command()
@click.option("--prune", is_flag=True,
              help="Then delete the cache's artefacts of other code versions (about 90 MB each).")
def prepare(prune: bool) -> None:
    """Build what Cling would redo in every process, once per code version (about 40 s).

    \b
    A precompiled header of the ns-3 headers (the ns-3 import then takes about 0.5 s instead
    of 4) and the C++ shims compiled into a library (about 5 s less before a process's first
    run starts simulating). Without this command the first process that lacks them builds them
    in the background (IMM_NS3_PRECOMPILED=auto); =off never uses them. The cache:
    $IMM_NS3_CACHE_DIR, else $XDG_CACHE_HOME/imm-ns3, else ~/.cache/imm-ns3."""
    import time  # noqa: PLC0415

    from .adapter import precompiled  # noqa: PLC0415

    for what, path_of, make in (("ns-3 precompiled header", precompiled.pch_path, precompiled.build_pch),
                                ("shims library", precompiled.library_path, precompiled.build)):
        existing = path_of()
        if existing is not None and existing.exists():
            click.echo(f"{what}: {existing} (already built)")
            continue
        t = time.perf_counter()
        try:
            path = make()
        except (RuntimeError, OSError) as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        click.echo(f"{what}: {path} ({time.perf_counter() - t:.1f} s)")
    if prune:
        try:
            removed = precompiled.prune()
        except (RuntimeError, OSError) as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        for d, size in removed:
            click.echo(f"removed {d} ({size / 1e6:.0f} MB)")
        click.echo(f"pruned {len(removed)} director{'y' if len(removed) == 1 else 'ies'}, "
                   f"{sum(s for _, s in removed) / 1e6:.0f} MB")


@main.command()
def dissector() -> None:
    """Print the path of the Wireshark Lua dissector for MMP, DRCP, MIP-LR and Mobile IP.

    \b
    tshark -X lua_script:$(imm-sim dissector) -r runs/p/pcap/mh1-wifi.pcap -Y imm -t e
    (-t e: absolute simulated times; each pcap file's own times start at its first packet)"""
    from .dissector import packaged_path

    click.echo(packaged_path())


@main.command("sip-registrar")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5060, show_default=True, type=click.IntRange(0, 65535),
              help="UDP port (0: any free port).")
@click.option("--domain", default="imm.example", show_default=True, help="SIP domain served.")
@click.option("--max-seconds", type=click.FloatRange(min=0.1), default=None,
              help="Stop after this long (default: run until interrupted).")
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
@click.option("--users", "users_file", type=click.Path(dir_okay=False), default=None,
              help="TOML file with a [users] table, address of record = password: REGISTERs"
              " then need digest credentials (RFC 3261 section 22, SHA-256).")
def sip_registrar(host: str, port: int, domain: str, max_seconds: float | None, quiet: bool,
                  users_file: str | None) -> None:
    """Run the SIP registrar/redirect server of the simulation on real UDP sockets ([0073])."""
    import asyncio

    from .sip.server import serve

    users = _read_users(users_file) if users_file else None

    def ready(bound: int) -> None:
        click.echo(f"sip-registrar listening on udp {host}:{bound} for {domain}", err=False)
        sys.stdout.flush()

    try:
        asyncio.run(serve(host, port, domain=domain, max_seconds=max_seconds, ready=ready, users=users,
                          log=None if quiet else (lambda line: click.echo(line, err=True))))
    except OSError as e:
        raise _BadInput(f"--host/--port: cannot listen on udp {host}:{port}: {e.strerror}") from None
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass


def _read_users(path: str) -> dict[str, str]:
    """The [users] table of a --users file: 'sip:user@domain' = 'password'. Read as a scenario
    file is (a regular file of at most 4 MiB of UTF-8 TOML); every problem is one line."""
    import re

    from .scenario import parse_toml_file
    from .scenario.errors import cut, shown
    from .sip.message import aor

    try:
        data = parse_toml_file(Path(path), "--users")
    except ScenarioError as e:
        raise _BadInput("\n".join(e.problems)) from None
    users = data.get("users")
    if not isinstance(users, dict) or not users:
        raise _BadInput(f"--users: {cut(path)} needs a [users] table of \"sip:user@domain\" ="
                        " \"password\"")
    seen: dict[str, str] = {}
    for k, v in users.items():
        key = f"users.{cut(k, 64) if re.fullmatch(r'[A-Za-z0-9_-]+', k) else shown(k, 64)}"
        if not (k.startswith("sip:") and "@" in k) or not isinstance(v, str) or not v:
            raise _BadInput(f"--users: {key}: a key is a SIP URL (sip:user@domain) and its"
                            f" value a non-empty password string")
        if any(not c.isprintable() or c.isspace() for c in k):
            raise _BadInput(f"--users: {key}: control characters and blanks are not allowed in a"
                            " SIP URL")
        address = aor(k)
        user, _, host = address[len("sip:"):].rpartition("@")
        if not user or not host:
            raise _BadInput(f"--users: {key}: the SIP URL needs a user and a domain"
                            " (sip:user@domain), both non-empty")
        if address in seen:
            raise _BadInput(f"--users: {key}: the same address ({shown(address, 64)}) as"
                            f" {seen[address]} (a domain's case does not count); give each"
                            " address once, with one password")
        seen[address] = key
    return {aor(k): v for k, v in users.items()}


def run_manifest(scenario: str, overrides: tuple[str, ...], seed: int) -> dict:
    """What ``manifest.json`` of a run directory records of how it was made: the code version
    and commit (what ``imm-sim reproduce`` reports), the scenario as named and the overrides."""
    import sys as _sys

    from .adapter.runtime import ns3_version
    from .sweep.store import code_version, git_commit

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

    from .results import foreign_entries

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
