"""Radio facts the scenario schema needs: 802.11 standards, bands, channels, the time unit, and
the free-space loss at 1 m that the propagation reference loss defaults to."""

from __future__ import annotations

import math

TIME_UNIT_S = 1.024e-3  # 802.11 time unit (TU)
WIFI_STANDARDS = ("802.11a", "802.11b", "802.11g", "802.11n-2.4GHz", "802.11n-5GHz", "802.11ac")
CHANNELS_24GHZ = tuple(range(1, 14))
CHANNELS_5GHZ = (36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132,
                 136, 140, 149, 153, 157, 161, 165)


def band_of(standard: str) -> str:
    return "2.4GHz" if standard in ("802.11b", "802.11g", "802.11n-2.4GHz") else "5GHz"


def channel_centre_mhz(band: str, channel: int) -> int:
    if band == "2.4GHz":
        return 2484 if channel == 14 else 2407 + 5 * channel
    return 5000 + 5 * channel


def free_space_loss_1m_db(freq_mhz: float) -> float:
    """Friis loss at 1 m: 20 log10(4 pi f / c)."""
    return 20 * math.log10(4 * math.pi * freq_mhz * 1e6 / 299_792_458.0)
