"""meta254lib.report.notebooks: discovery, page order and the parameters each notebook declares."""

from __future__ import annotations

import nbformat
import pytest
from report_support import FIXTURE_NOTEBOOKS

from meta254lib.core.errors import ParameterError
from meta254lib.report import notebooks as r

# --- discovery and parameters (no kernels) ------------------------------------------------------


def test_discover_fixture_notebooks_in_page_order():
    specs = r.discover_notebooks(FIXTURE_NOTEBOOKS)
    assert [(s.name, s.title, s.parameters, s.order) for s in specs] == [
        ("alpha", "Alpha page", ("workspace", "as_of", "team"), 1),
        ("beta", "Beta page", ("workspace",), 2),
        ("broken", "Broken page", ("workspace",), 3),
        ("slow", "Slow page", ("workspace",), 4),
    ]


def test_every_repo_notebook_declares_literal_parameters():
    for spec in r.discover_notebooks():
        nb = nbformat.read(str(spec.path), as_version=4)
        assert spec.parameters, f"{spec.name}: no parameters cell"
        assert set(spec.parameters) >= {"workspace"}, spec.name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count is None and not c.outputs for c in code), f"{spec.name} has outputs"


def test_parameters_cell_that_does_not_parse_is_a_parameter_error():
    cell = {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "workspace = ("}
    with pytest.raises(ParameterError, match="parameters cell does not parse"):
        r.notebook_parameters({"cells": [cell]})
