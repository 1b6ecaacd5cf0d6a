"""The weekly report: report notebooks run with papermill, published as an offline HTML folder.

:func:`~meta254lib.report.run.build_report` is the recipe; notebooks, environment, kernels,
execution, pages, indexes and publishing each live in their own module, and the HTML of a page in
export, page_html, index_html, tables, figures and assets. ``PlotlyOfflinePreprocessor`` (an
nbconvert class, built on first use) is in :mod:`meta254lib.report.figures`.
"""

from .asof import iso_week
from .assets import site_css, write_assets
from .environment import jupyter_environment
from .export import export_page, warm_up
from .figures import convert_figures
from .index_html import render_index
from .notebooks import (
    RUN_PARAMETERS,
    NotebookSpec,
    default_notebooks_dir,
    discover_notebooks,
    notebook_parameters,
    notebook_title,
)
from .page_html import error_page, find_remote_references
from .page_model import ASSETS_DIR, FailureInfo, PageContext, clean_traceback
from .run import CELL_TIMEOUT, build_report
from .run_model import PageResult, ProgressEvent, ReportResult
from .tables import page_headline, page_tables, strip_table_data, table_to_csv, table_to_json

__all__ = [
    "ASSETS_DIR",
    "CELL_TIMEOUT",
    "RUN_PARAMETERS",
    "FailureInfo",
    "NotebookSpec",
    "PageContext",
    "PageResult",
    "ProgressEvent",
    "ReportResult",
    "build_report",
    "clean_traceback",
    "convert_figures",
    "default_notebooks_dir",
    "discover_notebooks",
    "error_page",
    "export_page",
    "find_remote_references",
    "iso_week",
    "jupyter_environment",
    "notebook_parameters",
    "notebook_title",
    "page_headline",
    "page_tables",
    "render_index",
    "site_css",
    "strip_table_data",
    "table_to_csv",
    "table_to_json",
    "warm_up",
    "write_assets",
]
