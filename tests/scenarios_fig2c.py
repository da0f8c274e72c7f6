"""A Figure 2B/2C network for tests: one domain with two gateways, nodes with two up-links."""

FIG2C = """
name = "fig2c"
[simulation]
duration_s = 20.0
[subnets.lan]
kind = "wired"
prefix = "10.10.0.0/24"
[subnets.wl]
kind = "wireless"
prefix = "10.5.0.0/16"
[domains.d272]
subnet = "wl"
domain_id = 272
[nodes.gw274a]
domain = "d272"
role = "gateway"
[nodes.gw274b]
domain = "d272"
role = "gateway"
[nodes.in276a]
domain = "d272"
role = "intermediate"
uplinks = ["gw274a", "gw274b"]
[nodes.in276b]
domain = "d272"
role = "intermediate"
uplinks = ["gw274b", { node = "gw274a", delay_ms = 5.0 }]
[nodes.bs278a]
domain = "d272"
role = "base_station"
uplinks = ["in276a", "in276b"]
position_m = [0, 0]
[nodes.bs278b]
domain = "d272"
role = "base_station"
uplinks = ["in276b"]
position_m = [130, 0]
[hosts.ch]
subnet = "lan"
role = "correspondent"
[mobility]
model = "waypoints"
waypoints_m = [[0, 0], [140, 0]]
speed_mps = 10.0
"""
