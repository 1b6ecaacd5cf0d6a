"""The ``meta254`` command line: a thin shell over the library.

Each command lives in its own module of :mod:`meta254lib.cli` and is registered here. Exit codes: 0 ok,
1 findings or a failed report page, 2 unusable input, 3 internal error (see :mod:`meta254lib.core.errors`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from .._version import __version__
from ..core.errors import EXIT_FINDINGS

__all__ = ["main"]


class OneLineErrors(click.Group):
    """The command group, with usage errors in the one style of every other error.

    Click prints a usage error as a usage block and ``Error: ...``; meta254 prints
    ``meta254: error: <what> (see 'meta254 <command> --help')`` on one line and exits 2, like an
    unusable input.
    """

    def main(self, args: Any = None, prog_name: str | None = None, *a: Any, **kw: Any) -> Any:
        if kw.get("standalone_mode", True) is False:
            return super().main(args, prog_name, *a, **kw)
        kw["standalone_mode"] = False
        try:
            code = super().main(args, prog_name, *a, **kw)
        except click.ClickException as err:
            ctx = getattr(err, "ctx", None)
            where = ctx.command_path if ctx is not None else "meta254"
            click.echo(f"meta254: error: {err.format_message()} (see '{where} --help')", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("meta254: error: aborted", err=True)
            sys.exit(EXIT_FINDINGS)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="meta254")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors (any command).")
@click.option("--verbose", "-v", is_flag=True, help="Log progress to stderr.")
def main(debug: bool, verbose: bool) -> None:
    """meta254: drift, impact, quality trends and remediation plans for the 254Carbon Meta platform."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")


from . import drift as cli_drift  # noqa: E402

main.add_command(cli_drift.command)

from . import report as cli_report  # noqa: E402

main.add_command(cli_report.command)

from . import impact as cli_impact  # noqa: E402

main.add_command(cli_impact.impact_command)
main.add_command(cli_impact.graph_command)

from . import quality as cli_quality  # noqa: E402

main.add_command(cli_quality.quality_command)
main.add_command(cli_quality.trends_command)

from . import plan as cli_plan  # noqa: E402

main.add_command(cli_plan.command)

from . import bench as cli_bench  # noqa: E402

main.add_command(cli_bench.command)

from . import sample as cli_sample  # noqa: E402

main.add_command(cli_sample.command)

from . import validate as cli_validate  # noqa: E402

main.add_command(cli_validate.command)

from . import trains as cli_trains  # noqa: E402

main.add_command(cli_trains.command)

from . import diff as cli_diff  # noqa: E402

main.add_command(cli_diff.command)

from . import week as cli_week  # noqa: E402

main.add_command(cli_week.command)

from . import lab as cli_lab  # noqa: E402

main.add_command(cli_lab.command)

from . import export as cli_export  # noqa: E402

main.add_command(cli_export.command)
