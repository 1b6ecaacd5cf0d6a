"""``meta254 impact`` (what a change set breaks, and why) and ``meta254 graph`` (structure checks).

``impact`` output
    ``--format json``: ``changes``, ``summary``, ``impacted`` (sorted by distance, then service),
    ``same_domain_unreachable``, ``hits``, ``parameters`` and ``rollout`` (tests, waves, rollback,
    teams). ``--format csv``: the impacted table (``result.to_csv()`` in the library gives the same text).
    ``--format table``: a summary and the impacted table. ``--format graphml|dot|mermaid``: the impacted
    subgraph (:meth:`~meta254lib.impact.analysis.ImpactResult.subgraph`), written like ``graph``'s exports.
``graph`` output
    ``--format json``: ``structure`` (cycles, layering, forbidden, unauthorized externals, rankings,
    ...) and ``blast_radius`` for every service (sorted by blast radius descending, then service).
    ``--format csv``: the blast-radius table. ``--format table``: the findings, then that table.

Examples
--------
>>> from click.testing import CliRunner
>>> CliRunner().invoke(impact_command, ["--help"]).output.splitlines()[0]
'Usage: impact [OPTIONS]'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..core.errors import EXIT_FINDINGS, EXIT_OK, ParameterError
from ..graph.build import DEFAULT_RELATIONS, parse_relations
from ..graph.export import EXPORT_FORMATS, export_graph, select_services
from ..graph.structure import structure_checks
from ..impact.changes import Change
from ..impact.from_workspace import workspace_impact
from ..impact.names import check_changes
from ..impact.rollout import rollout_plan
from ..impact.summary import blast_radius_table
from ..impact.upstream import dependencies_of
from ..views.impact import IMPACTED_TABLE_COLUMNS  # the columns of the table output
from ..workspace.workspace import Workspace
from .common import (
    as_of_option,
    debug_option,
    format_option,
    open_state,
    open_ws,
    render,
    run_command,
    scope_options,
    scoped_services,
    workspace_option,
)

if TYPE_CHECKING:
    from ..impact.analysis import ImpactResult
    from ..impact.rollout import RolloutPlan

__all__ = ["graph_command", "impact_command"]

relations_option = click.option(
    "--relations",
    "relations",
    default=",".join(DEFAULT_RELATIONS),
    show_default=True,
    help="Comma-separated relations to follow: depends_on, consumes_event, shares_contract.",
)


def _impact_title(result: ImpactResult, plan: RolloutPlan) -> str:
    """The table output's heading: the changes, blast radius, severity, overlaps, warnings and notes."""
    s = result.summary
    lines = [
        f"Impact of {', '.join(result.changes['change'])} as of {s['as_of']} (relations {', '.join(s['relations'])}"
        + (f", max depth {s['max_depth_limit']}" if s["max_depth_limit"] else "")
        + ")",
        f"Blast radius {s['blast_radius']}, weighted {s['weighted_blast_radius']:g}, max depth {s['max_depth']}; "
        f"severity {s['severity']} ({s['severity_reason']})",
        f"Domains: {', '.join(s['domains']) or '-'}; teams: {', '.join(s['teams']) or '-'}",
    ]
    for c in result.changes.itertuples(index=False):
        extra = []
        if c.kind == "event":
            extra.append(f"producers: {', '.join(c.producers) or 'none'}")
        if c.note:
            extra.append(c.note)
        lines.append(
            f"  {c.change}: hits {c.hits} ({c.unique} only by it)" + (f"; {'; '.join(extra)}" if extra else "")
        )
    if s["overlap"]:
        lines.append(f"Hit by more than one change: {', '.join(s['overlap'])}")
    if len(result.same_domain):
        lines.append(
            f"Same domain, not reachable (not counted): {', '.join(result.same_domain['service'].astype(str))}"
        )
    waves = "; ".join(f"{w.wave}: {', '.join(map(str, w.services))}" for w in plan.waves.itertuples(index=False))
    lines.append(f"Rollout waves {waves or '-'} — {plan.rule}")
    for w in plan.warnings:
        lines.append(f"Rollout warning: {w}")
    for n in s.get("notes", ()):
        lines.append(f"Note: {n}")
    lines.append(f"Weighted impact: {s['formula']}")
    return "\n".join(lines)


@click.command("impact")
@workspace_option
@click.option("--service", "services", multiple=True, metavar="S", help="A changed service (repeatable).")
@click.option("--spec", "specs", multiple=True, metavar="NAME@VER", help="A spec upgrade (repeatable).")
@click.option("--event", "events", multiple=True, metavar="E", help="A changed event schema (repeatable).")
@click.option("--external", "externals", multiple=True, metavar="NAME@VER", help="An external upgrade (repeatable).")
@relations_option
@click.option("--max-depth", "max_depth", type=int, default=None, help="Stop after N hops (default: no limit).")
@as_of_option
@click.option(
    "--no-drift",
    is_flag=True,
    help="Leave drift out of the weights (default: count the open drift issues of a drift run at --as-of).",
)
@click.option(
    "--direction",
    type=click.Choice(["dependents", "dependencies"]),
    default="dependents",
    show_default=True,
    help="dependents: what the change breaks; dependencies: what the --service(s) depend on.",
)
@scope_options
@format_option(
    extra=EXPORT_FORMATS,
    help_text="Output format; graphml, dot (clusters by domain) and mermaid write the impacted subgraph: "
    "the changes, the impacted services and the first hop of each why-path.",
)
@debug_option
@run_command
def impact_command(
    workspace: Path,
    services: tuple[str, ...],
    specs: tuple[str, ...],
    events: tuple[str, ...],
    externals: tuple[str, ...],
    relations: str,
    max_depth: int | None,
    as_of: str | None,
    no_drift: bool,
    direction: str,
    team: str | None,
    domain: str | None,
    fmt: str,
    debug: bool,
) -> int:
    """What a change set breaks, and why: full blast radius with why-paths and weighted impact.

    Changes are analysed together in the order services, specs, events, externals; each impacted
    service says which change(s) hit it. Exit code 0, or 2 for an unknown service or bad option.
    """
    from ..impact.changes import parse_change

    changes: list[Change] = []
    for kind, values in (("service", services), ("spec", specs), ("event", events), ("external", externals)):
        changes.extend(parse_change(f"{kind}:{v}") for v in values)
    if not changes:
        raise ParameterError("no change given: name at least one --service, --spec, --event or --external")
    state = open_state(workspace, as_of)
    ws, rels = state.ws, parse_relations(relations)
    if direction == "dependencies":
        if fmt in EXPORT_FORMATS:
            raise ParameterError(f"--format {fmt} exports what a change impacts: use it with --direction dependents")
        return _dependencies(ws, changes, rels, max_depth, fmt, str(workspace))
    if no_drift:
        q = state.quality
        snapshot = q.time.isoformat() if q.time is not None else None
        result = workspace_impact(
            ws,
            changes,
            relations=rels,
            max_depth=max_depth,
            as_of=state.as_of,
            quality=q.scores,
            quality_snapshot=snapshot,
        )
    else:
        result = state.impact(changes, relations=rels, max_depth=max_depth)
    scope = scoped_services(ws, team, domain)
    if fmt in EXPORT_FORMATS:  # with --team/--domain: those services, their why-paths and the changes
        click.echo(export_graph(result.subgraph(ws.graph, services=scope), fmt), nl=False)
        return EXIT_OK
    plan = rollout_plan(ws.graph, result, teams=ws.teams)
    payload = {"workspace": str(workspace), **result.to_dict(), "rollout": plan.to_dict(), "sources": state.sources()}
    table = result.impacted if fmt == "csv" else result.impacted[list(IMPACTED_TABLE_COLUMNS)]
    if scope is not None:  # the whole blast radius is computed; the table lists the selected services
        table = table[table["service"].isin(scope)].reset_index(drop=True)
        payload["selected"] = table["service"].tolist()
    text = render(table, payload, fmt, title=_impact_title(result, plan))
    click.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK


def _dependencies(
    ws: Workspace, changes: list[Change], rels: tuple[str, ...], depth: int | None, fmt: str, name: str
) -> int:
    """``impact --direction dependencies``: what the changed services depend on."""
    if any(c.kind != "service" for c in changes):
        raise ParameterError("--direction dependencies takes --service only (what those services depend on)")
    check_changes(ws, changes)
    services = [c.name for c in changes]
    table = dependencies_of(ws.graph, services, relations=rels, max_depth=depth)
    payload = {
        "workspace": name,
        "direction": "dependencies",
        "services": services,
        "relations": list(rels),
        "dependencies": table,
    }
    title = f"{', '.join(services)} depend(s) on {len(table)} service(s) over {', '.join(rels)}"
    text = render(table, payload, fmt, title=title)
    click.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK


@click.command("graph")
@workspace_option
@relations_option
@click.option("--top", type=int, default=5, show_default=True, help="Services per ranking.")
@click.option("--fail-on-findings", is_flag=True, help="Exit 1 when a structure check finds an error.")
@click.option("--team", default=None, help="graphml/dot/mermaid: only this team's services.")
@click.option("--domain", default=None, help="graphml/dot/mermaid: only this domain's services.")
@format_option(
    extra=EXPORT_FORMATS,
    help_text="Output format; graphml, dot (clusters by domain) and mermaid export the graph of --relations.",
)
@debug_option
@run_command
def graph_command(
    workspace: Path,
    relations: str,
    top: int,
    fail_on_findings: bool,
    team: str | None,
    domain: str | None,
    fmt: str,
    debug: bool,
) -> int:
    """Structure checks (cycles, layering, forbidden edges, unauthorized externals, critical services)
    and the blast radius of every service.

    Cycles (the deploy-order relations, as rollout waves), layering and forbidden patterns read the
    depends_on edges; rankings and blast radius the chosen --relations. Built-in aliases applied without
    rules.yaml configuring them are noted.
    """
    if top < 1:
        raise ParameterError(f"--top must be ≥ 1, found {top}")
    rels = parse_relations(relations)
    ws = open_ws(workspace)
    if fmt in EXPORT_FORMATS:
        text = export_graph(select_services(ws.graph, relations=rels, team=team, domain=domain), fmt)
        click.echo(text, nl=False)
        return EXIT_OK
    report = structure_checks(
        ws.graph, ws.rules, aliases=ws.aliases, relations=rels, top=top, dependencies=ws.dependencies
    )
    blast = blast_radius_table(ws.graph, rels)
    findings = report.findings()
    payload = {
        "workspace": str(workspace),
        "relations": list(rels),
        "structure": report.to_dict(),
        "findings": findings,
        "blast_radius": blast,
    }
    s = report.summary
    title_lines = [
        f"Structure of {s['services']} services, {s['dependency_edges']} depends_on edges "
        f"({s['relation_edges']} edges under {', '.join(rels)})",
        f"Cycles {s['cycles']}, layering violations {s['layering_violations']}, edges with an unknown domain "
        f"{s['unknown_domain_edges']}, forbidden edges {s['forbidden_edges']}, unauthorized externals "
        f"{s['unauthorized_externals']}",
    ]
    title_lines.append(f"Cycles and rollout {s['cycle_rule']}")
    on_cycles = [set(d) for d in report.components["services"]]
    title_lines += [
        f"Not a deploy cycle: {' ↔ '.join(map(str, c))} are strongly connected under {', '.join(rels)}, "
        "not by depends_on edges alone"
        for c in report.relation_cycles["services"]
        if not any(set(c) <= d for d in on_cycles)
    ]
    title_lines += [f"Not assessed: {n}" for n in s["notes"]]
    title_lines += [f"Note: {n}" for n in s["alias_notes"]]
    if len(findings):
        title_lines.append("Findings:")
        title_lines += [
            f"  [{f.severity}] {f.check}: {f.service}{' -> ' + f.subject if f.subject else ''}: {f.detail}"
            for f in findings.itertuples(index=False)
        ]
    for metric in ("fan_in", "fan_out", "betweenness"):
        ranked = report.rankings[report.rankings["metric"] == metric]
        title_lines.append(
            f"Top {metric}: " + (", ".join(f"{r.service} ({r.value:g})" for r in ranked.itertuples()) or "-")
        )
    title_lines.append("Blast radius (transitive dependents) per service:")
    text = render(blast, payload, fmt, title="\n".join(title_lines))
    click.echo(text, nl=not text.endswith("\n"))
    has_errors = bool(len(findings)) and (findings["severity"] == "error").any()
    return EXIT_FINDINGS if fail_on_findings and has_errors else EXIT_OK
