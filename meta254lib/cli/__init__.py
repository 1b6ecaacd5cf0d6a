"""The ``meta254`` command line: one module per command, registered on the group in :mod:`.app`."""

from .app import main

__all__ = ["main"]
