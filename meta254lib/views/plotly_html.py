"""Plotly figures as HTML for the report's pages, and the plotly.js bundle they load (no network)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FIGURE_CONFIG", "FIGURE_HEIGHT", "figure_html", "load_plotly", "plotly_js"]

#: Height of a figure whose layout sets none.
FIGURE_HEIGHT = 460
#: Plotly config for every exported figure: no plotly logo link, resizes with the page.
FIGURE_CONFIG = {"displaylogo": False, "responsive": True}


def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed plotly (about 4.8 MB, no network needed).

    Examples
    --------
    >>> len(plotly_js()) > 1_000_000
    True
    """
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def load_plotly() -> None:
    """Import plotly's HTML writer now (about 0.3 s), so the first page does not pay for it."""
    import plotly.io  # noqa: F401


def figure_html(spec: Mapping[str, Any], div_id: str, include_plotlyjs: bool) -> str:
    """One figure (a plotly JSON spec) as an HTML fragment with a fixed ``div`` id.

    Examples
    --------
    >>> html = figure_html({"data": [{"type": "bar", "y": [1]}]}, "fig-1", include_plotlyjs=False)
    >>> 'id="fig-1"' in html, "<script" in html
    (True, True)
    """
    import plotly.io as pio

    return pio.to_html(
        dict(spec),
        config={**FIGURE_CONFIG, **(spec.get("config") or {})},
        include_plotlyjs=include_plotlyjs,
        include_mathjax=False,
        full_html=False,
        div_id=div_id,
        default_width="100%",
        default_height=FIGURE_HEIGHT,
        validate=False,
    )
