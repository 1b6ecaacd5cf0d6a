"""The inventory of a workspace: the services a report covers, counted by category, and its inputs read or absent.

Examples
--------
>>> import pandas as pd
>>> services = pd.DataFrame({"service": ["a", "b", "c"], "domain": ["x", "x", "y"], "runtime": ["go", "go", "py"]})
>>> count_services(services, ["domain", "runtime"]).to_dict("records")
[{'domain': 'x', 'runtime': 'go', 'services': 2}, {'domain': 'y', 'runtime': 'py', 'services': 1}]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..core.columns import DOMAIN, SERVICE, TEAM
from ..core.names import check_name

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = [
    "count_services",
    "inputs_absent",
    "inputs_per_kind",
    "inputs_read",
    "scoped_services",
    "service_rows",
    "team_services",
]


def scoped_services(ws: Workspace, team: str | None = None) -> pd.DataFrame:
    """The catalog services a (per-team) report covers, renumbered from 0.

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    team : str, optional
        A team name: only its services and the services depending on them (see
        :meth:`Workspace.team_scope`); ``None`` means the whole platform.

    Returns
    -------
    pandas.DataFrame
        The rows of ``ws.services`` in scope, in catalog order.
    """
    scope = ws.team_scope(team)
    return ws.services[ws.services[SERVICE].isin(scope)].reset_index(drop=True)


def count_services(services: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Services per combination of the ``by`` columns, as a ``services`` column.

    Parameters
    ----------
    services : pandas.DataFrame
        Service rows (schema ``SERVICES``).
    by : sequence of str
        Columns to group by.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns and ``services``, sorted by the ``by`` columns.
    """
    return services.groupby(list(by)).size().rename("services").reset_index()


def inputs_read(inputs: pd.DataFrame) -> pd.DataFrame:
    """The input files that were found and read (rows of ``Workspace.inputs`` with ``present``)."""
    return inputs[inputs["present"]]


def inputs_absent(inputs: pd.DataFrame) -> pd.DataFrame:
    """The optional inputs that are absent (rows of ``Workspace.inputs`` without ``present``)."""
    return inputs[~inputs["present"]]


def inputs_per_kind(found: pd.DataFrame) -> pd.DataFrame:
    """Files, rows and newest modification time per kind of input.

    Parameters
    ----------
    found : pandas.DataFrame
        Input files read (see :func:`inputs_read`).

    Returns
    -------
    pandas.DataFrame
        ``input, files, rows, newest``, one row per input kind.
    """
    per_input = found.groupby("input").agg(files=("file", "size"), rows=("rows", "sum"), newest=("modified", "max"))
    return per_input.reset_index()


def team_services(ws: Workspace, team: str | None) -> set[str] | None:
    """The names of the services a team owns (``None`` when no team is given: every service).

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    team : str, optional
        A team name.

    Returns
    -------
    set of str or None
        The team's own services (not those depending on them; see :func:`scoped_services`).
    """
    if not team:
        return None
    team = check_name("team", team, ws.services[TEAM].dropna(), case_insensitive=True)
    return set(ws.services.loc[ws.services[TEAM] == team, SERVICE])


def service_rows(frame: pd.DataFrame, services: Iterable[str] | None) -> pd.DataFrame:
    """The rows of ``frame`` whose ``service`` is one of ``services`` (all of ``frame`` when ``services`` is None).

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with a ``service`` column.
    services : iterable of str, optional
        Service names to keep.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when ``services`` is None, else the matching rows with their index.

    Examples
    --------
    >>> frame = pd.DataFrame({"service": ["a", "b", "c"]})
    >>> list(service_rows(frame, {"a", "c"})["service"]), service_rows(frame, None) is frame
    (['a', 'c'], True)
    """
    if services is None:
        return frame
    return frame[frame[SERVICE].isin(services)]


def selected_services(ws: Workspace, team: str | None, domain: str | None) -> set[str] | None:
    """The services ``team`` and ``domain`` select (names checked, case-insensitive); ``None``: every service."""
    if not team and not domain:
        return None
    services = ws.services
    keep = set(services[SERVICE])
    for column, wanted in ((TEAM, team), (DOMAIN, domain)):
        if wanted:
            name = check_name(column, wanted, services[column].dropna(), case_insensitive=True)
            keep &= set(services.loc[services[column] == name, SERVICE])
    return keep
