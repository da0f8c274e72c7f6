"""Radio: what the builder configures and the coverage check assumes, computed once here."""

from __future__ import annotations

from ..scenario import Scenario, band_of, channel_centre_mhz, free_space_loss_1m_db
from .plan import Topology


# --------------------------------------------------------------------------------------------
# Radio: what the builder configures and the coverage check assumes, computed once here.
# --------------------------------------------------------------------------------------------


def base_station_channels(scenario: Scenario) -> tuple[int, ...]:
    """The channels the base stations use, ascending (``wifi.channel`` for those without their
    own ``channel``)."""
    return tuple(sorted({n.channel if n.channel is not None else scenario.wifi.channel
                         for n in scenario.nodes.values() if n.role == "base_station"}))


def scan_channels(scenario: Scenario) -> tuple[int, ...]:
    """The channels a station scans, ascending, when the base stations use more than one
    (a channel plan); ``()`` when they share one (ns-3's own single-channel scanning)."""
    used = base_station_channels(scenario)
    return used if len(used) > 1 else ()


def station_channel(scenario: Scenario) -> int:
    """The channel the stations start on: ``wifi.channel``, unless no base station uses it
    (every one has its own ``channel``), then the lowest the base stations use -- with one
    channel for all cells, ns-3's stations would otherwise never find them."""
    used = base_station_channels(scenario)
    return scenario.wifi.channel if scenario.wifi.channel in used or not used else used[0]


def channel_mhz(topo: Topology) -> int:
    """Centre frequency of the scenario's WiFi channel (:func:`station_channel`: with a channel
    plan, the one propagation's default reference loss is computed at, within 0.2 dB of the
    others on 2.4 GHz, 1.1 dB across the 5 GHz band)."""
    w = topo.scenario.wifi
    return channel_centre_mhz(band_of(w.standard), station_channel(topo.scenario))


def reference_loss_db(topo: Topology) -> float:
    """Log-distance loss at 1 m: the scenario's, or free space at the channel's frequency."""
    p = topo.scenario.wifi.propagation
    if p.reference_loss_db is not None:
        return p.reference_loss_db
    return free_space_loss_1m_db(channel_mhz(topo))
