"""The one error type of scenario handling."""

from __future__ import annotations


# Joins the problems one validator reports in one pydantic error (never inside a problem).
PROBLEM_SEPARATOR = "\x1e"


def _one_line(p: str) -> str:
    """A problem as one printable line: control characters (from hostile keys or values) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(p))


class ScenarioError(ValueError):
    """A scenario that cannot be run. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = [_one_line(p) for p in problems]
        super().__init__("\n".join(self.problems))
