"""The base of every scenario model: unknown keys refused, no silent coercion of a boolean."""

from __future__ import annotations

import ipaddress
import math
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, model_validator

from ..bounds import MAX_COORDINATE_M
from ..errors import PROBLEM_SEPARATOR


def _accepts_bool(tp: Any) -> bool:
    if tp is bool:
        return True
    return any(_accepts_bool(a) for a in get_args(tp))


def _holds_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return True
    if isinstance(v, (list, tuple)):
        return any(_holds_bool(x) for x in v)
    return False


class _Model(BaseModel):
    # No infinities or NaN anywhere: ns-3 aborts on them (a link delay of inf, a position of nan).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, data: Any) -> Any:
        # pydantic would read true as 1 and false as 0: say so instead. (A model-level check: a
        # field validator on "*" would also run on the mobility union's tag.) "@field: ..."
        # lines are placed under the model's path by loading.format_validation_error.
        if isinstance(data, dict):
            bad = [f"@{k}: true/false is not allowed here (got {v!r})"
                   for k, v in data.items()
                   if k in cls.model_fields and _holds_bool(v)
                   and not _accepts_bool(cls.model_fields[k].annotation)]
            if bad:
                raise ValueError(PROBLEM_SEPARATOR.join(bad))
        return data


def _check_prefix(v: str) -> str:
    try:
        net = ipaddress.IPv4Network(v, strict=True)
    except ValueError as e:
        raise ValueError(f"must be an IPv4 prefix such as '10.1.0.0/16' ({e})") from None
    if net.prefixlen > 29:
        raise ValueError(f"prefix {v} is too small: use /29 or shorter")
    return v


def _xyz(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and len(v) == 2:
        v = (v[0], v[1], 0.0)
    if isinstance(v, (list, tuple)):
        for x in v:
            if (isinstance(x, (int, float)) and not isinstance(x, bool)
                    and math.isfinite(x) and abs(x) > MAX_COORDINATE_M):
                raise ValueError(f"coordinates within {MAX_COORDINATE_M:g} m of the origin, got {x!r}")
    return v
