"""Plotly figures of a page: the plotly outputs of a notebook rendered as offline HTML.

A kernel emits a figure only as ``application/vnd.plotly.v1+json``, which nbconvert drops; this
module gives each such output a ``text/html`` rendering (:func:`convert_figures`), also usable from
nbconvert's command line as :class:`PlotlyOfflinePreprocessor`.
"""

from __future__ import annotations

from typing import Any

from ..views.display import FIGURE_MIMETYPE
from ..views.plotly_html import figure_html
from .tables import code_outputs

__all__ = [
    "PlotlyOfflinePreprocessor",  # noqa: F822 (built on first use by __getattr__)
    "convert_figures",
]


def convert_figures(nb: Any, *, inline_plotlyjs: bool = False, id_prefix: str = "m254-fig") -> int:
    """Give every plotly output a ``text/html`` rendering, in place; return the number of figures.

    Parameters
    ----------
    nb : NotebookNode or dict
        The notebook; outputs with the plotly mimetype and no ``text/html`` get one.
    inline_plotlyjs : bool, default False
        Inline plotly.js before the first figure (a standalone file of about 4.9 MB). When False the
        page must load plotly.js itself (the report's pages load the shared ``assets/plotly.min.js``).
    id_prefix : str
        Prefix of the figure ``div`` ids, which are numbered so the output is deterministic.

    Examples
    --------
    >>> out = {"output_type": "display_data", "data": {FIGURE_MIMETYPE: {"data": [{"type": "bar",
    ...        "y": [1]}], "layout": {}}}}
    >>> nb = {"cells": [{"cell_type": "code", "outputs": [out]}]}
    >>> convert_figures(nb), 'id="m254-fig-1"' in out["data"]["text/html"]
    (1, True)
    """
    n = 0
    for out in code_outputs(nb):
        data = out.get("data", {})
        spec = data.get(FIGURE_MIMETYPE)
        if spec is None or "text/html" in data:
            continue
        n += 1
        data["text/html"] = figure_html(spec, f"{id_prefix}-{n}", inline_plotlyjs and n == 1)
    return n


def _preprocessor_class() -> type:
    from nbconvert.preprocessors import Preprocessor
    from traitlets import Bool

    class _PlotlyOfflinePreprocessor(Preprocessor):
        """nbconvert preprocessor: plotly mimetype outputs → offline HTML (plotly.js inlined once).

        Use from the command line with
        ``--Exporter.preprocessors=meta254lib.report.figures.PlotlyOfflinePreprocessor``.
        """

        inline_plotlyjs = Bool(True, help="Inline plotly.js before the first figure.").tag(config=True)

        def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            resources["meta254_figures"] = convert_figures(nb, inline_plotlyjs=self.inline_plotlyjs)
            return nb, resources

    _PlotlyOfflinePreprocessor.__name__ = "PlotlyOfflinePreprocessor"
    _PlotlyOfflinePreprocessor.__qualname__ = "PlotlyOfflinePreprocessor"
    return _PlotlyOfflinePreprocessor


def __getattr__(name: str) -> Any:
    # PlotlyOfflinePreprocessor subclasses an nbconvert class; build it on first use so that
    # importing this module does not import nbconvert.
    if name == "PlotlyOfflinePreprocessor":
        cls = _preprocessor_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
