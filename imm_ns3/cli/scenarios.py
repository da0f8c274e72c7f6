"""imm-sim run, list, show, validate: one scenario."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..analysis.report import format_summary
from ..scenario import DEFAULT_SCENARIO, BUILTIN_SCENARIOS
from ..topology import scan_channels, station_channel
from .main import _BadInput, _SET_HELP, _load, main
from .outputs import default_run_dir, replaces_another_run, run_manifest


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
# ns-3's own observers (adapter/observe.py, docs/pictures.md): none unless asked.
@click.option("--netanim", "netanim", type=click.Path(path_type=Path), default=None,
              metavar="FILE.xml", help="Write a NetAnim trace (node names, roles as colours,"
              " positions, wired links) to FILE.xml, outside the run directory.")
@click.option("--netanim-packets", is_flag=True,
              help="With --netanim: every packet too (large: see docs/pictures.md).")
@click.option("--flowmon", is_flag=True,
              help="Install ns-3's FlowMonitor on every node; writes OUT/flowmon.xml.")
def run(scenario: str, overrides: tuple[str, ...], seed: int | None, out_dir: Path | None,
        pcap: bool, quiet: bool, netanim: Path | None = None, netanim_packets: bool = False,
        flowmon: bool = False) -> None:
    """Run one simulation of SCENARIO (a file, or a built-in name; default: patent-walk)."""
    s, topo = _load(scenario, overrides)
    seed = seed if seed is not None else s.simulation.seed
    out_dir = out_dir or default_run_dir(s, seed, overrides)
    problem = replaces_another_run(out_dir, s, seed)
    if problem:
        raise _BadInput(problem)
    observers = _observers(topo, out_dir, netanim, netanim_packets, flowmon)
    from ..adapter import CallbackError, run_scenario

    import signal

    from ..analysis.cost import WARN_ABOVE_S, estimate

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
                              manifest=run_manifest(scenario, overrides, seed),
                              **({"observers": observers} if observers else {}))
    except CallbackError as e:
        _discard(observers)
        click.echo(f"error: {e}", err=True)
        click.echo(e.traceback_text.rstrip(), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        _discard(observers)
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
    except Exception:
        _discard(observers)
        raise
    if not quiet:
        click.echo(format_summary(result.summary, result.handoffs, out_dir))
        for o in observers:
            click.echo(f"{type(o).__name__.lower()}: {getattr(o, 'written', None) or out_dir / 'flowmon.xml'}")


def _discard(observers: tuple) -> None:
    """A failed run: remove a half-written NetAnim trace (nothing else is touched)."""
    for o in observers:
        getattr(o, "discard", lambda: None)()


def _observers(topo, out_dir: Path, netanim: Path | None, packets: bool, flowmon: bool) -> tuple:
    """The ns-3 observers asked for (--netanim, --flowmon), checked before ns-3 is loaded."""
    if packets and netanim is None:
        raise _BadInput("--netanim-packets: add --netanim FILE.xml (the trace it adds packets to)")
    out = []
    if netanim is not None:
        from .draw import check_netanim_path

        problem = check_netanim_path(netanim, out_dir)
        if problem:
            raise _BadInput(problem)
        from ..adapter.observe import NetAnim
        from ..analysis.netmap import layout

        # NetAnim's y axis points down: the schematic above the cells is mirrored to stay above.
        ys = [r.position_m[1] for r in topo.radios.values()] or [0.0]
        pos = {n: (x, min(ys) - (y - max(ys))) for n, (x, y) in layout(topo).items()
               if n not in topo.radios}
        out.append(NetAnim(netanim, packets=packets, positions=pos))
    if flowmon:
        from ..adapter.observe import FlowMon

        out.append(FlowMon())
    return tuple(out)


@main.command("list")
def list_scenarios() -> None:
    """The built-in scenarios, one line each."""
    from ..scenario import read_scenario_dict

    for name in BUILTIN_SCENARIOS:
        data, _ = read_scenario_dict(name)
        click.echo(f"{name:<14} {data.get('description', '')}")
    click.echo("\nimm-sim show NAME > my.toml   copies one to edit; imm-sim validate my.toml checks it.")


@main.command()
@click.argument("name")
def show(name: str) -> None:
    """Print a built-in scenario's file (redirect it into your own: imm-sim show NAME > my.toml)."""
    from ..scenario import builtin_path

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
    from ..analysis.cost import estimate

    click.echo(f"  {estimate(s).line()}")
    from ..analysis.coverage import coverage_warnings

    for w in coverage_warnings(topo):
        click.echo(w)



def _models(topo) -> str:
    """The hosts' mobility models: 'random_waypoint', or 'waypoints x 40, random_waypoint x 60'."""
    counts: dict[str, int] = {}
    for mh in topo.mobile_hosts:
        counts[mh.mobility.model] = counts.get(mh.mobility.model, 0) + 1
    if len(counts) == 1 and not topo.scenario.mobile_hosts.groups:
        return next(iter(counts))
    return ", ".join(f"{m} x {n}" for m, n in counts.items())
