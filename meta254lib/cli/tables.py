"""Tables for a terminal: the useful columns first, numbers rounded, the longest text elided to fit the width.

A command's table lists its columns in order of usefulness. :func:`text_table` drops columns that say
nothing (all blank), rounds numbers (whole numbers as integers, others to two decimals), shows
timestamps to the minute, then fits the width: it elides the longest text column first, and only then
leaves out the last columns, saying which. Without a width (output piped and no ``COLUMNS``) nothing is
elided or left out.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Sequence

import pandas as pd

from ..core.names import check_name

__all__ = ["cell_text", "text_table"]

#: Text columns other than the longest are elided to this many characters when the table is too wide.
CAP = 24
#: The longest text column keeps at least this many characters before other columns are left out.
MIN_LONGEST = 30
_GAP = "  "


def cell_text(value: object) -> str:
    """One cell as text: lists joined, missing values blank, numbers rounded, times to the minute.

    Examples
    --------
    >>> [cell_text(v) for v in (3.0, 27.4337, -0.0001, None, True, ("a", "b"), pd.Timestamp("2025-10-10T08:30Z"))]
    ['3', '27.43', '0', '', 'yes', 'a, b', '2025-10-10 08:30']
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(value)
        return (
            ts.strftime("%Y-%m-%d") if (ts.hour, ts.minute, ts.second) == (0, 0, 0) else ts.strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        f = float(value)
        if math.isnan(f):
            return ""
        text = f"{round(f, 2):.2f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)


def _select(df: pd.DataFrame, columns: Sequence[str] | None) -> pd.DataFrame:
    if columns:
        return df[[check_name("column", c, list(df.columns)) for c in columns]]
    return df


def _cells(df: pd.DataFrame) -> tuple[list[str], list[list[str]], list[bool]]:
    """Headers, rows of cell text, and which columns are numeric (right-aligned)."""
    headers = [str(c) for c in df.columns]
    cols = [[cell_text(v) for v in df[c].tolist()] for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    rows = [list(r) for r in zip(*cols, strict=True)] if cols else []
    return headers, rows, numeric


def _drop_blank(headers: list[str], rows: list[list[str]], numeric: list[bool]) -> tuple:
    """Leave out columns whose every cell is blank or ``no``."""
    keep = [i for i in range(len(headers)) if any(r[i] not in ("", "no") for r in rows)] or list(range(len(headers)))
    return [headers[i] for i in keep], [[r[i] for i in keep] for r in rows], [numeric[i] for i in keep]


def _fit(widths: list[int], numeric: list[bool], width: int) -> tuple[list[int], list[int]]:
    """Column widths that fit ``width`` and how many columns are shown.

    Other text columns are elided to :data:`CAP` characters; the longest text column takes the rest, down
    to :data:`MIN_LONGEST`; when that is not enough the last columns are left out (never the longest
    text column, the most telling one).
    """
    if sum(widths) + len(_GAP) * (len(widths) - 1) <= width:
        return list(widths), list(range(len(widths)))
    text = [i for i, n in enumerate(numeric) if not n]
    longest = max(text, key=lambda i: widths[i]) if text else None
    order = [i for i in range(len(widths)) if i != longest]
    shown = list(range(len(widths)))
    while True:
        fitted = [w if numeric[i] or i == longest else min(w, CAP) for i, w in enumerate(widths)]
        used = sum(fitted[i] for i in shown if i != longest) + len(_GAP) * (len(shown) - 1)
        if longest is not None and longest in shown:
            fitted[longest] = min(widths[longest], max(width - used, 1))
            if fitted[longest] >= min(MIN_LONGEST, widths[longest]) or len(shown) == 1:
                return fitted, shown
        elif used <= width or len(shown) == 1:
            return fitted, shown
        drop = next(i for i in reversed(order) if i in shown)
        shown.remove(drop)
        order.remove(drop)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


def text_table(
    df: pd.DataFrame, *, width: int | None = None, columns: Sequence[str] | None = None, wide: bool = False
) -> str:
    """A frame as an aligned text table, fitted to ``width`` characters unless ``wide`` or no width.

    Examples
    --------
    >>> df = pd.DataFrame({"service": ["auth"], "score": [91.456], "exempt": [False], "reason": ["x" * 40]})
    >>> print(text_table(df, width=50))
    service  score  reason
    auth     91.46  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…
    >>> print(text_table(df, columns=["score", "service"]))
    score  service
    91.46  auth
    """
    if df.empty:
        return "(no rows)"
    headers, rows, numeric = _cells(_select(df, columns))
    if not columns:
        headers, rows, numeric = _drop_blank(headers, rows, numeric)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    shown = list(range(len(headers)))
    if width is not None and not wide:
        widths, shown = _fit(widths, numeric, width)

    def line(cells: list[str]) -> str:
        parts = [
            _clip(cells[i], widths[i]).rjust(widths[i]) if numeric[i] else _clip(cells[i], widths[i]).ljust(widths[i])
            for i in shown
        ]
        return _GAP.join(parts).rstrip()

    out = [line(headers), *(line(r) for r in rows)]
    hidden = [h for i, h in enumerate(headers) if i not in shown]
    if hidden:
        note = f"({len(hidden)} more column(s): {', '.join(hidden)}; --wide shows all, --columns picks)"
        out.append(_clip(note, width) if width else note)
    return "\n".join(out)
