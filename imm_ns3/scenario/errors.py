"""The one error type of scenario handling."""

from __future__ import annotations

from typing import Any

# Joins the problems one validator reports in one pydantic error (never inside a problem).
PROBLEM_SEPARATOR = "\x1e"

SHOWN_CHARS = 60  # a value quoted in a problem is cut to this many characters


def shown(v: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(v)`` for a problem line, cut when long: a 5000-digit name is shown by its start and
    its length, and the line still names the field."""
    r = repr(v)
    if len(r) <= limit:
        return r
    size = f" ({len(v)} characters)" if isinstance(v, str) else ""
    return f"{r[:limit]}...{size}"


def cut(s: str, limit: int = 200) -> str:
    """A text (a path, a key) for a problem line, cut when long."""
    s = str(s)
    return s if len(s) <= limit else f"{s[:limit]}... ({len(s)} characters)"


def _one_line(p: str) -> str:
    """A problem as one printable line: control characters (from hostile keys or values) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(p))


class ScenarioError(ValueError):
    """A scenario that cannot be run. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = [_one_line(p) for p in problems]
        super().__init__("\n".join(self.problems))
