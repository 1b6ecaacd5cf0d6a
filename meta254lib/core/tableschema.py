"""What a table schema is, and how frames are built to one (exact columns, order and dtypes)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .columns import UTC_TS

__all__ = ["TableSchema", "empty_frame", "frame_from_records", "table"]


@dataclass(frozen=True)
class TableSchema:
    """Name, ordered columns, dtypes and documentation of one table.

    Parameters
    ----------
    name : str
        The table name, as exposed on the workspace (``ws.services``).
    spec : tuple of (column, dtype, description)
        The columns in order.
    doc : str
        One paragraph on what one row is.
    """

    name: str
    spec: tuple[tuple[str, str, str], ...]
    doc: str = ""
    dtypes: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtypes", {c: d for c, d, _ in self.spec})

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c for c, _, _ in self.spec)


def table(name: str, doc: str, *spec: tuple[str, str, str]) -> TableSchema:
    return TableSchema(name=name, spec=tuple(spec), doc=doc)


def _coerce(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == UTC_TS:
        return pd.to_datetime(series, utc=True, errors="coerce").astype(UTC_TS)
    if dtype == "object":
        return series.astype(object)
    if dtype == "str":
        return series.astype("str").where(series.notna(), other=pd.NA).astype("str")
    return series.astype(dtype)


def empty_frame(schema: TableSchema) -> pd.DataFrame:
    """An empty frame with the schema's columns and dtypes.

    Examples
    --------
    >>> from meta254lib.core.schema import WARNINGS
    >>> empty_frame(WARNINGS).columns.tolist()
    ['file', 'field', 'message']
    >>> empty_frame(WARNINGS) is empty_frame(WARNINGS)
    False
    """
    # building a frame column by column costs ~0.2 ms a column; a copy of a cached one ~0.1 ms in all
    return _empty_template(schema).copy()


@functools.cache
def _empty_template(schema: TableSchema) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=d if d != UTC_TS else UTC_TS) for c, d, _ in schema.spec})


def frame_from_records(schema: TableSchema, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a frame with exactly the schema's columns, in order, with its dtypes.

    Keys missing from a record become missing values; keys not in the schema are dropped.

    Examples
    --------
    >>> from meta254lib.core.schema import WARNINGS
    >>> df = frame_from_records(WARNINGS, [{"file": "a.yaml", "message": "bad"}])
    >>> df.loc[0, "file"], pd.isna(df.loc[0, "field"])
    ('a.yaml', True)
    """
    records = list(records)
    if not records:
        return empty_frame(schema)
    cols = schema.columns
    data = {c: [r.get(c) for r in records] for c in cols}
    out = {}
    for c, dtype, _ in schema.spec:
        values = data[c]
        if dtype == "object":
            s = pd.Series(values, dtype=object)
        elif dtype == "str":
            s = pd.Series(values, dtype="str")
        elif dtype == UTC_TS:
            s = pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="coerce", format="mixed")
            s = s.astype(UTC_TS)
        elif dtype in ("bool", "int64"):
            s = pd.Series([v if v is not None else (False if dtype == "bool" else 0) for v in values], dtype=dtype)
        else:
            s = pd.Series(values, dtype=object).astype(dtype)
        out[c] = s
    return pd.DataFrame(out)
