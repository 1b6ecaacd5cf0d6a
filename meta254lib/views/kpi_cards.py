"""The runbook KPIs as HTML cards: value, target and status, with the note in small print.

Cards replace plotly indicator tiles: text wraps instead of shrinking, a missing value reads ``n/a``
(never ``0``), and a KPI whose window mixes reports of two detectors reads "not judged" in grey (its
``met`` is NA, see :func:`meta254lib.drift.kpis.kpis`), never "met". Every text is HTML-escaped.

Examples
--------
>>> import pandas as pd
>>> k = pd.DataFrame({"kpi": ["mttr_high_days"], "label": ["MTTR"], "value": [float("nan")], "unit": ["days"],
...     "target": [7.0], "met": pd.array([pd.NA], dtype="boolean"), "mixed_sources": [False], "note": ["none"]})
>>> html = drift_kpi_tiles(k)
>>> '>n/a</div>' in html, "0 (n/a)" in html
(True, False)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .drift import drift_kpi_table
from .escape import html_escape

__all__ = ["KPI_STATUS_COLORS", "drift_kpi_tiles", "show_kpi_cards"]

#: Colour of a KPI card's value and status by status (met, missed, not judged or no target).
KPI_STATUS_COLORS = {"met": "#1e8449", "missed": "#c0392b", "mixed sources": "#6e7781", "": "#24292f"}

_STATUS_TEXT = {"met": "met", "missed": "missed", "mixed sources": "not judged: mixed sources", "": ""}

_CSS = (
    ".m254-kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(15em,1fr));gap:10px;margin:0.6em 0 1em 0}"
    ".m254-kpi{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;background:#fff;min-width:0}"
    ".m254-kpi-label{font-size:13px;font-weight:600;color:#24292f}"
    ".m254-kpi-value{font-size:26px;font-weight:600;margin:2px 0;font-variant-numeric:tabular-nums}"
    ".m254-kpi-target{font-size:12px;color:#57606a}"
    ".m254-kpi-status{font-size:12px;font-weight:600;margin-left:0.5em}"
    ".m254-kpi-note{font-size:11px;color:#6e7781;margin-top:4px;overflow-wrap:anywhere}"
)


def _card(label: str, value: str, target: str, status: str, note: str) -> str:
    color = KPI_STATUS_COLORS.get(status, KPI_STATUS_COLORS[""])
    shown = _STATUS_TEXT.get(status, status)
    value_color = KPI_STATUS_COLORS["mixed sources"] if value == "n/a" else color
    target_line = f"target {html_escape(target)}" if target else "no target"
    status_html = (
        f'<span class="m254-kpi-status" data-status="{html_escape(status)}" style="color:{color}">'
        f"{html_escape(shown)}</span>"
        if shown
        else ""
    )
    return (
        f'<div class="m254-kpi"><div class="m254-kpi-label">{html_escape(label)}</div>'
        f'<div class="m254-kpi-value" style="color:{value_color}">{html_escape(value)}</div>'
        f'<div class="m254-kpi-target">{target_line}{status_html}</div>'
        f'<div class="m254-kpi-note">{html_escape(note)}</div></div>'
    )


def drift_kpi_tiles(kpis: pd.DataFrame) -> str:
    """One HTML card per KPI: value, target, status (met, missed, not judged) and the note.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The frame of :func:`meta254lib.drift.kpis.kpis`.

    Returns
    -------
    str
        The cards as one escaped HTML fragment (a CSS grid that wraps at any width).
    """
    table = drift_kpi_table(kpis)
    cards = [
        _card(str(t.KPI), str(t.value), str(t.target or ""), str(t.status or ""), str(t.note or ""))
        for t in table.itertuples(index=False)
    ]
    return f'<div class="m254-kpis">{"".join(cards)}</div><style>{_CSS}</style>'


def _plain(kpis: pd.DataFrame) -> str:
    lines = []
    for t in drift_kpi_table(kpis).itertuples(index=False):
        status = _STATUS_TEXT.get(str(t.status or ""), str(t.status))
        target = f" (target {t.target})" if t.target else ""
        lines.append(f"{t.KPI}: {t.value}{target}{' ' + status if status else ''}")
    return "\n".join(lines)


def show_kpi_cards(kpis: pd.DataFrame) -> None:
    """Display the KPI cards of :func:`drift_kpi_tiles` (plain text outside a kernel).

    Examples
    --------
    >>> k = pd.DataFrame({"kpi": ["resolution_rate"], "label": ["Resolution rate"], "value": [5.25],
    ...     "unit": ["issues/week"], "target": [4.5], "met": pd.array([pd.NA], dtype="boolean"),
    ...     "mixed_sources": [True], "note": [""]})
    >>> show_kpi_cards(k)
    Resolution rate: 5.2 /week (target >= 4.5 /week (accumulation)) not judged: mixed sources
    """
    from .display import _publish

    bundle: dict[str, Any] = {"text/plain": _plain(kpis), "text/html": drift_kpi_tiles(kpis)}
    _publish(bundle, {"meta254": {"kpi_cards": True}})
