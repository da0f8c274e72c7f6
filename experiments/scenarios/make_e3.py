"""Write the two networks of experiment E3 (run once; the .toml files are committed).

Eight base stations on a 4 x 2 grid, 130 m apart, cover the same area in both:
- e3-integrated.toml: two wireless sub-networks, each with two MMP domains of two base stations
  (gateway - intermediate node - base stations): moves inside a sub-network are MMP's alone;
- e3-flat.toml: flat macro-mobility, every base station its own sub-network (one gateway, one
  base station): every handoff changes the care-of address ([0007], [0026]).
Both have a correspondent, a home location register and a SIP server on a wired LAN.

    python experiments/scenarios/make_e3.py
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
XS, YS = (0.0, 130.0, 260.0, 390.0), (0.0, 130.0)

COMMON = """
[simulation]
duration_s = 60.0

[wifi]
standard = "802.11g"
channel = 1
tx_power_dbm = 16.0
beacon_interval_s = 0.1024
max_missed_beacons = 5
propagation = {{ model = "log_distance", exponent = 3.0 }}

[subnets.sn0]
kind = "wired"
prefix = "10.10.0.0/24"

{subnets}
[hosts.ch]
subnet = "sn0"
role = "correspondent"

[hosts.hlr]
subnet = "sn0"
role = "home_location_register"

[hosts.sip]
subnet = "sn0"
role = "sip_server"

[mobile_hosts]
count = 1

[mobility]
model = "random_waypoint"
area_m = [0.0, 0.0, 390.0, 130.0]
speed_mps = 5.0
pause_s = 2.0

[probe]
enabled = false

[sip]
call_at_s = 100000.0  # registrations only: no call, so the load is the mobility signalling

[macro_mobility]
tcp = "miplr"
realtime = "sip"
"""


def integrated() -> str:
    out = []
    for s, xs in ((1, XS[:2]), (2, XS[2:])):
        out.append(f'[subnets.sn{s}]\nkind = "wireless"\nprefix = "10.{s}.0.0/16"\n')
        for d, x in enumerate(xs):
            dom = f"d{s}{d}"
            out.append(f'[domains.{dom}]\nsubnet = "sn{s}"\n')
            out.append(f'[nodes.gw{s}{d}]\ndomain = "{dom}"\nrole = "gateway"\n')
            out.append(f'[nodes.in{s}{d}]\ndomain = "{dom}"\nrole = "intermediate"\nuplinks = ["gw{s}{d}"]\n')
            for b, y in enumerate(YS):
                out.append(f'[nodes.bs{s}{d}{b}]\ndomain = "{dom}"\nrole = "base_station"\n'
                           f'uplinks = ["in{s}{d}"]\nposition_m = [{x}, {y}, 0.0]\n')
    return "\n".join(out)


def flat() -> str:
    out = []
    n = 0
    for x in XS:
        for y in YS:
            n += 1
            out.append(f'[subnets.sn{n}]\nkind = "wireless"\nprefix = "10.{n}.0.0/16"\n')
            out.append(f'[domains.d{n}]\nsubnet = "sn{n}"\n')
            out.append(f'[nodes.gw{n}]\ndomain = "d{n}"\nrole = "gateway"\n')
            out.append(f'[nodes.bs{n}]\ndomain = "d{n}"\nrole = "base_station"\nuplinks = ["gw{n}"]\n'
                       f'position_m = [{x}, {y}, 0.0]\n')
    return "\n".join(out)


for name, body, desc in (
        ("e3-integrated", integrated(), "two sub-networks of two MMP domains of two base stations"),
        ("e3-flat", flat(), "flat macro-mobility: every base station its own sub-network")):
    head = (f"# E3 ({desc}); written by make_e3.py, do not edit by hand.\n"
            f'name = "{name}"\ndescription = "E3: {desc}."\n')
    (HERE / f"{name}.toml").write_text(head + COMMON.format(subnets=body))
