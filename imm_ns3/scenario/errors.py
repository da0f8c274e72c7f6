"""The one error type of scenario handling."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario that cannot be run. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
