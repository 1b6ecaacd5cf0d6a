"""Writing one executed page into the run folder: its tables (CSV, JSON), its HTML and the audit notebook."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..views.display import TABLE_MIMETYPE
from . import export
from .notebooks import NotebookSpec
from .page_html import error_page
from .page_model import FailureInfo, PageContext
from .run_model import Job, PageResult, RunState
from .tables import (
    code_outputs,
    link_full_tables,
    page_headline,
    page_tables,
    strip_table_data,
    table_to_csv,
    table_to_json,
)

__all__ = [
    "FULL_TABLE_ROWS",
    "LARGE_OUTPUT_BYTES",
    "PREVIEW_ROWS",
    "publish_error_page",
    "publish_page",
    "strip_large_outputs",
    "write_compact",
    "write_parquet",
]


def _page_nav(job: Job, specs: Sequence[NotebookSpec]) -> tuple[tuple[str, str, bool], ...]:
    """The navigation bar of a page: every page of the report, the current one marked."""
    return tuple((s.title, f"{s.name}.html", s.name == job.spec.name) for s in specs)


#: Above this many rows a table's full export is Parquet and its JSON holds the first rows only.
#: The 60-service sample's largest table has about 1,100 rows, so its exports stay plain CSV and JSON.
FULL_TABLE_ROWS = 2000
#: Rows the JSON preview of a large table keeps (in the order shown).
PREVIEW_ROWS = 200


def _arrow_column(values: list[Any]) -> Any:
    """One column of recorded values as an Arrow array: lists and dicts as JSON text, mixed types as text."""
    import pyarrow as pa

    if any(isinstance(v, (list, dict)) for v in values):
        values = [None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values]
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def write_parquet(table: Mapping[str, Any], path: Path) -> None:
    """Write a recorded table (``columns``, ``data`` rows) as one zstd-compressed Parquet file.

    Measured at 10,000 services on the largest table (``what_if_changes``, 507,000 rows): Parquet
    5.2 MB in 1.3 s against gzip CSV 7.1 MB in 5.7 s (CSV 45 MB, JSON 67 MB); on 10,000-row tables
    the two were within 25% of each other in size. Parquet also keeps the column types.

    Examples
    --------
    >>> import tempfile, pyarrow.parquet as pq
    >>> path = Path(tempfile.mkdtemp()) / "t.parquet"
    >>> write_parquet({"columns": ["a", "b"], "data": [[1, ["x"]], [2, None]]}, path)
    >>> pq.read_table(path).to_pydict()
    {'a': [1, 2], 'b': ['["x"]', None]}
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = table["data"]
    names = [str(c) for c in table["columns"]]
    arrays = [_arrow_column([row[j] for row in rows]) for j in range(len(names))]
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path, compression="zstd")


def _write_table(table: dict[str, Any], base: Path, stem: str) -> tuple[str, str]:
    """Write one table below ``base`` as ``<stem>.csv`` and ``<stem>.json``; return the two relative paths.

    A table of more than :data:`FULL_TABLE_ROWS` rows is written as ``<stem>.parquet`` (every row, see
    :func:`write_parquet`) and a ``<stem>.json`` that keeps the first :data:`PREVIEW_ROWS` rows, the full
    ``row_count`` and ``full_table`` (the Parquet file's name).
    """
    rows = table["data"]
    if len(rows) <= FULL_TABLE_ROWS:
        (base / f"{stem}.csv").write_text(table_to_csv(table), encoding="utf-8")
        (base / f"{stem}.json").write_text(table_to_json(table), encoding="utf-8")
        return f"{stem}.csv", f"{stem}.json"
    full = f"{stem}.parquet"
    write_parquet(table, base / full)
    preview = json.loads(table_to_json({**table, "data": rows[:PREVIEW_ROWS]}))
    preview.update(row_count=len(rows), preview_rows=PREVIEW_ROWS, full_table=full.rsplit("/", 1)[-1])
    (base / f"{stem}.json").write_text(json.dumps(preview, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    return full, f"{stem}.json"


def _export_tables(nb: Any, base: Path, name: str) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Write every table the page showed as ``tables/<name>/<slug>.csv|.json`` below ``base``.

    Large tables are written as ``.parquet`` plus a JSON preview (:func:`_write_table`). Returns the
    index entries (name, csv, json, rows) and the JSON path of each table by position.
    """
    tables = []
    exported = {}
    for i, table in enumerate(page_tables(nb)):
        folder = base / "tables" / name
        folder.mkdir(parents=True, exist_ok=True)
        csv_rel, json_rel = _write_table(table, base, f"tables/{name}/{table['slug']}")
        exported[i] = json_rel
        tables.append({"name": table["name"], "csv": csv_rel, "json": json_rel, "rows": len(table["data"])})
    return tables, exported


def publish_page(job: Job, nb: Any, failure: FailureInfo | None, seconds: float, shared: RunState) -> PageResult:
    """Write one executed page: its tables, its HTML page and the executed notebook without table rows.

    Waits until the run knows its as-of date and the exporter is warm. A table the page shows in part
    links its full export (:func:`~meta254lib.report.tables.link_full_tables`). The table rows of ``nb``
    are replaced by the paths of their exports (:func:`~meta254lib.report.tables.strip_table_data`).

    Raises
    ------
    RuntimeError
        The run was cancelled meanwhile.
    """
    base = shared.tmp / job.rel
    tables, exported = _export_tables(nb, base, job.spec.name)
    link_full_tables(nb, {i: t["csv"] for i, t in enumerate(tables)})
    headline = page_headline(nb)
    shared.ready.wait()
    if shared.error is not None or shared.cancel.is_set():
        raise RuntimeError("run cancelled")
    meta = shared.meta + ((("team", job.team),) if job.team else ())
    ctx = PageContext(
        title=job.spec.title,
        as_of=shared.as_of_text,
        index_href="index.html",
        assets_href="../../assets/" if job.rel else "assets/",
        meta=meta,
        nav=_page_nav(job, shared.specs),
        failure=failure,
        headline=headline,
    )
    html = export.export_page(nb, ctx)
    html_rel = f"{job.spec.name}.html"
    (base / html_rel).write_text(html, encoding="utf-8")
    strip_table_data(nb, exported)
    strip_large_outputs(nb, html_rel)
    ipynb_rel = f"notebooks/{job.spec.name}.ipynb"
    (base / ipynb_rel).parent.mkdir(parents=True, exist_ok=True)
    write_compact(nb, base / ipynb_rel)
    return PageResult(
        name=job.spec.name,
        title=job.spec.title,
        team=job.team,
        status="failed" if failure is not None else "ok",
        seconds=seconds,
        headline=headline,
        failure=failure,
        html=job.rel + html_rel,
        ipynb=job.rel + ipynb_rel,
        tables=[{**t, "csv": job.rel + t["csv"], "json": job.rel + t["json"]} for t in tables],
    )


def publish_error_page(job: Job, nb: Any, err: Exception, seconds: float, shared: RunState) -> PageResult:
    """The page of a notebook whose outputs could not be exported: the error, the inputs, no content."""
    failure = FailureInfo(message=f"exporting the page failed: {type(err).__name__}: {err}", inputs=job.inputs())
    ctx = PageContext(
        title=job.spec.title,
        as_of=shared.as_of_text,
        assets_href="../../assets/" if job.rel else "assets/",
        meta=shared.meta,
        nav=_page_nav(job, shared.specs),
        failure=failure,
    )
    html_rel = f"{job.spec.name}.html"
    (shared.tmp / job.rel).mkdir(parents=True, exist_ok=True)
    (shared.tmp / job.rel / html_rel).write_text(error_page(ctx), encoding="utf-8")
    ipynb = f"notebooks/{job.spec.name}.ipynb"
    (shared.tmp / job.rel / "notebooks").mkdir(parents=True, exist_ok=True)
    write_compact(nb, shared.tmp / job.rel / ipynb)
    return PageResult(
        name=job.spec.name,
        title=job.spec.title,
        team=job.team,
        status="failed",
        seconds=seconds,
        failure=failure,
        html=job.rel + html_rel,
        ipynb=job.rel + ipynb,
    )


#: An output larger than this (any of its mimetypes, as JSON) is left out of the kept notebook: the
#: page shows it. The sample's largest output is about 190 kB; at 10,000 services the plan's owner
#: cards were 5.8 MB and the quality page's figures up to 2.1 MB.
LARGE_OUTPUT_BYTES = 512 * 1024


def strip_large_outputs(nb: Any, page: str, limit: int = LARGE_OUTPUT_BYTES) -> int:
    """Replace, in the kept notebook, each output larger than ``limit`` by a line naming the page that shows it.

    A table's export record (:data:`~meta254lib.views.display.TABLE_MIMETYPE`, rows already stripped) stays.
    Returns the number of outputs replaced.

    Examples
    --------
    >>> out = {"output_type": "display_data", "metadata": {}, "data": {"text/html": "x" * 20, "text/plain": "x"}}
    >>> strip_large_outputs({"cells": [{"cell_type": "code", "outputs": [out]}]}, "p.html", limit=10)
    1
    >>> out["data"]
    {'text/plain': 'Output of 25 bytes left out of this notebook: see p.html'}
    """
    n = 0
    for out in code_outputs(nb):
        data = out.get("data")
        if not isinstance(data, dict):
            continue
        size = sum(len(json.dumps(v, ensure_ascii=False)) for v in data.values())
        if size <= limit:
            continue
        kept = {k: v for k, v in data.items() if k == TABLE_MIMETYPE}
        data.clear()
        data.update(kept)
        data["text/plain"] = f"Output of {size:,} bytes left out of this notebook: see {page}"
        n += 1
    return n


def write_compact(nb: Any, path: Path) -> None:
    """Write a notebook as compact JSON: a valid .ipynb, about 40% smaller than nbformat's indented form
    (plotly figures would otherwise put every number on its own line)."""
    from nbformat.v4.rwbase import strip_transient

    text = json.dumps(strip_transient(nb), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
