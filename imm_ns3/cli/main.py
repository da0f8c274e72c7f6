"""The imm-sim command group, and the one-line error (exit code 2) every command raises on bad
input."""

from __future__ import annotations

import click

from .._version import __version__
from ..scenario import Scenario, ScenarioError, load_scenario


class _BadInput(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:  # one line per problem, no usage banner
        for line in self.message.splitlines():
            click.echo(f"error: {line}", err=True)


def _load(scenario: str, overrides: tuple[str, ...]) -> tuple[Scenario, "object"]:
    from ..topology import plan_or_error

    try:
        s = load_scenario(scenario, list(overrides))
        return s, plan_or_error(s)
    except ScenarioError as e:
        raise _BadInput("\n".join(e.problems)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="imm-sim")
def main() -> None:
    """Integrated Mobility Management (MMP, MIP-LR, SIP mobility) on ns-3."""
    from ..adapter.precompiled import mode  # noqa: PLC0415 (imports no ns-3)

    try:
        mode()
    except ValueError as e:
        raise _BadInput(str(e)) from None


_SET_HELP = ("Override a scenario field by dotted path, e.g. --set mobility.speed_mps=10 "
             "(VALUE is read as TOML, else as a string). Repeatable.")
