"""The cache codecs: values and frames round-trip exactly, what cannot be stored exactly is refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from meta254lib.workspace.codec import CacheCorrupt, Uncacheable, decode_value, encode_value
from meta254lib.workspace.frame_codec import Blobs, decode_frame, encode_frame


def test_frame_codec_round_trips_every_schema_dtype():
    df = pd.DataFrame(
        {
            "s": pd.Series(["a", None, "é", "a"], dtype="str"),
            "i": pd.array([1, None, -3, 2**62], dtype="Int64"),
            "b": pd.array([True, None, False, True], dtype="boolean"),
            "f": pd.array([0.5, None, np.nan, 1.0], dtype="Float64"),
            "g": [0.5, np.nan, 2.0, -0.0],
            "n": np.array([1, 2, 3, 4], dtype="int64"),
            "ok": [True, False, True, False],
            "t": pd.to_datetime(
                ["2025-10-06T06:00:00Z", None, "2024-01-01", "2025-01-01T00:00:00.123456Z"], utc=True, format="ISO8601"
            ).as_unit("us"),
            "o": pd.Series([("a", "b"), (), ("c",), None], dtype=object),
        }
    )
    blobs = Blobs()
    back = decode_frame(encode_frame(df, blobs), [bytearray(b) for b in blobs.items])
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert back["o"].iloc[0] == ("a", "b") and pd.isna(back["f"].iloc[1]) and back["s"].iloc[2] == "é"
    empty = df.iloc[:0].reset_index(drop=True)
    blobs = Blobs()
    spec = encode_frame(empty, blobs)
    pd.testing.assert_frame_equal(decode_frame(spec, [bytearray(b) for b in blobs.items]), empty)


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
def test_text_columns_keep_their_string_storage(storage):
    # pandas stores text in pyarrow once pyarrow is installed; the cache must keep either storage
    df = pd.DataFrame(
        {
            "str": pd.Series(["a", None, "b"], dtype=pd.StringDtype(storage, na_value=np.nan)),
            "string": pd.Series(["x", None, "x"], dtype=pd.StringDtype(storage)),
        }
    )
    blobs = Blobs()
    spec = encode_frame(df, blobs)
    assert [c["storage"] for c in spec["columns"]] == [storage, storage]
    back = decode_frame(spec, [bytearray(b) for b in blobs.items])
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    spec["columns"][0]["storage"] = "numpy"
    with pytest.raises(CacheCorrupt, match="unknown string storage 'numpy'"):
        decode_frame(spec, [bytearray(b) for b in blobs.items])


def test_text_in_several_arrow_chunks_is_stored_once_per_distinct_value():
    # a column made of chunks (a filtered or concatenated frame) is encoded without joining them first
    chunks = pa.chunked_array([pa.array(["b", None], pa.large_string()), pa.array(["é", "b"], pa.large_string())])
    df = pd.DataFrame({"s": pd.Series(chunks, dtype="str")})
    assert df["s"].array._pa_array.num_chunks == 2
    blobs = Blobs()
    spec = encode_frame(df, blobs)
    col = spec["columns"][0]
    assert np.frombuffer(blobs.items[col["codes"]], col["cdtype"]).tolist() == [0, -1, 1, 0]
    assert bytes(blobs.items[col["data"]]).decode() == "bé"
    pd.testing.assert_frame_equal(decode_frame(spec, [bytearray(b) for b in blobs.items]), df, check_exact=True)


def test_values_that_cannot_be_stored_exactly_are_not_cached():
    with pytest.raises(Uncacheable):
        encode_value(object(), [])
    with pytest.raises(Uncacheable):
        encode_frame(pd.DataFrame({"a": [1]}, index=[5]), Blobs())
    assert decode_value(encode_value({1: {"$": "x"}}, []), []) == {1: {"$": "x"}}


def test_text_tuples_are_stored_once_each_and_checked():
    col = pd.Series([("depends_on",), None, (), ("depends_on",), ("a", "b"), ()] * 3, dtype=object)
    df = pd.DataFrame({"t": col})
    blobs = Blobs()
    spec = encode_frame(df, blobs)
    assert json.loads(blobs.items[spec["columns"][0]["values"]]) == ["depends_on", "a", "b"]
    back = decode_frame(spec, [bytearray(b) for b in blobs.items])
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert back["t"].tolist() == col.tolist() and back["t"].iloc[1] is None
    bad = [bytearray(b) for b in blobs.items]
    bad[spec["columns"][0]["codes"]][:4] = np.array([7], dtype="<i4").tobytes()  # a code past the table
    with pytest.raises(CacheCorrupt, match="tuple codes out of range"):
        decode_frame(spec, bad)


def _arrow_text_frame(n_distinct: int) -> pd.DataFrame:
    values = [f"v{k}é" for k in range(n_distinct)] + [None, "", "v0é"]
    return pd.DataFrame({"s": pd.Series(values, dtype="str"), "t": pd.Series(values[::-1], dtype="string[pyarrow]")})


@pytest.mark.parametrize(("n_distinct", "cdtype"), [(0, "|i1"), (125, "|i1"), (127, "<i2"), (32767, "<i4")])
def test_arrow_text_round_trips_with_the_narrowest_codes(n_distinct, cdtype):
    df = _arrow_text_frame(n_distinct)
    blobs = Blobs()
    spec = encode_frame(df, blobs)
    assert [c["enc"] for c in spec["columns"]] == ["arrowtext", "arrowtext"]
    assert spec["columns"][0]["cdtype"] == cdtype
    back = decode_frame(spec, [bytearray(b) for b in blobs.items])
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert back.dtypes.tolist() == df.dtypes.tolist()


def test_arrow_text_of_a_sliced_or_chunked_column_round_trips():
    a = pd.Series(["a", "b", "c", "d"], dtype="str").iloc[1:3].reset_index(drop=True)
    b = pd.concat([pd.Series(["x", None], dtype="str"), pd.Series(["y", "x"], dtype="str")], ignore_index=True)
    for s in (a, b):
        df = pd.DataFrame({"s": s})
        blobs = Blobs()
        back = decode_frame(encode_frame(df, blobs), [bytearray(x) for x in blobs.items])
        pd.testing.assert_frame_equal(back, df, check_exact=True)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("code", "text codes out of range"),
        ("utf8", "text values"),
        ("offsets", "text values"),
        ("first_offset", "text offsets do not start at 0"),
        ("cdtype", "bad text code type"),
    ],
)
def test_damaged_arrow_text_is_corrupt(damage, message):
    df = pd.DataFrame({"s": pd.Series(["ab", None, "cd"], dtype="str")})
    blobs = Blobs()
    spec = encode_frame(df, blobs)
    col = spec["columns"][0]
    bad = [bytearray(b) for b in blobs.items]
    if damage == "code":
        bad[col["codes"]][0] = 9  # a code past the two values
    elif damage == "utf8":
        bad[col["data"]][0] = 0xFF
    elif damage == "offsets":
        bad[col["offsets"]][8:16] = np.array([99], dtype="<i8").tobytes()  # past the data
    elif damage == "first_offset":
        bad[col["offsets"]][0:8] = np.array([1], dtype="<i8").tobytes()
    else:
        col["cdtype"] = "<f8"
    with pytest.raises(CacheCorrupt, match=message):
        decode_frame(spec, bad)
