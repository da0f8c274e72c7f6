"""imm-sim sweep, pack, figures, reproduce: sweeps and the stored results."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..scenario import ScenarioError
from .main import _BadInput, main
from .outputs import unwritable_dir


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

    from ..sweep import SweepError, load_sweep, run_sweeps

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
    from ..sweep.store import pack

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
    are removed; the sweep treats packed runs as done, and imm_ns3.analysis.load reads them.
    Hundreds of short runs shrink tenfold or more: pack results before committing them."""
    from ..sweep.store import SweepDirError, read_listing

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
    from ..analysis.figures import FigureError, MissingResults, discover, draw_all
    from ..sweep import SweepError

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
    from ..sweep.reproduce import is_stored, reproduce as check, sweep_dirs as find

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
