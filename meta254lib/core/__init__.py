"""The bottom layer: errors, table schemas, settings, ids, versions, time, severity and atomic writes.

Nothing here imports from the rest of the package; every other layer builds on these rules, each of
which is written once (time in :mod:`.clock`, severity order in :mod:`.severity`, version
classification in :mod:`.versions`, JSON-ready rows in :mod:`.records`).
"""

from .clock import history_cutoff, resolve_as_of, to_utc
from .errors import InputError, Meta254Error, ParameterError, SchemaError, UnknownServiceError
from .records import json_records, json_value
from .severity import SEVERITIES, SEVERITY_RANK, severity_rank

__all__ = [
    "SEVERITIES",
    "SEVERITY_RANK",
    "InputError",
    "Meta254Error",
    "ParameterError",
    "SchemaError",
    "UnknownServiceError",
    "history_cutoff",
    "json_records",
    "json_value",
    "resolve_as_of",
    "severity_rank",
    "to_utc",
]
