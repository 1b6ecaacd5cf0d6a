"""Tests for built-in external aliases: applied only when configured, or reported when built in."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner
from conftest import svc

import meta254lib as m
from meta254lib.cli import main
from meta254lib.graph.rules import builtin_alias_notes, builtin_alias_uses, builtin_aliases

NOTE = (
    "built-in alias postgres → postgresql (not in rules.yaml) applied to 2 uses; without it they would be 2 "
    "more unauthorized externals (rules.yaml allows postgresql, not postgres); configure it under "
    "dependency.aliases to make it explicit"
)


def _ws(make_ws, **dependency):
    services = [
        svc("a", dependencies={"internal": [], "external": ["postgres", "redis"]}),
        svc("b", dependencies={"internal": [], "external": ["Postgres@15"]}),
        svc("c", dependencies={"internal": [], "external": ["postgresql", "minio"]}),
    ]
    rules = {"dependency": {"allowed_external": ["postgresql", "redis"], **dependency}}
    return make_ws(services=services, files={"config/rules.yaml": rules})


def test_builtin_aliases_leave_out_the_configured_ones():
    assert builtin_aliases(None) == {"postgres": "postgresql", "mongo": "mongodb", "elastic": "elasticsearch"}
    assert "postgres" not in builtin_aliases({"dependency": {"aliases": {"postgres": "postgresql"}}})


def test_builtin_alias_uses_without_an_allowed_list_hides_nothing():
    deps = pd.DataFrame({"service": ["a", "b"], "name": ["mongo", "redis"], "kind": ["external", "external"]})
    uses = builtin_alias_uses(deps, {})
    assert uses.values.tolist() == [["mongo", "mongodb", 1, ("a",), 0]]
    assert builtin_alias_notes(uses) == [
        "built-in alias mongo → mongodb (not in rules.yaml) applied to 1 use; configure it under "
        "dependency.aliases to make it explicit"
    ]


def test_structure_reports_a_builtin_alias(make_ws):
    ws = m.open_workspace(_ws(make_ws))
    report = m.structure_checks(ws.graph, ws.rules, aliases=ws.aliases, dependencies=ws.dependencies)
    assert report.summary["unauthorized_externals"] == 1  # c -> minio; the two postgres uses are aliased
    assert report.summary["builtin_aliases"] == [
        {"alias": "postgres", "canonical": "postgresql", "uses": 2, "services": ["a", "b"], "hidden": 2}
    ]
    assert report.summary["alias_notes"] == [NOTE]


def test_a_configured_alias_is_not_reported(make_ws):
    ws = m.open_workspace(_ws(make_ws, aliases={"postgres": "postgresql"}))
    report = m.structure_checks(ws.graph, ws.rules, aliases=ws.aliases, dependencies=ws.dependencies)
    assert report.summary["unauthorized_externals"] == 1
    assert report.summary["builtin_aliases"] == [] and report.summary["alias_notes"] == []


def test_cli_graph_notes_the_builtin_alias(make_ws):
    path = _ws(make_ws)
    res = CliRunner().invoke(main, ["graph", "-w", str(path)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "unauthorized externals 1" in res.output and f"Note: {NOTE}" in res.output
    doc = json.loads(CliRunner().invoke(main, ["graph", "-w", str(path), "--format", "json"]).output)
    assert doc["structure"]["summary"]["alias_notes"] == [NOTE]
