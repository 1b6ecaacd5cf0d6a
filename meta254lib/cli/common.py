"""Options, output and error handling shared by every ``meta254`` command.

Every command is wrapped by :func:`run_command`: a :class:`~meta254lib.core.errors.Meta254Error` becomes a
one-line message on stderr and its exit code (2 for unusable input); anything else becomes exit code 3
with a one-line message. Tracebacks are printed only with ``--debug``.

Output is deterministic: JSON with ``ensure_ascii=False`` and two-space indentation, CSV with a fixed
column order, and the rows in the order the analysis documents.

Examples
--------
>>> import pandas as pd
>>> print(render(pd.DataFrame({"a": [1, 2]}), {"n": 2}, "csv"), end="")
a
1
2
>>> print(render(pd.DataFrame({"a": [1]}), {"n": 1, "when": pd.Timestamp("2025-10-10", tz="UTC")}, "json"))
{
  "n": 1,
  "when": "2025-10-10T00:00:00+00:00"
}
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import shutil
import sys
import textwrap
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from ..core.errors import EXIT_INTERNAL, Meta254Error
from ..core.records import csv_text, json_records, json_value
from ..state.analysis import AnalysisState, analysis_state
from ..workspace.scope_inventory import selected_services as scoped_services
from ..workspace.workspace import Workspace, open_workspace
from .tables import text_table

__all__ = [
    "BASE_FORMATS",
    "as_of_option",
    "debug_option",
    "format_option",
    "json_default",
    "open_state",
    "open_ws",
    "parse_as_of",
    "render",
    "run_command",
    "scope_options",
    "scoped_services",
    "shown_path",
    "table_options",
    "terminal_width",
    "to_json",
    "workspace_option",
]

#: Environment variable naming the default workspace.
ENV_WORKSPACE = "META254_WORKSPACE"


def default_workspace(value: Path | None) -> Path:
    """``--workspace`` when given, else ``$META254_WORKSPACE``, else the current folder if it is a workspace.

    Raises
    ------
    click.BadParameter
        None of them names a workspace (the message says how to point at one).
    """
    if value is not None:
        return value
    env = os.environ.get(ENV_WORKSPACE, "").strip()
    if env:
        return Path(env)
    here = Path.cwd()
    if any((here / "catalog" / f"service-index.{ext}").is_file() for ext in ("yaml", "yml", "json")):
        return here
    raise click.BadParameter(
        f"no workspace given and {here} is not one (no catalog/service-index.yaml): pass --workspace DIR "
        f"or set {ENV_WORKSPACE}",
        param_hint="'--workspace'",
    )


workspace_option = click.option(
    "--workspace",
    "-w",
    "workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    callback=lambda ctx, param, value: default_workspace(value),
    help=f"Workspace folder (a checkout of the meta repository's layout). Default: ${ENV_WORKSPACE}, "
    "else the current folder when it is a workspace.",
)
as_of_option = click.option(
    "--as-of",
    "as_of",
    default=None,
    help="Analysis date (YYYY-MM-DD or ISO timestamp); default: the catalog's generated_at.",
)


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta[key] = value
        return value

    return store


def table_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--columns a,b,c`` and ``--wide`` for a command's table output (read by :func:`render`)."""
    fn = click.option(
        "--wide",
        is_flag=True,
        expose_value=False,
        callback=_remember("m254_wide"),
        help="Table output: every column at full width, whatever the terminal.",
    )(fn)
    return click.option(
        "--columns",
        metavar="A,B,...",
        default=None,
        expose_value=False,
        callback=_remember("m254_columns"),
        help="Table output: these columns, in this order.",
    )(fn)


def scope_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--team`` and ``--domain``: only these services' rows (names checked, case-insensitive)."""
    fn = click.option("--domain", default=None, help="Only this domain's services.")(fn)
    return click.option("--team", "-t", default=None, help="Only this team's services.")(fn)


#: The output formats every command offers.
BASE_FORMATS: tuple[str, ...] = ("table", "json", "csv")


def format_option(
    fn: Callable[..., Any] | None = None,
    *,
    extra: tuple[str, ...] | list[str] = (),
    help_text: str = "Output format.",
    table: bool = True,
) -> Any:
    """``--format table|json|csv[|extra...]`` (default ``table``), with the table options.

    Used bare (``@format_option``) or as a factory (``@format_option(extra=("markdown",), help_text=...)``);
    ``table=False`` leaves out ``--columns`` and ``--wide``.

    Examples
    --------
    >>> @click.command()
    ... @format_option(extra=("markdown",))
    ... def cmd(fmt): click.echo(fmt)
    >>> from click.testing import CliRunner
    >>> CliRunner().invoke(cmd, ["--format", "markdown"]).output.strip()
    'markdown'
    """

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        option = click.option(
            "--format",
            "fmt",
            type=click.Choice([*BASE_FORMATS, *extra]),
            default="table",
            show_default=True,
            help=help_text,
        )
        return option(table_options(f) if table else f)

    return decorate if fn is None else decorate(fn)


debug_option = click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")


def shown_path(path: Path | str) -> str:
    """A path the CLI wrote, as it prints it: absolute (from the current folder), symbolic links kept.

    Examples
    --------
    >>> Path(shown_path("reports/index.html")).is_absolute()
    True
    """
    return os.path.abspath(os.fspath(path))


def open_ws(path: Path | str) -> Workspace:
    """Open a workspace for a command (errors are handled by :func:`run_command`)."""
    return open_workspace(path)


def open_state(path: Path | str, as_of: str | None = None) -> AnalysisState:
    """Open a workspace and its analysis state at ``--as-of`` (the facts every command shares)."""
    return analysis_state(open_ws(path), as_of)


def parse_as_of(value: str | None, ws: Workspace) -> pd.Timestamp:
    """The ``--as-of`` value as a UTC timestamp (default: the catalog's ``generated_at``)."""
    return ws.resolve_as_of(value)


def json_default(obj: Any) -> Any:
    """JSON encoding of the values analyses return (timestamps, numpy scalars, tuples, NA)."""
    if isinstance(obj, pd.Timestamp):
        return None if pd.isna(obj) else obj.isoformat()
    if isinstance(obj, (dt.datetime, dt.date)):
        return obj.isoformat()
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if math.isnan(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, Path):
        return obj.as_posix()
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, pd.DataFrame):
        return json_records(obj)
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def to_json(payload: Any) -> str:
    """Deterministic JSON text of a payload (values made JSON-ready by :func:`~meta254lib.core.records.json_value`)."""
    return json.dumps(json_value(payload), indent=2, ensure_ascii=False, default=json_default, allow_nan=False)


def terminal_width() -> int | None:
    """The width to fit tables to: the terminal's, or ``COLUMNS``; ``None`` when output is piped without it."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return max(shutil.get_terminal_size().columns, 20)
    return None


def _table_text(df: pd.DataFrame, title: str | None) -> str:
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    cols = [c.strip() for c in str(meta.get("m254_columns") or "").split(",") if c.strip()]
    wide = bool(meta.get("m254_wide"))
    width = None if wide else terminal_width()
    head = ""
    if title:
        head = (
            "\n".join(
                textwrap.fill(line, width, break_long_words=False) if width else line for line in title.splitlines()
            )
            + "\n"
        )
    return head + text_table(df, width=width, columns=cols or None, wide=wide)


def render(table: pd.DataFrame, payload: dict[str, Any], fmt: str, *, title: str | None = None) -> str:
    """Text for one command result: ``json`` → the payload, ``csv`` → the table, ``table`` → both, readable."""
    if fmt == "json":
        return to_json(payload)
    if fmt == "csv":
        return csv_text(table)
    return _table_text(table, title)


def run_command(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Wrap a click command body: map errors to exit codes; tracebacks only with ``--debug``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        debug = bool(kwargs.get("debug")) or bool(click.get_current_context().find_root().params.get("debug"))
        try:
            code = fn(*args, **kwargs)
        except Meta254Error as err:
            if debug:
                traceback.print_exc()
            click.echo(f"meta254: error: {err}", err=True)
            sys.exit(err.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("meta254: interrupted", err=True)
            sys.exit(130)
        except Exception as err:  # the last line of defence: never show a traceback by default
            if debug:
                traceback.print_exc()
            first = str(err).splitlines()[0][:300] if str(err) else ""
            click.echo(
                f"meta254: internal error: {type(err).__name__}: {first} (run with --debug for the traceback)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)
        sys.exit(code or 0)

    return wrapper
