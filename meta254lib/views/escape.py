"""Escaping for report pages: values into HTML text, into Markdown, table names into file names.

Only the standard library is imported at module level; pandas is imported lazily to recognise its
missing values.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

__all__ = ["html_escape", "is_missing", "md_escape", "table_slug"]

_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LEADING = re.compile(r"^(\d*)((?<=\d)[.)](?=\s|$)|(?<!\d)[#+\-=!])")


def is_missing(v: Any) -> bool:
    """Whether ``v`` is a missing value (None, NaN, ``pd.NA``, ``NaT``)."""
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    try:
        import pandas as pd

        res = pd.isna(v)
    except (TypeError, ValueError):
        return False
    return res is True or (type(res).__name__ == "bool_" and bool(res))


def html_escape(s: Any) -> str:
    """Escape a value for HTML text or a quoted attribute.

    ``None`` and NaN become the empty string; anything else goes through ``str`` first.

    Examples
    --------
    >>> html_escape('<script>alert("x")</script> & co')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'
    >>> html_escape(None), html_escape(float("nan")), html_escape(3)
    ('', '', '3')
    """
    if is_missing(s):
        return ""
    return html.escape(str(s), quote=True)


def md_escape(s: Any) -> str:
    """Escape a value so it shows literally inside Markdown (and HTML rendered from it).

    ``&``, ``<`` and ``>`` become HTML entities, so a string from an input can never open a tag;
    inline markup characters (backslash, backtick, ``*``, ``_``, ``[``, ``]``, ``|``, ``~``) are
    backslash-escaped, so it can never start emphasis, code, a link or a table cell; a leading
    ``#``, ``+``, ``-``, ``=``, ``!`` or ``1.`` is escaped so it cannot start a heading or a list.
    Newlines become spaces, keeping a value inside its table cell or list item.

    Examples
    --------
    >>> md_escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> print(md_escape("a_b*c [x](y) | z"))
    a\\_b\\*c \\[x\\](y) \\| z
    >>> print(md_escape("# not a heading"), md_escape("2025-10-06"), md_escape("1. first"), sep=" / ")
    \\# not a heading / 2025-10-06 / 1\\. first
    >>> md_escape(None)
    ''
    """
    if is_missing(s):
        return ""
    text = " ".join(str(s).splitlines()).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LEADING.sub(r"\1\\\2", text, count=1)


def table_slug(name: str) -> str:
    """The file-name-safe form of a table name (``[a-z0-9_-]``, at most 60 characters).

    Examples
    --------
    >>> table_slug("Services per domain / team")
    'services-per-domain-team'
    >>> table_slug("<script>")
    'script'
    >>> table_slug("***")
    'table'
    """
    slug = re.sub(r"[^a-z0-9_]+", "-", str(name).lower()).strip("-_")[:60].strip("-_")
    return slug or "table"
