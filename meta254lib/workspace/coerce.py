"""Value coercions of the loaders: one loosely written YAML/JSON value to the type a table column holds.

Every function takes the value, the file and field it came from (for messages) and a warnings list;
a value that had to be reinterpreted (a count written as text, a percentage for a fraction) is
warned, a value that cannot be used becomes ``None`` (warned). Timestamps go through
:func:`meta254lib.core.clock.to_utc`: ``+00:00``, ``Z`` or naive (naive means UTC).

Examples
--------
>>> parse_timestamp("2025-10-09T22:30:38.509155+00:00") == parse_timestamp("2025-10-09T22:30:38.509155Z")
True
>>> to_count("3", "f.yaml", "n", w := []), w
(3, [('f.yaml', 'n', "count written as text '3'")])
"""

from __future__ import annotations

import datetime as dt
import re
import reprlib
from typing import Any

import pandas as pd

from ..core.clock import TimeOutOfRange, to_utc_bounded
from .yamlio import WarnList, YamlFloat, as_text

__all__ = [
    "parse_time_field",
    "parse_timestamp",
    "short",
    "str_list",
    "timestamp_from_filename",
    "to_bool",
    "to_count",
    "to_fraction",
    "to_number",
    "to_str",
]

_FILE_TS = re.compile(r"(\d{8})_(\d{6})")
#: Counts above this cannot be stored in an Int64 column (and are not real counts).
_MAX_COUNT = 2**63 - 1


def parse_timestamp(value: Any) -> pd.Timestamp | None:
    """A UTC timestamp from ``+00:00``, ``Z``, naive (read as UTC) or date-only text, or a datetime.

    Examples
    --------
    >>> str(parse_timestamp("2025-10-10"))
    '2025-10-10 00:00:00+00:00'
    >>> str(parse_timestamp("2025-10-10T12:00:00+02:00"))
    '2025-10-10 10:00:00+00:00'
    >>> parse_timestamp("yesterday") is None, parse_timestamp(None) is None
    (True, True)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, YamlFloat):
        return None
    try:
        ts = to_utc_bounded(as_text(value) if not isinstance(value, dt.datetime) else value)
    except (ValueError, TypeError, OverflowError):  # TimeOutOfRange included: see parse_time_field
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    return ts


def parse_time_field(value: Any, file: str, field: str, warnings: WarnList) -> pd.Timestamp | None:
    """:func:`parse_timestamp`, warning (file, field, value) about a time outside 0001 to 9999 UTC.

    Such a time (``10000-01-01``, or ``9999-12-31T23:00-05:00``) cannot be shown or compared by
    what reads the tables, so it is ignored like an absent one, but never silently.

    Examples
    --------
    >>> w = []
    >>> parse_time_field("10000-01-01T00:00:00Z", "q.json", "metadata.generated_at", w) is None, w[0][2]
    (True, "'10000-01-01T00:00:00Z' is outside the times meta254 represents (0001-01-01 to 9999-12-31 UTC); ignored")
    >>> str(parse_time_field("9999-12-31", "q.json", "generated_at", w)), len(w)
    ('9999-12-31 00:00:00+00:00', 1)
    """
    ts = parse_timestamp(value)
    if ts is None and value is not None and not isinstance(value, (bool, int, float)):
        try:
            to_utc_bounded(as_text(value) if not isinstance(value, dt.datetime) else value)
        except TimeOutOfRange:
            warnings.append(
                (
                    file,
                    field,
                    f"{short(value)} is outside the times meta254 represents (0001-01-01 to 9999-12-31 UTC); ignored",
                )
            )
        except (ValueError, TypeError, OverflowError):
            pass
    return ts


def timestamp_from_filename(name: str) -> pd.Timestamp | None:
    """The ``YYYYmmdd_HHMMSS`` stamp of a report file name, read as UTC.

    Examples
    --------
    >>> str(timestamp_from_filename("20251010_173911_drift_report.json"))
    '2025-10-10 17:39:11+00:00'
    """
    m = _FILE_TS.search(name)
    if not m:
        return None
    try:
        return pd.Timestamp(dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S"), tz="UTC")
    except ValueError:
        return None


def to_bool(value: Any, file: str, field: str, warnings: WarnList) -> bool | None:
    """A boolean; ``yes``/``no`` style text and ``0``/``1`` are read with a warning, anything else is ``None``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "y", "on", "1", "passed", "pass"}:
        warnings.append((file, field, f"boolean written as text {value!r}; read as true"))
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "n", "off", "0", "failed", "fail"}:
        warnings.append((file, field, f"boolean written as text {value!r}; read as false"))
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    warnings.append((file, field, f"expected a boolean, found {short(value)}; ignored"))
    return None


def to_count(value: Any, file: str, field: str, warnings: WarnList) -> int | None:
    """A count ``>= 0`` that fits an Int64 column; whole floats and digit text are accepted."""
    if value is None:
        return None
    if isinstance(value, bool):
        warnings.append((file, field, f"expected a count, found {value!r}; ignored"))
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        warnings.append((file, field, f"count written as text {value!r}"))
        value = int(value.strip())
    if not isinstance(value, int):
        warnings.append((file, field, f"expected a whole number, found {short(value)}; ignored"))
        return None
    if value < 0:
        warnings.append((file, field, f"expected a count >= 0, found {value}; ignored"))
        return None
    if value > _MAX_COUNT:
        warnings.append((file, field, f"{short(value)} is too large to be a count; ignored"))
        return None
    return value


def to_fraction(value: Any, file: str, field: str, warnings: WarnList) -> float | None:
    """A 0..1 fraction; ``"85%"`` and ``85`` are read as 0.85 with a warning."""
    if value is None:
        return None
    if isinstance(value, bool):
        warnings.append((file, field, f"expected a fraction 0..1, found {value!r}; ignored"))
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text.rstrip("%"))
        except ValueError:
            warnings.append((file, field, f"expected a fraction 0..1, found {short(value)}; ignored"))
            return None
        if text.endswith("%"):
            warnings.append((file, field, f"percentage {value!r} read as {number / 100:g}"))
            return number / 100
        warnings.append((file, field, f"number written as text {value!r}"))
        value = number
    if not isinstance(value, (int, float)) or value != value:  # NaN
        warnings.append((file, field, f"expected a fraction 0..1, found {short(value)}; ignored"))
        return None
    try:
        value = float(value)
    except OverflowError:
        warnings.append((file, field, f"expected a fraction 0..1, found {short(value)}; ignored"))
        return None
    if 1 < value <= 100:
        warnings.append((file, field, f"coverage {value:g} read as a percentage ({value / 100:g})"))
        return value / 100
    if not 0 <= value <= 1:
        warnings.append((file, field, f"expected a fraction 0..1, found {value:g}; ignored"))
        return None
    return value


def to_number(value: Any, file: str, field: str, warnings: WarnList) -> float | None:
    """A float; numbers written as text are read with a warning, ``NaN`` becomes ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        warnings.append((file, field, f"expected a number, found {short(value)}; ignored"))
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # text that is no number, or an integer beyond any float
        warnings.append((file, field, f"expected a number, found {short(value)}; ignored"))
        return None
    if isinstance(value, str):
        warnings.append((file, field, f"number written as text {value!r}"))
    return number if number == number else None


def to_str(value: Any, file: str, field: str, warnings: WarnList) -> str | None:
    """Text; unquoted YAML numbers keep their source text, mappings and lists are ``None``."""
    if value.__class__ is str:  # the common case first: 100k-service catalogs call this a million times
        return value
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        warnings.append((file, field, f"expected text, found {short(value)}; ignored"))
        return None
    if isinstance(value, YamlFloat):
        return value.source
    if isinstance(value, float):
        warnings.append((file, field, f"number {value!r} read as text"))
    return as_text(value)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxstring, _REPR.maxother = 3, 4, 6, 40, 40


def short(value: Any, limit: int = 60) -> str:
    """A short description of a value for a message, cheap even for 10 MB strings and deep nesting.

    Examples
    --------
    >>> short("x" * 10_000_000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
    >>> short(["a", {"b": [[[[1]]]]}])
    "list ['a', {'b': [[...]]}]"
    """
    kind = type(value).__name__
    text = repr(value[: limit + 1]) if isinstance(value, str) else _REPR.repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{kind} {text}" if kind in ("dict", "list") else text


def str_list(value: Any, file: str, field: str, warnings: WarnList) -> list[str]:
    """A list of stripped, non-empty texts; a single string is read as a one-item list."""
    if value is None:
        return []
    if isinstance(value, str):
        warnings.append((file, field, "expected a list, found a single string; read as a one-item list"))
        return [value]
    if not isinstance(value, list):
        warnings.append((file, field, f"expected a list, found {short(value)}; ignored"))
        return []
    out = [item.strip() for item in value if item.__class__ is str]
    if len(out) == len(value) and all(out):  # the common case: clean text items
        return out
    out = []
    for i, item in enumerate(value):
        text = to_str(item, file, f"{field}[{i}]", warnings)
        if text is None or not text.strip():
            if text is None and item is not None:
                continue
            warnings.append((file, f"{field}[{i}]", "empty entry ignored"))
            continue
        out.append(text.strip())
    return out
