"""The `innosim` command: one group, one module per subcommand."""

from __future__ import annotations

import os
import sys

import click

from innosim import __version__

from .errors import DEBUG_ENV, exit_with, handle_stop_signals, in_language


class Group(click.Group):
    """Turns any failure below into a one-line message (file, key, reason) and a non-zero exit
    status (2 for bad input, 1 otherwise); `--debug` shows the traceback instead. Messages are in
    the language of ``--lang`` (read from the arguments before click parses them) or $INNOSIM_LANG,
    click's usage errors included."""

    def main(self, args=None, *rest, **options):
        from innosim.i18n import messages_in, peek_lang

        with messages_in(peek_lang(sys.argv[1:] if args is None else args)):
            return super().main(args, *rest, **options)

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.ClickException as exc:
            raise in_language(exc) from None

    def invoke(self, ctx):
        from innosim.i18n import msg

        try:
            return super().invoke(ctx)
        except click.exceptions.ClickException as exc:
            raise in_language(exc) from None
        except (click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP outside a batch: files are written whole or not
            click.echo("\n" + msg("interrupted"), err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - every other failure: one line, no traceback
            if ctx.params.get("debug") or os.environ.get(DEBUG_ENV):
                raise
            exit_with(exc)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="innosim")
@click.option("--debug", is_flag=True, help=f"show the traceback of a failure (or set {DEBUG_ENV}=1)")
def main(debug: bool) -> None:
    """innosim: which innovation policy works, where? An agent-based model of the Qingpu-Wujiang-Jiashan
    demonstration zone."""
    handle_stop_signals()


from .run import run, validate  # noqa: E402

main.add_command(run)
main.add_command(validate)

from .batch import batch  # noqa: E402
from .compare import compare  # noqa: E402

main.add_command(compare)
main.add_command(batch)

from .sensitivity import sensitivity  # noqa: E402

main.add_command(sensitivity)

from .levers import levers  # noqa: E402

main.add_command(levers)

from .optimise import optimise  # noqa: E402

main.add_command(optimise)

from .viz import viz  # noqa: E402

main.add_command(viz)

from .calibrate import calibrate  # noqa: E402

main.add_command(calibrate)

from .settings import settings  # noqa: E402

main.add_command(settings)

from .store import store  # noqa: E402

main.add_command(store)
