"""What a report page knows: the failure it shows and its place in the report (title, links, navigation)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ASSETS_DIR", "STALE_LABEL", "STALE_STYLE", "FailureInfo", "PageContext", "clean_traceback"]

#: The folder of the shared assets (plotly.js, stylesheet) in a report folder.
ASSETS_DIR = "assets"
#: The label of the ``PageContext.meta`` pair that holds the staleness notice, shown as a banner.
STALE_LABEL = "stale data"
#: The look of the staleness banner (inline, so that it needs nothing from the stylesheet).
STALE_STYLE = "background:#fff8c5;color:#7d4e00;border:1px solid #d4a72c"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class FailureInfo:
    """Why a page failed: the cell, the error and the inputs of the run.

    Parameters
    ----------
    message : str
        The error, as ``ExceptionName: message``.
    cell_index : int or None
        Index of the failing cell in the executed notebook, when known.
    cell_source : str
        The failing cell's source ("" when unknown).
    traceback : str
        The traceback, ANSI colours removed.
    inputs : tuple of (str, str)
        The run's parameters and any input file named by the error, as (label, value) pairs.
    """

    message: str
    cell_index: int | None = None
    cell_source: str = ""
    traceback: str = ""
    inputs: tuple[tuple[str, str], ...] = ()

    def one_line(self) -> str:
        """The message on one line, at most 200 characters.

        Examples
        --------
        >>> FailureInfo("KeyError: 'team'\\nmore").one_line()
        "KeyError: 'team' more"
        """
        text = " ".join(self.message.split())
        return text if len(text) <= 200 else text[:197] + "..."


@dataclass(frozen=True)
class PageContext:
    """What a page needs to know about the report around it.

    Parameters
    ----------
    title : str
        The page title.
    as_of : str
        The as-of date shown under the title.
    index_href : str
        Relative link to the report's index.
    assets_href : str
        Relative path of the shared assets folder, ending with ``/``.
    meta : tuple of (str, str)
        Extra (label, value) pairs shown under the title (workspace, team, version).
    nav : tuple of (str, str, bool)
        The report's pages as (label, href, is_current), for the navigation bar.
    failure : FailureInfo or None
        Set when the page failed.
    """

    title: str
    as_of: str
    index_href: str = "index.html"
    assets_href: str = f"{ASSETS_DIR}/"
    meta: tuple[tuple[str, str], ...] = ()
    nav: tuple[tuple[str, str, bool], ...] = ()
    failure: FailureInfo | None = None
    headline: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def clean_traceback(lines: Sequence[str] | str) -> str:
    """A traceback without ANSI colour codes.

    Examples
    --------
    >>> clean_traceback(["\\x1b[0;31mKeyError\\x1b[0m: 'x'"])
    "KeyError: 'x'"
    """
    text = lines if isinstance(lines, str) else "\n".join(lines)
    return _ANSI.sub("", text)
