"""Scenario files: the schema (:mod:`.schema`), cross-checks between its tables (:mod:`.checks`),
reading files, ``--set`` overrides and one-line errors (:mod:`.loading`), and the radio facts
the schema needs (:mod:`.radio`).

A scenario is a TOML file (see ``docs/scenario.md`` for every field with its unit). It is parsed
into the pydantic model :class:`Scenario`; every problem is reported as a :class:`ScenarioError`
whose message names the field by dotted path and says what is allowed, one line per problem.
"""

from .errors import ScenarioError
from .loading import (
    BUILTIN_SCENARIOS,
    DEFAULT_SCENARIO,
    _models_in,
    _unwrap,
    apply_overrides,
    builtin_path,
    check_override_path,
    format_validation_error,
    load_scenario,
    parse_override,
    parse_toml_file,
    read_scenario_dict,
    validate_dict,
)
from .radio import (
    CHANNELS_5GHZ,
    CHANNELS_24GHZ,
    TIME_UNIT_S,
    WIFI_STANDARDS,
    band_of,
    channel_centre_mhz,
    free_space_loss_1m_db,
)
from .schema import *  # noqa: F401,F403 - the models, by name
from .schema import Scenario

__all__ = [
    "Scenario", "ScenarioError", "BUILTIN_SCENARIOS", "DEFAULT_SCENARIO", "apply_overrides",
    "builtin_path", "check_override_path", "format_validation_error", "load_scenario",
    "parse_override", "parse_toml_file", "read_scenario_dict", "validate_dict", "band_of", "channel_centre_mhz",
    "free_space_loss_1m_db", "TIME_UNIT_S", "WIFI_STANDARDS", "CHANNELS_24GHZ", "CHANNELS_5GHZ",
    "_models_in", "_unwrap",
]
