"""ns-3's own observers of a run, only when asked: NetAnim's AnimationInterface and FlowMonitor.

``imm-sim run --netanim FILE.xml [--netanim-packets]`` and ``imm-sim run --flowmon`` (or
``run_scenario(..., observers=[NetAnim(...), FlowMon()])``). Each observer is a callable
``observer(ctx, staging) -> collector | None`` that :func:`~.run.run_scenario` calls after the
protocol adapters (``staging``: the run directory being written, or None); the collector runs
after ``Simulator::Run`` and before ``Simulator::Destroy``, and drops its ns-3 objects.

Neither observer changes what the run measures: they load their ns-3 modules only when used
(``ns3_loader.load_more``), draw no random numbers and send nothing. AnimationInterface
schedules its own events (mobility polls), which do not reorder the run's: a run with them
has the same tables (``tests/sim/test_observe.py`` compares the handoffs).

- NetAnim writes to a temporary file beside the one asked for, renamed to it once the run has
  succeeded (a failed or interrupted run leaves nothing and replaces nothing). Nodes are named
  (their plan names), coloured by role, and placed: radios and mobile hosts where their mobility
  models have them (polled every ``poll_s``), wired nodes at ``positions`` (the picture's
  schematic layout, ``imm_ns3.analysis.netmap.layout``, given by the caller) or on a row above
  the cells. Packets are left out unless ``packets=True`` (every frame of every radio is a line
  of XML: see docs/pictures.md for sizes).
- FlowMonitor is installed on every node and writes ``flowmon.xml`` into the run directory (with
  the run's other files, in the same rename), or keeps the XML text on :attr:`FlowMon.xml` when
  the run writes no directory. It classifies by IPv4 5-tuple at the sending node: a flow to a
  mobile host's permanent address that MIP-LR rewrites to the care-of address is one
  FlowMonitor flow per address it was sent to (docs/pictures.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .runtime import ns3

# NetAnim colours by role (r, g, b): the same families as the network map's.
ROLE_COLOURS = {
    "backbone_router": (90, 90, 90), "border_router": (140, 80, 160),
    "subnet_router": (120, 120, 120), "gateway": (200, 60, 60),
    "intermediate": (230, 140, 40), "base_station": (40, 110, 200),
    "mobile_host": (30, 160, 60), "drcp_server": (160, 160, 40),
    "correspondent": (0, 0, 0), "home_location_register": (100, 60, 20),
    "sip_server": (100, 60, 20), "home_agent": (100, 60, 20),
}


_loaded: set[str] = set()  # the modules load_more loaded in this process


def _load_modules(*modules: str) -> Any:
    ns = ns3()
    from . import ns3_loader  # noqa: PLC0415 (deliberately lazy)

    todo = tuple(m for m in modules if m not in _loaded)
    if todo and ns3_loader.requested_modules() is not None:  # IMM_NS3_MODULES=all has them
        ns3_loader.load_more(todo)
    _loaded.update(todo)
    return ns


_metadata_enabled = False


def enable_packet_metadata(ns: Any) -> None:
    """Turn on ns-3's packet metadata (NetAnim's packet descriptions), once per process and
    only before the process's first packet: ns-3 aborts the whole process when asked after a
    packet has had a header (``PacketMetadata::Enable``). A new packet's uid says whether any
    was made before; if so this raises instead. It stays on for the process's later runs (it
    costs memory and time, and changes no result)."""
    global _metadata_enabled
    if _metadata_enabled:
        return
    if int(ns.Packet().GetUid()) > 0:
        raise RuntimeError("NetAnim packets: ns-3 can turn on packet metadata only before the"
                           " process's first packet; ask for them in the process's first run"
                           " (imm-sim run --netanim-packets does)")
    ns.PacketMetadata.Enable()
    _metadata_enabled = True


def partial_path(path: Path) -> Path:
    """Where a NetAnim trace is written while the run goes on (renamed to ``path`` after)."""
    return path.parent / f".{path.name}.{os.getpid()}.partial"


@dataclass
class NetAnim:
    """AnimationInterface on every node, writing ``path`` (see the module's docstring)."""

    path: Path
    packets: bool = False
    poll_s: float = 0.25
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    written: Path | None = None

    def __call__(self, ctx, staging: Path | None):
        ns = _load_modules("netanim")
        if self.packets:
            enable_packet_metadata(ns)
        self.path = Path(self.path)
        tmp = partial_path(self.path)
        topo, net = ctx.topo, ctx.net
        # Wired nodes have no mobility model: a constant position each (layout or a row).
        wired = [n for n in topo.nodes if n not in net.mobility]
        ys = [r.position_m[1] for r in topo.radios.values()] or [0.0]
        xs = [r.position_m[0] for r in topo.radios.values()] or [0.0]
        top = max(ys) + 100.0
        span = max(max(xs) - min(xs), 100.0)
        for i, name in enumerate(wired):
            x, y = self.positions.get(name, (min(xs) + span * (i + 0.5) / max(len(wired), 1), top))
            ns.AnimationInterface.SetConstantPosition(net.nodes[name], float(x), float(y), 0.0)
        anim = ns.AnimationInterface(str(tmp))
        anim.SetMobilityPollInterval(ns.Seconds(self.poll_s))
        if self.packets:  # (metadata enabled above, before any packet of this run)
            anim.EnablePacketMetadata(True)
            anim.SetMaxPktsPerTraceFile(2**62)  # one file, however long the run
        else:
            anim.SkipPacketTracing()
        for name, plan in topo.nodes.items():
            nid = int(net.nodes[name].GetId())
            anim.UpdateNodeDescription(nid, name)
            anim.UpdateNodeColor(nid, *ROLE_COLOURS.get(plan.role, (0, 0, 0)))
        state = {"anim": anim}

        def collect() -> None:
            # Deleting the interface closes the file (its destructor writes </anim>).
            state.clear()
            os.replace(tmp, self.path)
            self.written = self.path

        self._state = state
        return collect

    def discard(self) -> None:
        """Remove the partial trace of a run that failed (nothing else is touched)."""
        self._state = {}
        tmp = partial_path(Path(self.path))
        if tmp.is_file():
            tmp.unlink()


@dataclass
class FlowMon:
    """FlowMonitor on every node; ``flowmon.xml`` in the run directory."""

    histograms: bool = False
    xml: str | None = None

    def __call__(self, ctx, staging: Path | None):
        ns = _load_modules("flow-monitor")
        helper = ns.FlowMonitorHelper()
        monitor = helper.InstallAll()
        state = {"helper": helper, "monitor": monitor}

        def collect() -> None:
            mon = state["monitor"]
            mon.CheckForLostPackets()
            self.xml = str(mon.SerializeToXmlString(2, self.histograms, False))
            if staging is not None:
                (Path(staging) / "flowmon.xml").write_text(self.xml)
            state.clear()

        return collect
