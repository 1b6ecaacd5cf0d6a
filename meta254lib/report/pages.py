"""Writing one executed page into the run folder: its tables (CSV, JSON), its HTML and the audit notebook."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import export
from .notebooks import NotebookSpec
from .page_html import error_page
from .page_model import FailureInfo, PageContext
from .run_model import Job, PageResult, RunState
from .tables import page_headline, page_tables, strip_table_data, table_to_csv, table_to_json

__all__ = ["publish_error_page", "publish_page", "write_compact"]


def _page_nav(job: Job, specs: Sequence[NotebookSpec]) -> tuple[tuple[str, str, bool], ...]:
    """The navigation bar of a page: every page of the report, the current one marked."""
    return tuple((s.title, f"{s.name}.html", s.name == job.spec.name) for s in specs)


def _export_tables(nb: Any, base: Path, name: str) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Write every table the page showed as ``tables/<name>/<slug>.csv|.json`` below ``base``.

    Returns the index entries (name, csv, json, rows) and the JSON path of each table by position.
    """
    tables = []
    exported = {}
    for i, table in enumerate(page_tables(nb)):
        folder = base / "tables" / name
        folder.mkdir(parents=True, exist_ok=True)
        csv_rel = f"tables/{name}/{table['slug']}.csv"
        json_rel = f"tables/{name}/{table['slug']}.json"
        (base / csv_rel).write_text(table_to_csv(table), encoding="utf-8")
        (base / json_rel).write_text(table_to_json(table), encoding="utf-8")
        exported[i] = json_rel
        tables.append({"name": table["name"], "csv": csv_rel, "json": json_rel, "rows": len(table["data"])})
    return tables, exported


def publish_page(job: Job, nb: Any, failure: FailureInfo | None, seconds: float, shared: RunState) -> PageResult:
    """Write one executed page: its tables, its HTML page and the executed notebook without table rows.

    Waits until the run knows its as-of date and the exporter is warm. The table rows of ``nb`` are
    replaced by the paths of their exports (:func:`~meta254lib.report.tables.strip_table_data`).

    Raises
    ------
    RuntimeError
        The run was cancelled meanwhile.
    """
    base = shared.tmp / job.rel
    tables, exported = _export_tables(nb, base, job.spec.name)
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


def write_compact(nb: Any, path: Path) -> None:
    """Write a notebook as compact JSON: a valid .ipynb, about 40% smaller than nbformat's indented form
    (plotly figures would otherwise put every number on its own line)."""
    from nbformat.v4.rwbase import strip_transient

    text = json.dumps(strip_transient(nb), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
