"""``meta254 quality`` (scores with their parts) and ``meta254 trends`` (weekly quality and drift trends).

``quality`` output
    ``--format json``: ``as_of``, ``model``, ``formula`` (the model with its parameters), ``summary``
    and ``services``: one entry per service from its latest snapshot at or before ``as_of``, ordered
    by score descending, then unclamped score descending, then service. Each entry has ``service``,
    ``snapshot_time``, ``maturity``, ``score``, ``recorded_score`` (null when the snapshot has none),
    ``mismatch`` (the recorded score differs from the implemented recomputation), ``grade``,
    ``status``, ``model``, ``raw``, ``multiplier``, ``unclamped``, ``missing_inputs`` and ``parts``
    (``base``, ``coverage``, ``security``, ``policy``, ``stability``, ``drift``, ``maturity_adj``,
    ``rounding``, ``clamping``; they add up to ``score``). ``--format csv``/``table``: the same rows
    flat.
``trends`` output
    ``--format json``: ``as_of``, ``model``, ``weeks``, ``team``, ``rules`` (direction, regression),
    ``summary`` (sentences), ``platform`` (one entry per week), ``services`` (ordered by slope, most
    declining first), ``regressions``, ``attribution``, ``transitions``, ``crossings``, ``groups``,
    ``drift`` (``weekly``, ``time_to_remediation``, ``correlation``; null without drift history).
    ``--format csv``/``table``: the services table.

Without ``--as-of`` the as-of time is the later of the catalog's ``generated_at`` and the newest
quality snapshot (the platform writes the snapshot just after the catalog it scores).

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(quality_command, ["--help"]).output.splitlines()[0]
'Usage: quality [OPTIONS]'
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from ..core.errors import EXIT_OK, UnknownServiceError
from ..core.records import json_records
from ..quality.models import model_formula
from ..quality.overview import quality_overview, round_or_none
from ..quality.params import COMPONENTS, MODELS, ScoringParams
from ..quality.summary import summary_sentences
from ..quality.trends import TrendReport, workspace_trends
from .common import (
    as_of_option,
    debug_option,
    format_option,
    open_state,
    render,
    run_command,
    scope_options,
    scoped_services,
    workspace_option,
)

__all__ = ["quality_command", "trends_command"]

_PART_COLUMNS = {
    "base": "base",
    **{f"{c}_part": c for c in COMPONENTS},
    "maturity_adj": "maturity_adj",
    "rounding": "rounding",
    "clamping": "clamping",
}
#: Columns of the ``quality`` table and CSV output.
QUALITY_COLUMNS = (
    "service",
    "score",
    "recorded_score",
    "mismatch",
    "grade",
    "status",
    "model",
    "maturity",
    *_PART_COLUMNS,
    "raw",
    "multiplier",
    "unclamped",
    "snapshot_time",
    "missing_inputs",
)
#: Columns of the ``trends`` table output (the CSV has every QUALITY_TRENDS column).
TRENDS_COLUMNS = (
    "service",
    "team",
    "weeks_present",
    "presence",
    "first_score",
    "current",
    "change",
    "slope_per_week",
    "volatility",
    "direction",
    "grade",
)

model_option = click.option(
    "--model",
    type=click.Choice(list(MODELS)),
    default="implemented",
    show_default=True,
    help="Scoring model: the platform's implemented formula or the one QUALITY_SCORING.md documents.",
)


def quality_payload(scores: pd.DataFrame, as_of: pd.Timestamp, model: str, params: ScoringParams) -> dict:
    """The JSON document of ``meta254 quality`` for a frame of :func:`~meta254lib.quality.scores.latest_scores`."""
    services = []
    for r in json_records(scores):
        services.append(
            {
                "service": r["service"],
                "snapshot_time": r["snapshot_time"],
                "maturity": r["maturity"],
                "score": r["score"],
                "recorded_score": None if r["recorded_score"] is None else round(r["recorded_score"]),
                "mismatch": r["mismatch"],
                "grade": r["grade"],
                "status": r["status"],
                "model": r["model"],
                "raw": round_or_none(r["raw"]),
                "multiplier": round_or_none(r["multiplier"]),
                "unclamped": round_or_none(r["unclamped"]),
                "missing_inputs": r["missing_inputs"] or "",
                "parts": {name: round_or_none(r[col]) for col, name in _PART_COLUMNS.items()},
            }
        )
    return {
        "as_of": as_of,
        "model": model,
        "formula": model_formula(model, params).splitlines(),
        "summary": quality_overview(scores, params),
        "services": services,
    }


@click.command("quality")
@workspace_option
@as_of_option
@model_option
@click.option("--service", "service", default=None, help="Only this service (a pre-deployment check).")
@scope_options
@format_option
@debug_option
@run_command
def quality_command(
    workspace: Path,
    as_of: str | None,
    model: str,
    service: str | None,
    team: str | None,
    domain: str | None,
    fmt: str,
    debug: bool,
) -> int:
    """Quality scores recomputed from each service's latest snapshot, with their parts.

    The parts (weighted coverage, security, policy, stability and drift, then the maturity
    adjustment, rounding and clamping) add up to the score. ``mismatch`` flags a recorded score that
    its own inputs do not reproduce under the implemented formula.
    """
    state = open_state(workspace, as_of)
    ws, when, params = state.ws, state.as_of, state.scoring
    scores = state.quality_scores(model)
    if service:
        if service not in set(ws.services["service"]):
            raise UnknownServiceError(service, ws.services["service"].tolist())
        scores = scores[scores["service"] == service].reset_index(drop=True)
    scope = scoped_services(ws, team, domain)
    if scope is not None:
        scores = scores[scores["service"].isin(scope)].reset_index(drop=True)
    payload = {**quality_payload(scores, when, model, params), "sources": state.sources()}
    s = payload["summary"]
    title = (
        f"Quality ({model} model) as of {when.isoformat()}: {s['services']} service(s), mean {s['mean']}, "
        f"grades {s['grade_distribution']}, {s['mismatches']} recorded score(s) not reproduced"
    )
    text = render(scores.reindex(columns=list(QUALITY_COLUMNS)), payload, fmt, title=title)
    click.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK


def trends_payload(report: TrendReport) -> dict:
    """The JSON document of ``meta254 trends`` for a :class:`~meta254lib.quality.trends.TrendReport`."""
    drift = None
    if report.drift_weekly is not None:
        drift = {
            "weekly": json_records(report.drift_weekly),
            "time_to_remediation": json_records(report.drift_mttr),
            "correlation": json_records(report.correlation),
        }
    return {
        "as_of": report.as_of,
        "model": report.model,
        "weeks": report.weeks,
        "team": report.team,
        "rules": {
            "direction": report.params.direction_rule,
            "regression": (
                f"a drop of at least {report.params.drop_threshold:g} points from the highest score of the "
                f"preceding {report.params.drop_window_days:g} days"
            ),
            "min_score": report.scoring.min_score,
            "fail_under": report.scoring.fail_under,
        },
        "summary": summary_sentences(report),
        "platform": json_records(report.platform),
        "services": json_records(report.services),
        "regressions": json_records(report.regressions),
        "attribution": json_records(report.attribution),
        "transitions": json_records(report.transitions),
        "crossings": json_records(report.crossings),
        "groups": json_records(report.groups),
        "drift": drift,
    }


@click.command("trends")
@workspace_option
@as_of_option
@click.option("--weeks", type=click.IntRange(min=1), default=None, help="Window length in weeks [default: 12].")
@click.option("--team", default=None, help="Only this team's services.")
@model_option
@format_option
@debug_option
@run_command
def trends_command(
    workspace: Path, as_of: str | None, weeks: int | None, team: str | None, model: str, fmt: str, debug: bool
) -> int:
    """Weekly quality trends from the recorded snapshots, with drift flow beside them.

    Per service: OLS slope (points/week), volatility, current score, change and direction; platform
    series; regressions (alerting.quality_drop_threshold within alerting.quality_drop_window days)
    with the score component that caused them; grade transitions; min_score / fail_under crossings.
    """
    state = open_state(workspace, as_of)
    report = workspace_trends(state.ws, as_of=state.quality_as_of, weeks=weeks, team=team, model=model)
    sources = state.sources()
    if report.drift_weekly is not None:
        flow = str(report.drift_weekly.attrs.get("backlog_source") or "no drift report at or before the as-of")
        sources["drift"] = f"drift flow: {flow}"
    payload = {**trends_payload(report), "as_of": state.as_of, "window_end": report.as_of, "sources": sources}
    table = report.services if fmt == "csv" else report.services.reindex(columns=list(TRENDS_COLUMNS))
    text = render(table, payload, fmt, title="\n".join(payload["summary"]))
    click.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK
