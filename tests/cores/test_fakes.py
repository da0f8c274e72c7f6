"""The shared fakes (tests/fakes.py) implement the Env Protocols of imm_ns3/env.py: every member
of each Protocol exists on its fake with the same parameters and the same type hints."""

from __future__ import annotations

import inspect
import typing

import pytest

from imm_ns3 import env as env_protocols
from imm_ns3.mmp.cache import RoutingCache

import fakes


def _members(proto: type) -> dict[str, typing.Callable]:
    """The methods a Protocol declares, its Protocol bases' included."""
    out: dict[str, typing.Callable] = {}
    for cls in reversed(proto.__mro__):
        if cls in (typing.Protocol, typing.Generic) or not getattr(cls, "_is_protocol", False):
            continue
        out.update({n: f for n, f in vars(cls).items()
                    if inspect.isfunction(f) and not n.startswith("_")})
    return out


def _shape(fn: typing.Callable):
    params = inspect.signature(fn).parameters.values()
    return [(p.name, p.kind, p.default is not inspect.Parameter.empty) for p in params]


PAIRS = [(fake, getattr(env_protocols, name)) for fake, name in fakes.IMPLEMENTS.items()]
PAIRS.append((RoutingCache, env_protocols.RoutingCacheOps))  # what FakeDomainEnv.cache() returns


@pytest.mark.parametrize("fake,proto", PAIRS, ids=lambda x: x.__name__)
def test_each_fake_has_every_member_of_its_protocol_with_the_same_signature(fake, proto):
    members = _members(proto)
    assert members, proto
    for name, want in members.items():
        got = getattr(fake, name, None)
        assert callable(got), f"{fake.__name__} lacks {proto.__name__}.{name}"
        assert _shape(got) == _shape(want), f"{fake.__name__}.{name}{inspect.signature(got)}"
        assert typing.get_type_hints(got) == typing.get_type_hints(want), f"{fake.__name__}.{name}"


def test_every_agent_protocol_has_a_fake():
    protos = {n for n in env_protocols.__all__ if n.endswith("Env") or n == "Clock"}
    assert protos == set(fakes.IMPLEMENTS.values())


def test_the_loop_runs_timers_in_time_order_and_skips_cancelled_ones():
    loop, fired = fakes.FakeLoop(), []
    env = fakes.FakeNodeEnv(loop, "n", fixed_rand=0.5)
    env.call_later(0.2, fired.append, "b")
    env.call_later(0.1, fired.append, "a")
    env.call_later(0.2, fired.append, "c")
    env.cancel(env.call_later(0.15, fired.append, "x"))
    loop.run(0.15)
    assert fired == ["a"] and env.now() == 0.15
    loop.run(1.0)
    assert fired == ["a", "b", "c"] and env.now() == 1.0 and env.rand() == 0.5
    env.log("e", "d")
    assert env.logs == [(1.0, "e", "d")] and env.events() == ["e"]
    seeded = [fakes.FakeNodeEnv(loop, seed=3).rand() for _ in range(2)]
    assert seeded[0] == seeded[1] and 0.0 <= seeded[0] < 1.0
