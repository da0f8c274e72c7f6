"""Shadowing and fading through the scenario schema: every bound names the field."""

from __future__ import annotations

import pytest

from imm_ns3.scenario import ScenarioError, apply_overrides, validate_dict


def test_schema_bounds_name_the_field(walk_dict):
    for key, value in (("wifi.propagation.shadowing_db", -1.0),
                       ("wifi.propagation.shadowing_db", 40.0),
                       ("wifi.propagation.shadowing_decorrelation_m", 0.0),
                       ("wifi.propagation.fading", "rician"),
                       ("wifi.propagation.fading_m", 0.1)):
        with pytest.raises(ScenarioError) as e:
            validate_dict(apply_overrides(walk_dict, {key: value}))
        assert key in str(e.value)
