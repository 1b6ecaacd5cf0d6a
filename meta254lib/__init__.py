"""meta254: analytics workbench."""

from ._version import __version__
from .display import html_escape, md_escape, show_figure, show_headline, show_markdown, show_table

__all__ = [
    "__version__",
    "html_escape",
    "md_escape",
    "show_figure",
    "show_headline",
    "show_markdown",
    "show_table",
]
