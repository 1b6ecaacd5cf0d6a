"""meta254: analytics workbench."""

from ._version import __version__
from .display import html_escape, md_escape, show_figure, show_headline, show_markdown, show_table
from .errors import InputError, Meta254Error, ParameterError, SchemaError, UnknownServiceError
from .schema import TABLES, schema_markdown
from .workspace import Workspace, open_workspace

__all__ = [
    "TABLES",
    "InputError",
    "Meta254Error",
    "ParameterError",
    "SchemaError",
    "UnknownServiceError",
    "Workspace",
    "__version__",
    "html_escape",
    "md_escape",
    "open_workspace",
    "schema_markdown",
    "show_figure",
    "show_headline",
    "show_markdown",
    "show_table",
]
