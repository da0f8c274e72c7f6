"""The scenario: every table, and the checks that span them."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from ..errors import PROBLEM_SEPARATOR
from ..schema_names import check_name
from .base import _Model
from .events import Attack, Failure, Flow, Simulation
from .mobility import MobileHosts, Mobility
from .network import Addressing, Backbone, Domain, DomainNode, Host, LinkDefaults, Subnet, WifiSpec
from .protocols import DrcpConfig, MacroMobility, MmpConfig, ProbeConfig, Security, SipConfig, TcpConfig


# The scenario
# --------------------------------------------------------------------------------------------


class Scenario(_Model):
    """A scenario file. Named things (sub-networks, domains, nodes, hosts) are tables keyed by
    their name; every name in a scenario is unique."""

    name: str = Field("unnamed", min_length=1, description="Name of the scenario (results use it:"
                      " letters, digits, '.', '_', '-').")
    description: str = Field("", description="Free text.")
    simulation: Simulation = Field(Simulation(), description="Length and seed.")
    wifi: WifiSpec = Field(WifiSpec(), description="802.11 settings of all radios.")
    links: LinkDefaults = Field(LinkDefaults(), description="Default wired link parameters.")
    addressing: Addressing = Field(Addressing(), description="Infrastructure addresses.")
    backbone: Backbone = Field(Backbone(), description="Backbone routers and links (112, Figure 1).")
    subnets: dict[str, Subnet] = Field(min_length=1, description="Sub-networks by name.")
    domains: dict[str, Domain] = Field(default_factory=dict, description="MMP domains by name.")
    nodes: dict[str, DomainNode] = Field(default_factory=dict,
                                         description="Gateways, intermediate nodes, base stations.")
    hosts: dict[str, Host] = Field(default_factory=dict, description="Fixed hosts by name.")
    mobile_hosts: MobileHosts = Field(MobileHosts(), description="How many mobile hosts, and their addresses.")
    mobility: Mobility | None = Field(
        None, description="Mobility model shared by the mobile hosts: see below. Required unless"
        " mobile_hosts.groups gives each group its own.")
    mmp: MmpConfig = Field(MmpConfig(), description="MMP micro-mobility parameters.")
    drcp: DrcpConfig = Field(DrcpConfig(), description="DRCP parameters.")
    probe: ProbeConfig = Field(ProbeConfig(), description="The downlink probe flow.")
    sip: SipConfig = Field(SipConfig(), description="SIP mobility and the RTP flows.")
    tcp: TcpConfig = Field(TcpConfig(), description="The TCP transfer to each mobile host.")
    macro_mobility: MacroMobility = Field(
        MacroMobility(), description="Which mechanism carries TCP and real-time traffic.")
    failures: list[Failure] = Field(default_factory=list,
                                    description="Links and nodes to fail during the run.")
    security: Security = Field(Security(), description="Authentication of location management.")
    attacks: list[Attack] = Field(default_factory=list,
                                  description="Forgeries against mobile hosts (docs/security.md).")
    flows: list[Flow] = Field(default_factory=list,
                              description="Traffic flows of your own (docs/scenario.md).")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v, "a file-name-safe name")

    @model_validator(mode="after")
    def _cross_check(self) -> "Scenario":
        from ..checks import cross_problems

        if self.mobile_hosts.groups and self.mobility is not None:
            raise ValueError("mobility: give either mobility (every host) or mobile_hosts.groups"
                             " (each group its own), not both")
        if not self.mobile_hosts.groups and self.mobility is None:
            raise ValueError("mobility: required (a table with model = \"waypoints\","
                             " \"constant_velocity\" or \"random_waypoint\"), unless"
                             " mobile_hosts.groups gives each group its own")

        problems = list(cross_problems(self))
        if problems:
            raise ValueError(PROBLEM_SEPARATOR.join(problems))
        return self

    # Convenience views --------------------------------------------------------------------
    def host_mobility(self) -> list[tuple[Any, int, float]]:
        """Per mobile host, in order: (its mobility model, its index in its group, the group's
        start stagger)."""
        if not self.mobile_hosts.groups:
            return [(self.mobility, i, self.mobile_hosts.start_stagger_s)
                    for i in range(self.mobile_hosts.count)]
        return [(g.mobility, i, g.start_stagger_s) for g in self.mobile_hosts.groups
                for i in range(g.count)]


    def nodes_of(self, domain: str, role: str | None = None) -> list[str]:
        return [n for n, d in self.nodes.items()
                if d.domain == domain and (role is None or d.role == role)]

    def base_stations(self) -> list[str]:
        return [n for n, d in self.nodes.items() if d.role == "base_station"]
