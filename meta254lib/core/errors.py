"""The exception hierarchy of meta254lib.

Every error the library raises on purpose derives from :class:`Meta254Error`. Each one carries the
data a user needs to fix the problem: the file, the field path inside it, and what was expected.
The CLI maps the classes to exit codes (see :data:`EXIT_CODES`).

Exit codes
----------
0  ok
1  findings (validation findings, drift above a floor) or a report page failed
2  unusable input (:class:`InputError` and subclasses), an output that cannot be written
   (:class:`OutputError`: disk full, read-only folder) or an output folder in use (:class:`OutputBusyError`)
3  internal error (anything else)
"""

from __future__ import annotations

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "InputError",
    "Meta254Error",
    "OutputBusyError",
    "OutputError",
    "ParameterError",
    "ReportError",
    "SchemaError",
    "UnknownServiceError",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


class Meta254Error(Exception):
    """Root of all errors raised by meta254lib on purpose."""

    exit_code: int = EXIT_INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(Meta254Error):
    """An input file cannot be used: it names the file, the field and what was expected.

    Parameters
    ----------
    file : str
        The path of the offending file, relative to the workspace when possible.
    field : str
        A dotted field path inside the file (``services[3].version``), or ``""`` for the whole file.
    expected : str
        What the field should have been.
    found : str, optional
        A short, truncated description of what was found instead.

    Examples
    --------
    >>> err = InputError("catalog/service-index.yaml", "services", "a list of service mappings", "a dict")
    >>> str(err)
    'catalog/service-index.yaml: services: expected a list of service mappings, found a dict'
    >>> err.exit_code
    2
    """

    exit_code = EXIT_INPUT

    def __init__(self, file: str, field: str, expected: str, found: str | None = None) -> None:
        self.file = str(file)
        self.field = field
        self.expected = expected
        self.found = found
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        tail = f", found {found}" if found else ""
        super().__init__(f"{where}expected {expected}{tail}")


class SchemaError(Meta254Error):
    """A DataFrame handed to an analysis lacks required columns.

    Examples
    --------
    >>> str(SchemaError("services", ["team"]))
    "table 'services' is missing column(s): team"
    """

    def __init__(self, table: str, missing_columns: list[str]) -> None:
        self.table = table
        self.missing_columns = list(missing_columns)
        super().__init__(f"table {table!r} is missing column(s): {', '.join(self.missing_columns)}")


class UnknownServiceError(Meta254Error, KeyError):
    """A service named by the user is not in the catalog.

    Examples
    --------
    >>> str(UnknownServiceError("nope", ["auth", "gateway"]))
    "unknown service 'nope' (known: auth, gateway)"
    >>> str(UnknownServiceError("gatewy", ["auth", "gateway", "metrics"]))
    "unknown service 'gatewy' (did you mean gateway?)"
    """

    exit_code = EXIT_INPUT

    def __init__(self, service: str, known: list[str] | None = None) -> None:
        self.service = service
        known = sorted({str(k) for k in known or []})
        from .names import closest  # names builds on this module

        close = closest(str(service), known)
        if close:
            hint = f" (did you mean {' or '.join(close)}?)"
        elif known:
            hint = f" (known: {', '.join(known[:10])}{', ...' if len(known) > 10 else ''})"
        else:
            hint = ""
        Meta254Error.__init__(self, f"unknown service {service!r}{hint}")

    def __str__(self) -> str:
        return self.message


class ParameterError(Meta254Error):
    """A parameter given by the user (CLI option, notebook parameter) is invalid."""

    exit_code = EXIT_INPUT


class ReportError(Meta254Error):
    """A report run finished with at least one failed page."""

    exit_code = EXIT_FINDINGS


class OutputError(Meta254Error):
    """An output cannot be written because of the environment: a full disk, a read-only folder, no permission.

    Parameters
    ----------
    path : str
        The file or folder that could not be written.
    reason : str
        The operating system's reason (``No space left on device``).

    Examples
    --------
    >>> err = OutputError("reports/2025-W41", "No space left on device")
    >>> str(err), err.exit_code
    ('cannot write reports/2025-W41: No space left on device', 2)
    """

    exit_code = EXIT_INPUT

    def __init__(self, path: str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot write {self.path}: {reason}")


class OutputBusyError(Meta254Error):
    """An output folder is in use by another run (``meta254 report`` without ``--wait``); exit 2."""

    exit_code = EXIT_INPUT
