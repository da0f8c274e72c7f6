"""Radio-level handoff detection on ns-3 WiFi (step 402 of Figure 4A).

Connects each mobile host's ``StaWifiMac`` trace sources to its
:class:`~imm_ns3.handoff.HandoffDetector`:

- ``Assoc`` / ``DeAssoc`` (one Python call per association change), and
- ``BeaconArrival`` kept in C++ (no Python per beacon): read at ``DeAssoc`` time to tell when
  the last beacon of the old base station was heard.

Every station radio also gets the association guard of ``assoc_guard.h``: a late
(re)association response from an access point the station is no longer waiting for is ignored,
as 802.11 has it, instead of ending the process on an ns-3 assertion (seen on congested
channels with many hosts). The number ignored is in ``summary.json`` (``radio``).
"""

from __future__ import annotations

from ..events import EventLog
from ..handoff import HandoffDetector
from ..topology import scan_channels
from .builder import Network
from .runtime import compile_extension


def attach_handoff_detectors(net: Network, log: EventLog) -> dict[str, HandoffDetector]:
    ns, bridge = net.ns, net.bridge
    guard = compile_extension("assoc_guard.h", after_destroy=("ReleaseAssocGuards",))
    for dev in list(net.sta_devices.values()) + list(net.sta_trailing.values()):
        if not guard.GuardAssociation(dev):
            raise RuntimeError("a mobile host's radio has no StaWifiMac")
    detectors: dict[str, HandoffDetector] = {}
    for mh in net.topo.mobile_hosts:
        det = HandoffDetector(mh.name, net.topo.movement_kind, log)
        detectors[mh.name] = det
        mac = ns.DynamicCast[ns.WifiNetDevice](net.sta_devices[mh.name]).GetMac()
        beacon_token = bridge.register(f"{mh.name} BeaconArrival", lambda *a: None)
        if not bridge.c.ConnectBeaconArrival(mac, beacon_token):
            raise RuntimeError("StaWifiMac has no BeaconArrival trace source")

        def on_assoc(mac_u64: int, det=det) -> None:
            det.associated(bridge.now_ns(), _bs_name(net, mac_u64))

        def on_deassoc(mac_u64: int, det=det, tok=beacon_token) -> None:
            # ns-3 reports the BSSID the MAC holds when it gives the link up; with a channel
            # that fades, that can be none at all (00:00:00:00:00:00): the station left the
            # cell it was last associated with, which the detector knows.
            now = bridge.now_ns()
            bs = "" if mac_u64 == 0 else _bs_name(net, mac_u64)
            det.deassociated(now, bs, int(bridge.c.LastBeaconNs(tok, now)))

        bridge.connect_mac_trace(mac, "Assoc", f"{mh.name} StaWifiMac/Assoc", on_assoc)
        bridge.connect_mac_trace(mac, "DeAssoc", f"{mh.name} StaWifiMac/DeAssoc", on_deassoc)
    return detectors


def _bs_name(net: Network, mac_u64: int) -> str:
    try:
        return net.bs_by_mac[mac_u64]
    except KeyError:
        raise KeyError(f"association with unknown BSSID {mac_u64:012x}") from None


def late_association_responses_dropped(net: Network) -> int:
    return int(net.bridge.c.LateAssocResponsesDropped())


def channel_scans(net: Network) -> dict[str, int]:
    """With a channel plan: the stations' full scans and channel switches (channel_scan.h)."""
    if not scan_channels(net.topo.scenario):
        return {}
    c = compile_extension("channel_scan.h")
    return {"channel_scans": int(c.ChannelScans()), "channel_switches": int(c.ChannelSwitches())}
