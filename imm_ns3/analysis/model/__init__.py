"""Analytic models beside the simulated numbers: pure Python, no ns-3.

Every experiment's figure overlays what these predict, and ``results/model-check.csv`` lists
one row per compared quantity (simulated, model, relative error). The models are deliberately
simple first-order ones, so a disagreement points at something the simulation does that the
model leaves out (a lost broadcast, a retry, a queue), which the results README then names.

Handoff latency ([0046]-[0053], Figure 4A) is a sum of fixed delays and independent uniform
waits: the radio's detection (``max_missed_beacons`` beacon intervals after the last beacon
heard) and re-association (the probe timeout plus the management frames), then MMP's wait for
the new base station's beacon (uniform over its period), for a DRCP advertisement when the
domain changed (uniform over the advertisement interval), the DRCP exchange when the
sub-network changed, and the registration's round trip to the gateway. :class:`Latency` keeps
the fixed part and the uniform widths apart, so it gives the mean, the median and the whole
distribution (a convolution of uniforms), not only an expectation.

Functions take the planned :class:`imm_ns3.topology.Topology`, so the wired delays are those of
the scenario actually simulated.

The package is one module per concern: ``airtime`` (802.11 frame times), ``latency`` (fixed
delays, uniform waits, first-of-k), ``paths`` (wired and macro-mobility paths), ``handoff``
(latency per movement kind, ARP, the care-of burst), ``loss`` (packets lost, TCP's resume),
``walks`` (crossing rates, random-waypoint handoff rates), ``replay`` (a stored run's walks from
ns-3's MRG32k3a streams), ``beacons`` (beacon lock), ``signalling`` (retransmissions,
route-update outages, load per entity). Everything public is importable from here.
"""

from __future__ import annotations

from .airtime import (ACK_BYTES, BEACON_BYTES, CW_MIN, DIFS_S, DSSS_LONG_PREAMBLE_S,
                      MAC_OVERHEAD_BYTES, PLCP_S, SIFS_S, SIGNAL_EXTENSION_S, SLOT_S, broadcast_s, dsss_airtime_s,
                      ofdm_airtime_s, unicast_s)
from .latency import Latency, first_of, fixed, uniform
from .paths import hops_s, miplr_delay_s, mobile_ip_delay_s, one_way_s, path_s, wired_path
from .handoff import (ACK_BYTES_IP, ARP_BYTES, ARP_REQUEST_JITTER_S, CAREOF_BURST_BYTES,
                      CHANNEL_SWITCH_S, DRCP_REPLY_BYTES, DRCP_REQUEST_BYTES, MGMT_FRAME_BYTES, PASSIVE_DWELL_S,
                      PROBE_DELAY_MEAN_S, REGISTRATION_BYTES, arp_exchange_s, arp_resolution, careof_burst_s,
                      drcp_rtt, fresh_unicast_s, handoff_latency, lowest_rate_mbps, mmp_latency, radio_latency,
                      registration_rtt)
from .loss import (CACHE_UPDATE_BYTES, NS3_DELACK_COUNT, NS3_MIN_RTO_S, NS3_RCV_BUF_BYTES, TcpAtHandoff,
                   handoff_loss, hard_switch_window_s, in_flight_s, newreno_window, packets_lost,
                   semisoft_saving, single_radio_loss, tcp_handoff_silence_s, tcp_resume_after_outage_s,
                   tcp_windows_along)
from .walks import (HandoffRates, WalkCount, boundary_crossing_rate, cell_reach_m, handoffs_along,
                    rectangle_crossings, rwp_handoff_rates, rwp_positions, rwp_window_handoff_rates,
                    timer_expiries_along)
from .replay import (MOBILITY_STREAM_BASE, Mrg32k3a, NS3_RNG_SEED, ns3_rwp_legs,
                     ns3_rwp_positions, ns3_stream, realised_handoff_rates)
from .beacons import beacon_lock_probability, hidden_pairs
from .signalling import (MIP_MAX_SENDS, MMP_MAX_SENDS, SIP_MAX_SENDS, flood_overlap_probability,
                         handoff_silence_s, retransmissions, route_update_rate, signalling_load, timer_expiries)
