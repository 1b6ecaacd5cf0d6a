"""The columnar codec of the warm-load cache: a DataFrame as raw little-endian column buffers.

Numbers, booleans and timestamps are plain arrays (read with ``numpy.frombuffer``), nullable dtypes
carry a mask, text is its distinct values plus ``int32`` codes (Arrow-backed text: the Arrow offsets and
UTF-8 bytes of the distinct values, as they are; other text: a JSON list), and any other column is
tagged JSON (:func:`meta254lib.workspace.codec.encode_value`). Lengths, dtypes, code ranges and column
names are checked while decoding; anything malformed raises
:class:`~meta254lib.workspace.codec.CacheCorrupt`.

Examples
--------
>>> df = pd.DataFrame({"service": pd.Series(["a", None, "a"], dtype="str"), "n": pd.array([1, None, 3], "Int64")})
>>> blobs = Blobs()
>>> spec = encode_frame(df, blobs)
>>> back = decode_frame(spec, [bytearray(b) for b in blobs.items])
>>> back.equals(df), back.dtypes.astype(str).tolist()
(True, ['str', 'Int64'])
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.clock import to_utc_index, to_zone
from .codec import PLAIN_TYPES, CacheCorrupt, Uncacheable, decode_value, encode_value
from .column_jobs import run_jobs

__all__ = ["Blobs", "decode_frame", "encode_frame", "read_array"]


class Blobs:
    """Raw buffers of one unit file, in order.

    An array is kept as a byte view of itself (contiguous, not copied): the buffers are only
    digested and written.

    Examples
    --------
    >>> blobs = Blobs()
    >>> blobs.add(np.array([1, 2], dtype="<i4")), len(blobs.items[0]), bytes(blobs.items[0])[:4]
    (0, 8, b'\\x01\\x00\\x00\\x00')
    """

    def __init__(self) -> None:
        self.items: list[bytes | memoryview] = []

    def add(self, data: bytes | np.ndarray) -> int:
        """Append a buffer (an array as its contiguous bytes); its index."""
        if isinstance(data, np.ndarray):
            flat = np.ascontiguousarray(data).reshape(-1)
            data = memoryview(flat.view(np.uint8))
        self.items.append(data)
        return len(self.items) - 1

    def add_json(self, value: Any) -> int:
        """Append ``value`` as a compact JSON buffer; its index."""
        return self.add(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode())


_MASKED = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64", "boolean"}


#: The string storages a text column may have (pandas picks ``pyarrow`` when pyarrow is installed).
_STORAGES = ("python", "pyarrow")


def _str_dtype(kind: str, storage: str = "python") -> pd.StringDtype:
    if storage not in _STORAGES:
        raise CacheCorrupt(f"unknown string storage {storage!r}")
    return pd.StringDtype(storage, na_value=np.nan) if kind == "str" else pd.StringDtype(storage)


def encode_frame(df: pd.DataFrame, blobs: Blobs) -> dict[str, Any]:
    """Describe ``df`` column by column, adding its buffers to ``blobs``.

    Raises
    ------
    Uncacheable
        A non-default index, non-text or duplicate column names, or a dtype not listed in the
        module docstring.
    """
    idx = df.index
    if not isinstance(idx, pd.RangeIndex) or idx.start != 0 or idx.step != 1:
        raise Uncacheable("only frames with a default RangeIndex are cached")
    names = list(df.columns)
    if len(set(names)) != len(names) or not all(type(c) is str for c in names):
        raise Uncacheable("column names must be unique text")
    texts = run_jobs(  # dictionary-encoding releases the GIL: the text columns are encoded side by side
        {
            str(j): partial(_arrow_text_parts, df.iloc[:, j].array)
            for j, dtype in enumerate(df.dtypes)
            if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
        }
    )
    cols = []
    for j, name in enumerate(names):
        s = df.iloc[:, j]
        dtype = s.dtype
        spec: dict[str, Any] = {"name": name, "dtype": str(dtype)}
        if isinstance(dtype, pd.StringDtype):
            if dtype.storage not in _STORAGES:
                raise Uncacheable(f"string storage {dtype.storage}")
            spec["storage"] = dtype.storage
            spec["kind"] = "str" if dtype.na_value is np.nan else "string"
            if dtype.storage == "pyarrow":
                spec |= _add_arrow_text(texts[str(j)], blobs)
            else:
                spec["enc"] = "text"
                codes, uniques = pd.factorize(s, use_na_sentinel=True)
                spec["codes"] = blobs.add(codes.astype("<i4"))
                spec["values"] = blobs.add_json([str(u) for u in uniques])
        elif isinstance(dtype, pd.DatetimeTZDtype):
            spec["enc"] = "datetimetz"
            spec["unit"] = dtype.unit
            spec["tz"] = str(dtype.tz)
            spec["data"] = blobs.add(np.asarray(s.array.asi8, dtype="<i8"))
        elif str(dtype) in _MASKED:
            arr = s.array
            spec["enc"] = "masked"
            mask = np.asarray(arr.isna(), dtype=bool)
            values = np.asarray(arr._data)  # the values under the mask (public API has no accessor)
            spec["vdtype"] = values.dtype.str
            spec["data"] = blobs.add(values)
            spec["mask"] = blobs.add(mask)
        elif isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
            values = s.to_numpy()
            spec["enc"] = "raw"
            spec["vdtype"] = values.dtype.str
            spec["data"] = blobs.add(values)
        elif isinstance(dtype, np.dtype) and dtype.kind == "O" and set(map(type, s.tolist())) <= {str, type(None)}:
            spec["enc"] = "texts"
            spec["data"] = blobs.add_json(s.tolist())
        elif isinstance(dtype, np.dtype) and dtype.kind == "O" and _text_tuples(s):
            # each distinct tuple once (a graph's edges repeat a handful of relation tuples), then codes
            spec["enc"] = "strtuples"
            distinct: dict[tuple, int] = {}
            codes = [-1 if v is None else distinct.setdefault(v, len(distinct)) for v in s.tolist()]
            spec["codes"] = blobs.add(np.array(codes, dtype="<i4"))
            spec["lengths"] = blobs.add(np.array([len(v) for v in distinct], dtype="<i4"))
            spec["values"] = blobs.add_json([x for v in distinct for x in v])
        elif isinstance(dtype, np.dtype) and dtype.kind == "O":
            frames: list[pd.DataFrame] = []
            encoded = [encode_value(v, frames) for v in s.tolist()]
            if frames:
                raise Uncacheable("frames inside a column")
            spec["enc"] = "json"
            spec["data"] = blobs.add_json(encoded)
        else:
            raise Uncacheable(f"dtype {dtype}")
        cols.append(spec)
    return {"nrows": len(df), "columns": cols}


#: The code types of Arrow-backed text, narrowest first (``-1`` is missing, so a type holds ``max`` values).
_CODE_TYPES = ("|i1", "<i2", "<i4")


def _encode_arrow_text(values: Any, blobs: Blobs) -> dict[str, Any]:
    """An Arrow-backed text column as its distinct values (Arrow ``large_string`` offsets and UTF-8
    bytes, copied as they are) plus codes, ``-1`` for missing, in the narrowest of :data:`_CODE_TYPES`
    that holds them; no Python string is made.

    Examples
    --------
    >>> blobs = Blobs()
    >>> spec = _encode_arrow_text(pd.array(["b", None, "b", "é"], dtype="str"), blobs)
    >>> spec["cdtype"], np.frombuffer(blobs.items[spec["codes"]], spec["cdtype"]).tolist()
    ('|i1', [0, -1, 0, 1])
    >>> bytes(blobs.items[spec["data"]]).decode()
    'bé'
    """
    return _add_arrow_text(_arrow_text_parts(values), blobs)


def _arrow_text_parts(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The codes, offsets and UTF-8 bytes :func:`_encode_arrow_text` stores (computed without the GIL)."""
    arrow = pa.array(values)
    if not isinstance(arrow, pa.ChunkedArray):
        arrow = pa.chunked_array([arrow])
    encoded = arrow.cast(pa.large_string()).dictionary_encode()  # one dictionary for every chunk
    if encoded.num_chunks and all(c.dictionary.equals(encoded.chunk(0).dictionary) for c in encoded.chunks):
        distinct = encoded.chunk(0).dictionary
        indices = pa.chunked_array([c.indices for c in encoded.chunks])
    else:  # no chunk, or (should Arrow ever do so) a dictionary per chunk
        flat = arrow.combine_chunks().cast(pa.large_string()).dictionary_encode()
        distinct, indices = flat.dictionary, pa.chunked_array([flat.indices])
    width = next(t for t in _CODE_TYPES if len(distinct) <= np.iinfo(t).max)  # the narrowest that holds them
    codes = pc.fill_null(indices, -1).to_numpy().astype(width)
    _, offsets_buf, data_buf = distinct.buffers()
    if not len(distinct) or offsets_buf is None or data_buf is None:
        offsets, data = np.zeros(len(distinct) + 1, dtype="<i8"), np.zeros(0, dtype=np.uint8)
    else:
        offsets = np.frombuffer(offsets_buf, dtype="<i8")[distinct.offset : distinct.offset + len(distinct) + 1]
        data = np.frombuffer(data_buf, dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
        offsets = offsets - offsets[0]
    return codes, offsets, data


def _add_arrow_text(parts: tuple[np.ndarray, np.ndarray, np.ndarray], blobs: Blobs) -> dict[str, Any]:
    """The column spec of :func:`_arrow_text_parts`' ``parts``, adding them to ``blobs``."""
    codes, offsets, data = parts
    return {
        "enc": "arrowtext",
        "cdtype": codes.dtype.str,
        "codes": blobs.add(codes),
        "offsets": blobs.add(offsets),
        "data": blobs.add(data),
    }


def _text_tuples(s: pd.Series) -> bool:
    """Whether every value is a tuple of text (or None): such columns are stored flat."""
    values = s.tolist()
    if not set(map(type, values)) <= {tuple, type(None)}:
        return False
    return set(map(type, itertools.chain.from_iterable(v for v in values if v is not None))) <= {str}


def read_array(blob: bytearray, vdtype: str, n: int) -> np.ndarray:
    """``n`` values of dtype ``vdtype`` from a buffer (:class:`CacheCorrupt` when the length does not match)."""
    dtype = np.dtype(vdtype)
    if dtype.hasobject or len(blob) != n * dtype.itemsize:
        raise CacheCorrupt("buffer length does not match the row count")
    return np.frombuffer(blob, dtype=dtype)


def _json_blob(blob: bytearray) -> Any:
    try:
        return json.loads(bytes(blob))
    except (ValueError, UnicodeDecodeError) as err:
        raise CacheCorrupt(f"unreadable JSON buffer: {err}") from None


def _decode_text(col: Mapping[str, Any], blobs: list[bytearray], n: int) -> Any:
    """A text column: distinct values plus ``int32`` codes (``-1`` is missing)."""
    codes = read_array(blobs[col["codes"]], "<i4", n)
    uniques = _json_blob(blobs[col["values"]])
    if not isinstance(uniques, list) or not set(map(type, uniques)) <= {str}:
        raise CacheCorrupt("text values are not strings")
    if n and (int(codes.min()) < -1 or int(codes.max()) >= len(uniques)):
        raise CacheCorrupt("text codes out of range")
    dtype = _str_dtype(col["kind"], str(col.get("storage", "python")))
    table = np.empty(len(uniques) + 1, dtype=object)
    table[: len(uniques)] = uniques
    table[len(uniques)] = dtype.na_value
    return pd.array(table.take(codes), dtype=dtype)


def _decode_arrowtext(col: Mapping[str, Any], blobs: list[bytearray], n: int) -> Any:
    """A text column of :func:`_encode_arrow_text`: Arrow ``large_string`` offsets, UTF-8 bytes and codes.

    The offsets and bytes are checked in full by Arrow (monotonic, in bounds, valid UTF-8).
    """
    cdtype = col.get("cdtype")
    if cdtype not in _CODE_TYPES:
        raise CacheCorrupt(f"bad text code type {cdtype!r}")
    codes = read_array(blobs[col["codes"]], cdtype, n)
    blob = blobs[col["offsets"]]
    offsets = read_array(blob, "<i8", len(blob) // 8)
    if not len(offsets) or int(offsets[0]) != 0:
        raise CacheCorrupt("text offsets do not start at 0")
    size = len(offsets) - 1
    try:
        distinct = pa.LargeStringArray.from_buffers(size, pa.py_buffer(blob), pa.py_buffer(blobs[col["data"]]))
        distinct.validate(full=True)
    except (pa.ArrowException, ValueError) as err:
        raise CacheCorrupt(f"text values: {err}") from None
    if n and (int(codes.min()) < -1 or int(codes.max()) >= size):
        raise CacheCorrupt("text codes out of range")
    dtype = _str_dtype(col["kind"], str(col.get("storage", "pyarrow")))
    taken = distinct.take(pa.array(codes, mask=codes < 0))
    return pd.array(taken, dtype=dtype)


def _decode_datetimetz(col: Mapping[str, Any], blobs: list[bytearray], n: int) -> Any:
    """An aware datetime column: ``int64`` counts of its unit since the epoch, UTC."""
    raw = read_array(blobs[col["data"]], "<i8", n)
    unit = str(col["unit"])
    if unit not in ("s", "ms", "us", "ns"):
        raise CacheCorrupt("bad datetime unit")
    return to_zone(to_utc_index(raw.view(f"M8[{unit}]")), col["tz"]).array


def _decode_masked(col: Mapping[str, Any], blobs: list[bytearray], n: int) -> Any:
    """A nullable (masked) column: its values and its mask."""
    data = read_array(blobs[col["data"]], col["vdtype"], n)
    mask = read_array(blobs[col["mask"]], "|b1", n)
    dtype_name = col["dtype"]
    if dtype_name not in _MASKED:
        raise CacheCorrupt("bad masked dtype")
    if dtype_name == "boolean":
        return pd.arrays.BooleanArray(data.astype(bool), mask.copy())
    if dtype_name.startswith("Float"):
        return pd.arrays.FloatingArray(data.copy(), mask.copy())
    return pd.arrays.IntegerArray(data.copy(), mask.copy())


def _decode_raw(col: Mapping[str, Any], blobs: list[bytearray], n: int) -> Any:
    """A plain numpy column."""
    return read_array(blobs[col["data"]], col["vdtype"], n)


def _decode_texts(col: Mapping[str, Any], blobs: list[bytearray], n: int) -> Any:
    """An object column of text and ``None``."""
    items = _json_blob(blobs[col["data"]])
    if not isinstance(items, list) or len(items) != n or not set(map(type, items)) <= {str, type(None)}:
        raise CacheCorrupt("text column")
    values = np.empty(n, dtype=object)
    values[:] = items
    return values


def _decode_strtuples(col: Mapping[str, Any], blobs: list[bytearray], n: int) -> Any:
    """An object column of text tuples: the distinct tuples (lengths and flat items) plus codes."""
    codes = read_array(blobs[col["codes"]], "<i4", n)
    blob = blobs[col["lengths"]]
    lengths = read_array(blob, "<i4", len(blob) // 4)
    flat = _json_blob(blobs[col["values"]])
    if not isinstance(flat, list) or not set(map(type, flat)) <= {str}:
        raise CacheCorrupt("tuple items are not text")
    if (len(lengths) and int(lengths.min()) < 0) or int(lengths.sum()) != len(flat):
        raise CacheCorrupt("tuple lengths do not match their items")
    if n and (int(codes.min()) < -1 or int(codes.max()) >= len(lengths)):
        raise CacheCorrupt("tuple codes out of range")
    table = np.empty(len(lengths) + 1, dtype=object)  # the distinct tuples, then None for -1
    start = 0
    for j, end in enumerate(np.cumsum(lengths).tolist()):
        table[j] = tuple(flat[start:end])
        start = end
    return table.take(codes)


def _decode_json(col: Mapping[str, Any], blobs: list[bytearray], n: int) -> Any:
    """Any other object column: tagged JSON values."""
    items = _json_blob(blobs[col["data"]])
    if not isinstance(items, list) or len(items) != n:
        raise CacheCorrupt("object column length")
    values = np.empty(n, dtype=object)
    if n and not set(map(type, items)) <= PLAIN_TYPES:  # plain values decode as themselves
        items = [decode_value(v, []) for v in items]
    values[:] = items if n else []
    return values


#: The decoder of each column encoding of :func:`encode_frame`.
_DECODERS: dict[str, Callable[[Mapping[str, Any], list[bytearray], int], Any]] = {
    "text": _decode_text,
    "arrowtext": _decode_arrowtext,
    "datetimetz": _decode_datetimetz,
    "masked": _decode_masked,
    "raw": _decode_raw,
    "texts": _decode_texts,
    "strtuples": _decode_strtuples,
    "json": _decode_json,
}


def decode_frame(spec: Mapping[str, Any], blobs: list[bytearray]) -> pd.DataFrame:
    """Rebuild a DataFrame from :func:`encode_frame`'s description and the checked buffers.

    Raises
    ------
    CacheCorrupt
        Any inconsistency (lengths, code ranges, dtypes, names).
    """
    n = int(spec["nrows"])
    out: dict[str, Any] = {}
    for col in spec["columns"]:
        enc, name = col["enc"], col["name"]
        if not isinstance(name, str) or name in out:
            raise CacheCorrupt("bad column name")
        decoder = _DECODERS.get(enc) if isinstance(enc, str) else None
        if decoder is None:
            raise CacheCorrupt(f"unknown encoding {enc!r}")
        values = decoder(col, blobs, n)
        s = pd.Series(values, name=name, copy=False, dtype=object if enc in ("json", "texts", "strtuples") else None)
        if str(s.dtype) != col["dtype"]:
            raise CacheCorrupt(f"column {name!r}: dtype {s.dtype} instead of {col['dtype']}")
        if len(s) != n:
            raise CacheCorrupt(f"column {name!r}: {len(s)} rows instead of {n}")
        out[name] = s
    if not out:
        return pd.DataFrame(index=pd.RangeIndex(n))
    return pd.DataFrame(out, copy=False)
