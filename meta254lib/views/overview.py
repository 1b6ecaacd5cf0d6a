"""Views of a workspace's inventory: the overview headline, the service and input tables, the inventory figures.

The figures import plotly lazily. The tables are the ones the workspace overview notebook shows: cross
tabulations with a ``total`` margin, the catalog's services, and the input files read.

Examples
--------
>>> import pandas as pd
>>> services = pd.DataFrame({"service": ["a", "b"], "domain": ["x", "y"], "runtime": ["go", "go"]})
>>> services_crosstab(services, "domain", "runtime").to_dict("records")[-1]
{'domain': 'total', 'go': 2, 'total': 2}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.columns import DOMAIN, MATURITY, RUNTIME, SERVICE, STATUS, TEAM, VERSION
from ..workspace.scope_inventory import count_services
from .escape import md_escape

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = [
    "absent_inputs_markdown",
    "domain_runtime_figure",
    "input_files_table",
    "overview_as_of_markdown",
    "overview_headline",
    "service_inventory_table",
    "services_crosstab",
    "team_maturity_figure",
]

#: Maturity levels from the least to the most settled (and the retiring one last).
_MATURITY_ORDER = ["experimental", "beta", "stable", "deprecated"]
#: Columns of the service table, in order.
_SERVICE_COLUMNS = [
    SERVICE,
    DOMAIN,
    TEAM,
    RUNTIME,
    MATURITY,
    VERSION,
    STATUS,
    "n_contracts",
    "n_internal",
    "n_external",
    "has_manifest",
    "has_lock",
    "last_update",
]
#: Columns of the input-file table, in order.
_INPUT_COLUMNS = ["input", "file", "modified", "timestamp", "bytes", "rows", "warnings", "note"]


def overview_headline(
    services: pd.DataFrame, found: pd.DataFrame, absent: pd.DataFrame, warnings: pd.DataFrame, team: str | None = None
) -> str:
    """One sentence: services, domains and teams in scope, input files read and absent, load warnings.

    Parameters
    ----------
    services : pandas.DataFrame
        The services in scope.
    found, absent : pandas.DataFrame
        Input files read and optional inputs absent (rows of ``Workspace.inputs``).
    warnings : pandas.DataFrame
        The load warnings.
    team : str, optional
        The team the report is scoped to.

    Returns
    -------
    str
        The headline text.

    Examples
    --------
    >>> s = pd.DataFrame({"domain": ["x", "y"], "team": ["t", "u"]})
    >>> e = pd.DataFrame()
    >>> overview_headline(s, e, e, e)
    '2 services in 2 domains, owned by 2 teams; 0 input files read, 0 optional inputs absent, 0 load warnings'
    """
    return (
        f"{len(services)} services in {services[DOMAIN].nunique()} domains, owned by {services[TEAM].nunique()} teams"
        + (f" (team {team}: {int((services[TEAM] == team).sum())} own, the rest depend on them)" if team else "")
        + f"; {len(found)} input files read, {len(absent)} optional inputs absent, {len(warnings)} load warnings"
    )


def overview_as_of_markdown(ws: Workspace, as_of_ts: pd.Timestamp) -> str:
    """The analysis date, the catalog's ``generated_at`` and the workspace folder, as Markdown.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    as_of_ts : pandas.Timestamp
        The resolved analysis date.

    Returns
    -------
    str
        A Markdown paragraph (input strings escaped).
    """
    return (
        f"As of **{as_of_ts.date()}**; catalog generated at {md_escape(ws.generated_at)}. "
        f"Workspace folder: {md_escape(ws.root.name)}."
    )


def services_crosstab(services: pd.DataFrame, rows: str, columns: str) -> pd.DataFrame:
    """Services per ``rows`` value (rows) and ``columns`` value (columns), with ``total`` margins.

    Parameters
    ----------
    services : pandas.DataFrame
        The services in scope.
    rows, columns : str
        Service columns to count by, e.g. ``"domain"`` and ``"runtime"``.

    Returns
    -------
    pandas.DataFrame
        One row per ``rows`` value plus ``total``; one column per ``columns`` value plus ``total``.
    """
    return pd.crosstab(services[rows], services[columns], margins=True, margins_name="total").reset_index()


def domain_runtime_figure(services: pd.DataFrame) -> Any:
    """A bar per domain, stacked by runtime.

    Parameters
    ----------
    services : pandas.DataFrame
        The services in scope.

    Returns
    -------
    plotly.graph_objects.Figure
        The bar chart.
    """
    import plotly.express as px

    per_domain = count_services(services, [DOMAIN, RUNTIME]).sort_values([DOMAIN, RUNTIME])
    return px.bar(
        per_domain,
        x=DOMAIN,
        y="services",
        color=RUNTIME,
        title="Services per domain and runtime",
        labels={DOMAIN: "Domain", "services": "Services", RUNTIME: "Runtime"},
    )


def team_maturity_figure(services: pd.DataFrame) -> Any:
    """A horizontal bar per team, stacked by maturity, the largest team on top.

    Parameters
    ----------
    services : pandas.DataFrame
        The services in scope.

    Returns
    -------
    plotly.graph_objects.Figure
        The bar chart.
    """
    import plotly.express as px

    per_team = count_services(services, [TEAM, MATURITY])
    return px.bar(
        per_team,
        y=TEAM,
        x="services",
        color=MATURITY,
        orientation="h",
        title="Services per team and maturity",
        category_orders={MATURITY: _MATURITY_ORDER},
        labels={TEAM: "Team", "services": "Services", MATURITY: "Maturity"},
    ).update_layout(yaxis={"categoryorder": "total ascending"})


def service_inventory_table(services: pd.DataFrame) -> pd.DataFrame:
    """The catalog's services with their counts and flags, by domain then name.

    Parameters
    ----------
    services : pandas.DataFrame
        The services in scope (schema ``SERVICES``).

    Returns
    -------
    pandas.DataFrame
        Service, domain, team, runtime, maturity, version, status, the contract and dependency
        counts, the manifest and lock flags and the last update.
    """
    return services[_SERVICE_COLUMNS].sort_values([DOMAIN, SERVICE])


def input_files_table(found: pd.DataFrame) -> pd.DataFrame:
    """The input files read, by input kind then file.

    Parameters
    ----------
    found : pandas.DataFrame
        Input files read (rows of ``Workspace.inputs`` that are present).

    Returns
    -------
    pandas.DataFrame
        Input, file, modification time, the artifact's timestamp, bytes, rows, warnings and note.
    """
    return found[_INPUT_COLUMNS].sort_values(["input", "file"])


def absent_inputs_markdown(absent: pd.DataFrame) -> str:
    """A Markdown list of the optional inputs that are absent and what could therefore not be judged.

    Parameters
    ----------
    absent : pandas.DataFrame
        Optional inputs absent (rows of ``Workspace.inputs`` that are not present).

    Returns
    -------
    str
        The list, or a sentence saying that every optional input is present.

    Examples
    --------
    >>> absent_inputs_markdown(pd.DataFrame(columns=["input", "file", "note"]))
    'Every optional input is present.'
    """
    if not len(absent):
        return "Every optional input is present."
    return "**Optional inputs absent:**\n\n" + "\n".join(
        f"- **{md_escape(r.input)}** ({md_escape(r.file)}): {md_escape(r.note)}" for r in absent.itertuples()
    )
