"""Every notebook: committed clean, a `parameters` cell of literals that papermill can read whole."""

from __future__ import annotations

import ast
import json

import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


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
