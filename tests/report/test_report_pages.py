"""Writing a page's tables (meta254lib.report.pages): small tables as CSV + JSON, large ones as Parquet + preview."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from meta254lib.report import pages
from meta254lib.views.display import TABLE_MIMETYPE


def _nb(rows: list[list[object]]) -> dict:
    payload = {"name": "Big one", "columns": ["service", "score", "tags"], "dtypes": ["str", "float64", "object"]}
    out = {"output_type": "display_data", "data": {TABLE_MIMETYPE: {**payload, "data": rows}}}
    return {"cells": [{"cell_type": "code", "outputs": [out]}]}


ROWS = [["a", 1.5, ["x"]], ["b", None, None], ["c", 3.0, []]]


def test_a_small_table_stays_csv_and_json(tmp_path):
    tables, exported = pages._export_tables(_nb(ROWS), tmp_path, "p")
    assert tables == [{"name": "Big one", "csv": "tables/p/big-one.csv", "json": "tables/p/big-one.json", "rows": 3}]
    assert exported == {0: "tables/p/big-one.json"}
    assert (tmp_path / "tables/p/big-one.csv").read_text().splitlines()[1] == 'a,1.5,"[""x""]"'
    assert json.loads((tmp_path / "tables/p/big-one.json").read_text())["row_count"] == 3


def test_a_large_table_is_parquet_with_a_json_preview(tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "FULL_TABLE_ROWS", 2)
    monkeypatch.setattr(pages, "PREVIEW_ROWS", 1)
    tables, _ = pages._export_tables(_nb(ROWS), tmp_path, "p")
    assert tables[0]["csv"] == "tables/p/big-one.parquet" and tables[0]["rows"] == 3
    assert not (tmp_path / "tables/p/big-one.csv").exists()
    full = pq.read_table(tmp_path / "tables/p/big-one.parquet").to_pydict()
    assert full == {"service": ["a", "b", "c"], "score": [1.5, None, 3.0], "tags": ['["x"]', None, "[]"]}
    preview = json.loads((tmp_path / "tables/p/big-one.json").read_text())
    assert preview["row_count"] == 3 and preview["preview_rows"] == 1
    assert preview["rows"] == [["a", 1.5, ["x"]]] and preview["full_table"] == "big-one.parquet"


def test_mixed_types_in_a_column_are_written_as_text(tmp_path):
    path = tmp_path / "t.parquet"
    pages.write_parquet({"columns": ["v"], "data": [[1], ["1.2.0"], [None]]}, path)
    assert pq.read_table(path).to_pydict() == {"v": ["1", "1.2.0", None]}


def test_large_outputs_leave_the_kept_notebook_but_table_records_stay():
    table = {TABLE_MIMETYPE: {"name": "t", "exported": "tables/p/t.json"}, "text/html": "<table>" + "x" * 600}
    small = {"text/plain": "fine"}
    outs = [{"output_type": "display_data", "metadata": {}, "data": d} for d in (table, small)]
    assert pages.strip_large_outputs({"cells": [{"cell_type": "code", "outputs": outs}]}, "p.html", limit=500) == 1
    assert outs[0]["data"][TABLE_MIMETYPE] == {"name": "t", "exported": "tables/p/t.json"}
    assert outs[0]["data"]["text/plain"].endswith("left out of this notebook: see p.html")
    assert "text/html" not in outs[0]["data"] and outs[1]["data"] == small


def test_a_truncated_table_links_its_full_export(tmp_path, monkeypatch):
    """The page's "full table" link names the file the report wrote (Parquet above FULL_TABLE_ROWS)."""
    import pandas as pd

    from meta254lib.report.tables import link_full_tables
    from meta254lib.views import display as d

    monkeypatch.setattr(pages, "FULL_TABLE_ROWS", 10)
    big = d._table_bundle(pd.DataFrame({"n": range(30)}), "Big one", None, 5)
    small = d._table_bundle(pd.DataFrame({"n": range(3)}), "Small", None, 1)
    whole = d._table_bundle(pd.DataFrame({"n": range(3)}), "Whole")
    outs = [{"output_type": "display_data", "metadata": {}, "data": b} for b in (whole, big, small)]
    nb = {"cells": [{"cell_type": "code", "outputs": outs}]}
    tables, _ = pages._export_tables(nb, tmp_path, "p")
    assert link_full_tables(nb, {i: t["csv"] for i, t in enumerate(tables)}) == 2
    assert (
        '5 of 30 rows shown — full table: <a class="m254-full-table" href="tables/p/big-one.parquet">'
        "tables/p/big-one.parquet</a>" in outs[1]["data"]["text/html"]
    )
    assert 'href="tables/p/small.csv"' in outs[2]["data"]["text/html"]
    assert "m254-full-table" not in outs[0]["data"]["text/html"]
    assert (tmp_path / "tables/p/big-one.parquet").is_file() and (tmp_path / "tables/p/small.csv").is_file()
