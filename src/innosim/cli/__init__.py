"""The `innosim` command: one group, one module per subcommand."""

from __future__ import annotations

import sys

import click

from innosim import __version__
from innosim.scenario import ScenarioError


class Group(click.Group):
    """Turns a `ScenarioError` anywhere below into a one-line message and exit status 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="innosim")
def main() -> None:
    """innosim: which innovation policy works, where? An agent-based model of the Qingpu-Wujiang-Jiashan
    demonstration zone."""


from .run import run, validate  # noqa: E402

main.add_command(run)
main.add_command(validate)

from .batch import batch  # noqa: E402
from .compare import compare  # noqa: E402

main.add_command(compare)
main.add_command(batch)

from .sensitivity import sensitivity  # noqa: E402

main.add_command(sensitivity)

from .viz import viz  # noqa: E402

main.add_command(viz)

from .calibrate import calibrate  # noqa: E402

main.add_command(calibrate)

from .settings import settings  # noqa: E402

main.add_command(settings)

from .store import store  # noqa: E402

main.add_command(store)
