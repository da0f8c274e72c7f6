"""Mobility models and the mobile hosts."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..errors import cut, shown
from ..schema_names import _HOSTNAME_RE
from ..bounds import MAX_TRACE_BYTES
from .base import _Model, _check_prefix, _xyz


# Mobility and mobile hosts
# --------------------------------------------------------------------------------------------


class WaypointMobility(_Model):
    """Walk a path of waypoints at a constant speed, pausing at each waypoint."""

    model: Literal["waypoints"] = "waypoints"
    waypoints_m: list[tuple[float, float, float]] = Field(
        min_length=1, description="Positions (x, y[, z]) in metres, visited in order."
    )
    speed_mps: float = Field(5.0, gt=0, le=100, description="Walking speed between waypoints.")
    pause_s: float = Field(0.0, ge=0, description="Pause at each waypoint.")
    start_s: float = Field(0.0, ge=0, description="Time the walk starts; before it the host waits"
                           " at the first waypoint.")

    @field_validator("waypoints_m", mode="before")
    @classmethod
    def _wps(cls, v: Any) -> Any:
        return [_xyz(p) for p in v] if isinstance(v, list) else v


class ConstantVelocityMobility(_Model):
    """Move in a straight line at a constant speed from a start position."""

    model: Literal["constant_velocity"] = "constant_velocity"
    position_m: tuple[float, float, float] = Field(description="Start position (x, y[, z]).")
    speed_mps: float = Field(5.0, ge=0, le=100, description="Speed (0 = stand still).")
    heading_deg: float = Field(0.0, ge=-360, le=360,
                               description="Direction in the x-y plane, 0 = +x, 90 = +y.")

    @field_validator("position_m", mode="before")
    @classmethod
    def _pos(cls, v: Any) -> Any:
        return _xyz(v)


class RandomWaypointMobility(_Model):
    """ns-3 random waypoint: pick a random point in the area, walk there, pause, repeat."""

    model: Literal["random_waypoint"] = "random_waypoint"
    area_m: tuple[float, float, float, float] = Field(
        description="Rectangle (x_min, y_min, x_max, y_max) in metres."
    )
    speed_mps: float = Field(5.0, gt=0, le=100, description="Maximum speed.")
    min_speed_mps: float | None = Field(None, gt=0, description="Minimum speed; default = speed.")
    pause_s: float = Field(0.0, ge=0, description="Pause at each random waypoint.")

    @model_validator(mode="after")
    def _check(self) -> "RandomWaypointMobility":
        x0, y0, x1, y1 = self.area_m
        if x1 <= x0 or y1 <= y0:
            raise ValueError("area_m must be (x_min, y_min, x_max, y_max) with max > min")
        if self.min_speed_mps is not None and self.min_speed_mps > self.speed_mps:
            raise ValueError("min_speed_mps must not exceed speed_mps")
        return self


class Ns2TraceMobility(_Model):
    """Follow an ns-2 movement trace (the format of ns-3's Ns2MobilityHelper, written by ns-2's
    setdest and by BonnMotion): ``$node_(i) set X_ x`` lines for the start and ``$ns_ at t
    "$node_(i) setdest x y speed"`` lines for the walks (imm_ns3/ns2trace.py). Host k of the
    group (or of the scenario) follows the trace's node ``first_node + k``."""

    model: Literal["ns2_trace"] = "ns2_trace"
    file: str = Field(min_length=1, description="The trace file; a relative path is taken from the"
                      " scenario file's directory (from the working directory for a scenario"
                      " given as a table). A regular file of at most 64 MiB; node ids, times,"
                      " coordinates and speeds are bounded (docs/limits.md).")
    first_node: int = Field(0, ge=0, le=10**6, description="The trace node the first host follows.")
    _points: dict = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _read(self) -> "Ns2TraceMobility":
        from pathlib import Path

        from ...ns2trace import TraceError, parse
        from ..files import FileProblem, read_regular_file

        # "@file: ..." lines are placed under the model's path (mobility.file: ...).
        path = Path(self.file).expanduser()
        try:
            text = read_regular_file(path, MAX_TRACE_BYTES).decode("utf-8")
        except FileProblem as e:
            raise ValueError(f"@file: {e}") from None
        except UnicodeDecodeError as e:
            raise ValueError(f"@file: cannot read {cut(self.file)}: not UTF-8 text (byte"
                             f" {e.start}); an ns-2 movement trace expected") from None
        try:
            self._points = parse(text, where=cut(path.name, 80))
        except TraceError as e:
            raise ValueError(f"@file: {e}") from None
        return self

    def nodes(self) -> list[int]:
        return sorted(self._points)

    def points(self, k: int) -> list:
        """The (time, position) points of the group's host k."""
        return self._points[self.first_node + k]


Mobility = Annotated[
    Union[WaypointMobility, ConstantVelocityMobility, RandomWaypointMobility, Ns2TraceMobility],
    Field(discriminator="model"),
]
MOBILITY_MODELS = ("waypoints", "constant_velocity", "random_waypoint", "ns2_trace")
MOBILITY_CLASSES = (WaypointMobility, ConstantVelocityMobility, RandomWaypointMobility,
                    Ns2TraceMobility)


class MobileHostGroup(_Model):
    """A group of mobile hosts with its own mobility model (``[[mobile_hosts.groups]]``)."""

    count: int = Field(ge=1, le=1000, description="Hosts in the group.")
    mobility: Mobility = Field(description="The group's mobility model (as ``mobility``).")
    start_stagger_s: float = Field(
        0.0, ge=0, description="Host i of the group starts its walk i * stagger seconds later"
        " (waypoints).")


class MobileHosts(_Model):
    """The mobile hosts mh1..mhN. They share the scenario's ``mobility`` model, or each group of
    ``groups`` has its own."""

    count: int = Field(1, ge=1, le=1000, description="Number of mobile hosts (with groups:"
                       " their sum; leave it out).")
    groups: list[MobileHostGroup] = Field(
        default_factory=list,
        description="Groups of hosts, each with its own mobility model, numbered on from mh1 in"
        " order, e.g. [[mobile_hosts.groups]] count = 60, mobility = {model ="
        " \"random_waypoint\", ...}. Replaces the scenario's ``mobility``.")

    @model_validator(mode="before")
    @classmethod
    def _count_from_groups(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("groups") and "count" not in data:
            try:
                data = {**data, "count": sum(int(g["count"]) for g in data["groups"])}
            except (TypeError, ValueError, KeyError):
                pass  # the groups' own validation says what is wrong
        return data

    @model_validator(mode="after")
    def _groups_add_up(self) -> "MobileHosts":
        if self.groups and self.count != sum(g.count for g in self.groups):
            raise ValueError(f"count: {self.count}, but the groups hold"
                             f" {sum(g.count for g in self.groups)} hosts; leave count out with groups")
        return self
    permanent_prefix: str = Field(
        "10.0.0.0/24", description="Permanent (home) addresses, given out in order ([0027])."
    )
    sip_domain: str = Field("imm.example", description="SIP URLs are sip:mhN@<sip_domain>"
                            " (a host name of RFC 3261).")

    @field_validator("sip_domain")
    @classmethod
    def _sip_domain(cls, v: str) -> str:
        if not _HOSTNAME_RE.match(v):
            raise ValueError("a host name such as 'imm.example' (letters, digits, inner hyphens,"
                             f" dot-separated labels), got {shown(v)}")
        return v
    start_stagger_s: float = Field(
        0.0, ge=0, description="Host i starts its walk i * stagger seconds later (waypoints)."
    )
    tx_power_dbm: float | None = Field(None, ge=-10, le=30,
                                       description="Default: wifi.tx_power_dbm.")

    @field_validator("permanent_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return _check_prefix(v)
