"""Bounds of a scenario's numbers that more than the schema needs (the ns-2 trace reader too)."""

MAX_COORDINATE_M = 1e6  # positions within 1000 km of the origin: ns-3's mobility stays exact
MAX_DURATION_S = 1e6  # the longest run (simulation.duration_s); ns2 trace times and packet intervals too
MIN_PERIOD_S = 1e-6  # an onoff flow's mean on- and off-periods: at least 1 microsecond
MAX_TRACE_BYTES = 64 * 1024 * 1024  # an ns-2 trace file
