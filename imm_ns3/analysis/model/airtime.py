"""802.11 frame timing: OFDM and DSSS airtime, a unicast with its ACK, a broadcast, the
lowest rate a fresh station starts at (IEEE 802.11-2016)."""

from __future__ import annotations

import math


# 802.11g (ERP-OFDM) timing, IEEE 802.11-2016 Table 18-17: short slot, SIFS, preamble+header.
SLOT_S = 9e-6
SIFS_S = 10e-6
DIFS_S = SIFS_S + 2 * SLOT_S
PLCP_S = 20e-6
SIGNAL_EXTENSION_S = 6e-6
CW_MIN = 15
MAC_OVERHEAD_BYTES = 36  # MAC header 24 + FCS 4 + LLC/SNAP 8
ACK_BYTES = 14


def ofdm_airtime_s(payload_bytes: int, rate_mbps: float) -> float:
    """Time on air of one OFDM frame carrying ``payload_bytes`` of IP datagram at
    ``rate_mbps`` (service and tail bits included, rounded up to whole 4 us symbols)."""
    bits_per_symbol = rate_mbps * 4
    symbols = math.ceil((16 + 6 + 8 * payload_bytes) / bits_per_symbol)
    return PLCP_S + 4e-6 * symbols + SIGNAL_EXTENSION_S


def unicast_s(payload_bytes: int, rate_mbps: float = 24.0) -> float:
    """One unicast frame on an idle channel: DIFS, mean backoff, the frame, SIFS and the ACK (at
    the highest mandatory rate not above the data rate: 6, 12 or 24 Mbit/s)."""
    ack_rate = 24.0 if rate_mbps >= 24 else (12.0 if rate_mbps >= 12 else 6.0)
    return (DIFS_S + CW_MIN / 2 * SLOT_S
            + ofdm_airtime_s(payload_bytes + MAC_OVERHEAD_BYTES, rate_mbps)
            + SIFS_S + ofdm_airtime_s(ACK_BYTES - 2, ack_rate))


def broadcast_s(payload_bytes: int, rate_mbps: float = 6.0) -> float:
    """One broadcast frame at the basic rate: no acknowledgement."""
    return DIFS_S + CW_MIN / 2 * SLOT_S + ofdm_airtime_s(payload_bytes + MAC_OVERHEAD_BYTES,
                                                         rate_mbps)


BEACON_BYTES = 80  # an ns-3 802.11g beacon, about: MAC header and FCS 28, body ~52 (SSID, rates...)
DSSS_LONG_PREAMBLE_S = 192e-6


def dsss_airtime_s(frame_bytes: int, rate_mbps: float = 1.0) -> float:
    """A DSSS frame with the long preamble and PLCP header (192 us). ns-3 sends group-addressed
    frames (beacons, broadcasts) in its PHY's default mode, the oldest standard's lowest rate:
    DSSS 1 Mbit/s on 802.11g (WifiPhy::GetDefaultMode), unless a non-unicast mode is set."""
    return DSSS_LONG_PREAMBLE_S + 8 * frame_bytes / (rate_mbps * 1e6)
