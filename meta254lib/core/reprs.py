"""How analysis results show themselves: a headline, key numbers and the top rows, as HTML and as text.

JupyterLab calls ``_repr_html_``; a terminal or ``print`` gets the plain-text form. A result class
defines ``_summary()`` returning ``(headline, {name: value}, top rows)`` and takes :func:`summary_html`
and :func:`summary_text` as its ``_repr_html_`` and ``__repr__``.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

__all__ = ["summary_html", "summary_text"]

#: Rows of a result shown in its summary.
TOP_ROWS = 8


def _numbers(numbers: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for k, v in numbers.items():
        if isinstance(v, float):
            v = f"{v:.2f}".rstrip("0").rstrip(".")
        out.append((str(k), str(v)))
    return out


def summary_html(self: Any) -> str:
    """The HTML summary of a result (every value escaped).

    Examples
    --------
    >>> class R:
    ...     def _summary(self):
    ...         return "3 <issues>", {"open": 3}, pd.DataFrame({"service": ["a"]})
    >>> "<h4>3 &lt;issues&gt;</h4>" in summary_html(R())
    True
    """
    headline, numbers, rows = self._summary()
    items = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in _numbers(numbers))
    table = rows.head(TOP_ROWS).to_html(index=False, escape=True, border=0) if rows is not None and len(rows) else ""
    more = f"<p>… {len(rows) - TOP_ROWS} more row(s)</p>" if rows is not None and len(rows) > TOP_ROWS else ""
    return f"<div><h4>{html.escape(headline)}</h4><ul>{items}</ul>{table}{more}</div>"


def summary_text(self: Any) -> str:
    """The plain-text summary of a result.

    Examples
    --------
    >>> class R:
    ...     def _summary(self):
    ...         return "3 issues", {"open": 3}, None
    >>> print(summary_text(R()))
    3 issues
      open: 3
    """
    headline, numbers, rows = self._summary()
    lines = [headline, *(f"  {k}: {v}" for k, v in _numbers(numbers))]
    if rows is not None and len(rows):
        with pd.option_context("display.width", 100, "display.max_columns", 6):
            lines.append(rows.head(TOP_ROWS).to_string(index=False))
    return "\n".join(lines)
