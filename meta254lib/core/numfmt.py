"""The one rule every shown number follows below the views: no signed zero.

The formatter of tables and pages (:func:`meta254lib.views.weekly.fmt_number`) lives in the views;
this rule lives here so that analyses writing sentences (``r = +0.12`` in
:mod:`meta254lib.quality.correlation`) follow it too.
"""

from __future__ import annotations

import re

__all__ = ["no_negative_zero", "signed"]

_NEG_ZERO = re.compile(r"(?<![\w.])[-+−](0(?:\.0+)?)(?![\w.])")


def no_negative_zero(text: str) -> str:
    """``text`` with every signed zero (``-0.00``, ``+0.0``, ``−0``) written unsigned.

    A zero inside a longer token (``v-0.0``, ``1-0``) is left alone.

    Examples
    --------
    >>> no_negative_zero("r = -0.00 (lag 1), r = +0.0, -0.05 and v-0.0")
    'r = 0.00 (lag 1), r = 0.0, -0.05 and v-0.0'
    """
    return _NEG_ZERO.sub(r"\1", text)


def signed(value: float, decimals: int = 2) -> str:
    """``value`` with its sign and ``decimals`` decimals (``+0.12``, ``-0.40``), a zero unsigned (``0.00``).

    Examples
    --------
    >>> signed(0.123), signed(-0.4), signed(-0.001), signed(0.0), signed(-0.0049, 3)
    ('+0.12', '-0.40', '0.00', '0.00', '-0.005')
    """
    return no_negative_zero(f"{value:+.{decimals}f}")
