"""Every notebook: committed clean with a `parameters` cell papermill reads whole; each runs with its parameters.

One module for the notebook contract: the checks every notebook must pass, the parameter names of each
notebook, and per notebook an execution case (a workspace, parameters, and what the outputs must show);
nbval re-runs the committed notebooks on the sample.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import REPO, SAMPLE, svc, write_workspace

from meta254lib import detect_drift, open_workspace, write_drift_report

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

#: The parameters of each notebook whose names are pinned, in order (the first code cell).
PARAMETER_NAMES = {
    "drift_overview": ["workspace", "as_of", "team", "severity_floor", "manifest_url"],
    "impact_analysis": ["workspace", "changes", "relations", "max_depth", "as_of", "team", "max_nodes"],
    "quality_trends": ["workspace", "as_of", "weeks", "team", "weights"],
}

#: Notebooks nbval re-runs on the sample, comparing against nothing but errors.
NBVAL_NOTEBOOKS = ["quality_trends"]


def _notebook(stem: str) -> Path:
    return REPO / "notebooks" / f"{stem}.ipynb"


def _outputs(nb: Any, mimetype: str) -> Iterator[Any]:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if mimetype in out.get("data", {}):
                yield out["data"][mimetype]


def _tables(nb: Any) -> dict[str, Any]:
    return {t["name"]: t for t in _outputs(nb, "application/vnd.meta254.table+json")}


def _headline(nb: Any) -> str:
    return next(_outputs(nb, "application/vnd.meta254.headline+json"))["text"]


# --- the contract every notebook keeps ---------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_clean_and_parameterised(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "commit without outputs"
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1
    tree = ast.parse("".join(params[0]["source"]))
    assert all(isinstance(node, ast.Assign) for node in tree.body)
    for node in tree.body:
        ast.literal_eval(node.value)  # literals only (our own notebook source, not input)
    for cell in code:
        body = ast.parse("".join(cell["source"])).body
        defs = (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)
        assert not any(isinstance(n, defs) for n in body), "thin notebooks define nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_papermill_reads_every_parameter(path):
    """A comment papermill cannot parse silently drops that parameter (it did for `changes = []  # ... []`)."""
    import papermill

    nb = json.loads(path.read_text(encoding="utf-8"))
    (params,) = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    names = [n.targets[0].id for n in ast.parse("".join(params["source"])).body]
    assert list(papermill.inspect_notebook(str(path))) == names


@pytest.mark.parametrize(("stem", "expected"), sorted(PARAMETER_NAMES.items()), ids=sorted(PARAMETER_NAMES))
def test_notebook_is_committed_clean_with_literal_parameters(stem, expected):
    nb = nbformat.read(_notebook(stem), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    names = [line.split("=")[0].strip() for line in code[0].source.splitlines() if "=" in line]
    assert names == expected
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())


# --- execution cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunCase:
    """A notebook, how to build its workspace and parameters, how often to run it, what its outputs show."""

    stem: str
    setup: Callable[[Path, Callable[..., Path]], dict[str, Any]]
    check: Callable[[list[Any]], None]
    runs: int = 1


def _drift_setup(tmp_path: Path, make_ws: Callable[..., Path]) -> dict[str, Any]:
    specs = {
        "core": {
            "versions": [
                {"version": "1.0.0", "release_date": "2025-01-01"},
                {"version": "1.1.0", "release_date": "2025-06-01", "changes": ["feature"]},
                {"version": "2.0.0", "release_date": "2025-09-01", "changes": ["breaking"]},
            ]
        }
    }
    week1 = [
        svc("gw", team="access", api_contracts=["core@1.0.0"]),
        svc("auth", team="access", api_contracts=["core@1.1.0"]),
        svc("etl", team="data", api_contracts=["core@2.0.0"], events_in=["x.y.z.v1"]),
    ]
    files = {
        "config/specs-index.json": specs,
        "config/events-registry.yaml": {"events": []},
        "config/rules.yaml": {
            "drift": {"exemptions": [{"service": "etl", "reason": "retiring", "expires": "2025-12-31"}]}
        },
    }
    meta = {"metadata": {"generated_at": "2025-09-29T00:00:00+00:00"}}
    root = write_workspace(tmp_path / "ws", {**files, "catalog/service-index.yaml": {**meta, "services": week1}})
    write_drift_report(root, detect_drift(open_workspace(root), as_of="2025-09-29"))
    week2 = [dict(week1[0], api_contracts=["core@2.0.0"]), *week1[1:]]  # gw remediated its major lag
    write_workspace(
        root,
        {"catalog/service-index.yaml": {"metadata": {"generated_at": "2025-10-06T00:00:00+00:00"}, "services": week2}},
    )
    return {"workspace": str(root), "team": "access", "severity_floor": "medium"}


def _drift_check(runs: list[Any]) -> None:
    nb = runs[0]
    assert _headline(nb) == "Drift as of 2025-10-06 for team access: 1 issue (1 high, 0 medium, 0 low) in 1 service"
    tables = _tables(nb)
    assert {
        "not_assessed",
        "spec_pins",
        "drift_flow_weekly",
        "backlog_age",
        "time_to_remediation",
        "kpis",
        "slo_status",
        "exemptions",
        "top_issues",
        "drift_issues",
    } <= set(tables)
    ttr = tables["time_to_remediation"]
    rows = {r[0]: dict(zip(ttr["columns"], r, strict=True)) for r in ttr["data"]}
    # gw's major lag was open from the 2025-09-29 report until the 2025-10-06 run: 7 days
    assert (rows["high"]["issues"], rows["high"]["resolved"], rows["high"]["median_days"]) == (2, 1, 7.0)
    figures = [f["layout"]["title"]["text"] for f in _outputs(nb, "application/vnd.plotly.v1+json")]
    assert figures[0] == "Counted drift issues by severity and type"
    assert len(figures) == 6  # the KPIs are HTML cards, not a plotly figure
    assert any('class="m254-kpis"' in "".join(o) for o in _outputs(nb, "text/html"))


def _impact_setup(tmp_path: Path, make_ws: Callable[..., Path]) -> dict[str, Any]:
    ws = make_ws(
        services=[
            svc("auth", team="access", events_out=["auth.token.validated.v1"]),
            svc("entitlements", team="access", events_in=["auth.token.validated.v1"]),
            svc("gateway", team="access", dependencies={"internal": ["auth"], "external": ["redis"]}),
            svc("etl", team="data", domain="data-processing", dependencies={"internal": ["gateway"], "external": []}),
        ],
        files={"config/rules.yaml": {"dependency": {"domain_layers": {"access": 3, "data-processing": 5}}}},
    )
    return {"workspace": str(ws), "changes": ["--service auth"], "team": "data", "max_nodes": 2}


def _impact_check(runs: list[Any]) -> None:
    nb = runs[0]
    assert _headline(nb) == (
        "service:auth impacts 3 services (weighted 3.1) in 2 domains, up to 2 hops away: severity high. "
        "Team data: 1 impacted service."
    )
    tables = _tables(nb)
    assert {"impacted", "impacted_team", "structure_findings", "rollout_waves", "domain_matrix"} <= set(tables)
    figures = list(_outputs(nb, "application/vnd.plotly.v1+json"))
    title = figures[0]["layout"]["title"]["text"]
    assert title == "Impact of service:auth: 3 services impacted (showing the nearest 2)"
    assert json.dumps(tables["impacted_team"]).count("etl -depends_on-> gateway -depends_on-> auth") == 1
    # the offline explorer: its payload opens on the page's change and names every service
    explorer = [h for h in _outputs(nb, "text/html") if 'class="m254-impx"' in h]
    assert len(explorer) == 1
    payload = json.loads(explorer[0].split('type="application/json"')[1].split(">", 1)[1].split("</script>")[0])
    assert payload["initial"] == "service:auth"
    assert payload["services"] == ["auth", "entitlements", "etl", "gateway"]


def _snapshot(when: str, covs: dict[str, float]) -> dict:
    return {
        "metadata": {"generated_at": when},
        "services": {
            name: {"maturity": "stable", "metrics": {"coverage": c, "deployment_freshness_days": 1}}
            for name, c in covs.items()
        },
    }


def _quality_setup(tmp_path: Path, make_ws: Callable[..., Path]) -> dict[str, Any]:
    weeks = {  # a: steady decline; b: drops 12 points in the 4th week; c: added in week 3
        "20250907": {"a": 0.75, "b": 0.75},
        "20250914": {"a": 0.69, "b": 0.75},
        "20250921": {"a": 0.63, "b": 0.75, "c": 0.60},
        "20250928": {"a": 0.57, "b": 0.39, "c": 0.60},
        "20251005": {"a": 0.51, "b": 0.39, "c": 0.60},
    }
    files = {
        f"analysis/historical/quality/quality_{d}_120000.json": _snapshot(f"{d[:4]}-{d[4:6]}-{d[6:]}T12:00:00Z", c)
        for d, c in weeks.items()
    }
    services = [svc("a", team="alpha"), svc("b", team="beta"), svc("c", team="alpha")]
    ws = make_ws(services=services, files=files, generated_at="2025-10-05T12:00:00+00:00")
    return {"workspace": str(ws), "weeks": 5, "weights": {"coverage": 0.5, "security": 0.2}}


def _quality_check(runs: list[Any]) -> None:
    nb = runs[0]
    assert _headline(nb) == (
        "Quality (implemented model): platform mean 91.7 (-8.3 over 4 weeks); 1 regression(s); 2 declining service(s)"
    )
    tables = _tables(nb)
    assert {
        "platform_by_week", "service_trends", "current_scores", "regressions", "weekly_attribution",
        "model_comparison", "what_if_by_snapshot", "groups_by_week",
    } <= set(tables)  # fmt: skip
    titles = [f["layout"]["title"]["text"] for f in _outputs(nb, "application/vnd.plotly.v1+json")]
    assert titles[0] == "Platform quality score by week (implemented model)"
    assert all("model" in t for t in titles if not t.startswith("Quality and drift"))
    reg = tables["regressions"]
    rows = [dict(zip(reg["columns"], r, strict=True)) for r in reg["data"]]
    assert [(r["service"], r["from_score"], r["to_score"], r["driver"]) for r in rows] == [("b", 100, 88, "coverage")]
    trend = tables["service_trends"]
    presence = {r[0]: r[trend["columns"].index("presence")] for r in trend["data"]}
    assert presence == {"a": "throughout", "b": "throughout", "c": "added"}
    # same inputs, same parameters: byte-identical tables and figures (no wall clock, no randomness)
    again = list(_outputs(runs[1], "application/vnd.meta254.table+json"))
    assert json.dumps(again, sort_keys=True) == json.dumps(list(tables.values()), sort_keys=True)
    figs = [json.dumps(list(_outputs(r, "application/vnd.plotly.v1+json")), sort_keys=True) for r in runs]
    assert figs[0] == figs[1]


RUN_CASES = [
    RunCase("drift_overview", _drift_setup, _drift_check),
    RunCase("impact_analysis", _impact_setup, _impact_check),
    RunCase("quality_trends", _quality_setup, _quality_check, runs=2),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", RUN_CASES, ids=[c.stem for c in RUN_CASES])
def test_notebook_runs_with_parameters(case, make_ws, tmp_path):
    papermill = pytest.importorskip("papermill")
    notebook = _notebook(case.stem)
    params = case.setup(tmp_path, make_ws)
    runs = []
    for i in range(case.runs):
        out = tmp_path / f"out{i}.ipynb"
        papermill.execute_notebook(
            str(notebook),
            str(out),
            parameters=params,
            cwd=str(notebook.parent),
            kernel_name="python3",
            progress_bar=False,
        )
        runs.append(nbformat.read(out, as_version=4))
    case.check(runs)


@pytest.mark.slow
@pytest.mark.parametrize("stem", NBVAL_NOTEBOOKS)
def test_notebook_runs_under_nbval_on_the_sample(stem):
    if not (SAMPLE / "catalog" / "service-index.yaml").is_file():
        pytest.skip("data/sample has not been generated")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q", str(_notebook(stem))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert re.search(r"\d+ passed", proc.stdout)
