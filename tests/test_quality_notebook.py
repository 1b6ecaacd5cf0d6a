"""The weekly quality-trend notebook: committed clean, runs with its parameters, deterministic."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import SAMPLE, svc

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "quality_trends.ipynb"


def test_notebook_is_committed_clean_with_literal_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    names = [line.split("=")[0].strip() for line in code[0].source.splitlines() if "=" in line]
    assert names == ["workspace", "as_of", "weeks", "team", "weights"]
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())


def _outputs(nb, mimetype):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if mimetype in out.get("data", {}):
                yield out["data"][mimetype]


def _snapshot(when: str, covs: dict[str, float]) -> dict:
    return {
        "metadata": {"generated_at": when},
        "services": {
            name: {"maturity": "stable", "metrics": {"coverage": c, "deployment_freshness_days": 1}}
            for name, c in covs.items()
        },
    }


@pytest.mark.slow
def test_notebook_runs_with_parameters_and_is_deterministic(make_ws, tmp_path):
    papermill = pytest.importorskip("papermill")
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
    params = {"workspace": str(ws), "weeks": 5, "weights": {"coverage": 0.5, "security": 0.2}}
    runs = []
    for i in range(2):
        out = tmp_path / f"out{i}.ipynb"
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(out),
            parameters=params,
            cwd=str(NOTEBOOK.parent),
            kernel_name="python3",
            progress_bar=False,
        )
        runs.append(nbformat.read(out, as_version=4))
    nb = runs[0]
    headline = next(_outputs(nb, "application/vnd.meta254.headline+json"))["text"]
    assert headline == (
        "Quality (implemented model): platform mean 91.7 (-8.3 over 5 weeks); 1 regression(s); 2 declining service(s)"
    )
    tables = {t["name"]: t for t in _outputs(nb, "application/vnd.meta254.table+json")}
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


@pytest.mark.slow
def test_notebook_runs_under_nbval_on_the_sample():
    if not (SAMPLE / "catalog" / "service-index.yaml").is_file():
        pytest.skip("data/sample has not been generated")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q", str(NOTEBOOK)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert re.search(r"\d+ passed", proc.stdout)
