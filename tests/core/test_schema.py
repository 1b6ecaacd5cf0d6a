"""Table schemas: one definition per table, and docs/tables.md lists exactly those."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from conftest import REPO

from meta254lib.core import schema as S

sys.path.insert(0, str(REPO / "scripts"))
import docs_tables


def test_docs_list_every_table_schema():
    text = (REPO / "docs" / "tables.md").read_text(encoding="utf-8")
    assert S.schema_markdown() in text, "docs/tables.md is stale: run `make docs`"
    assert text == docs_tables.render(), "docs/tables.md is stale: run `make docs`"


def test_every_table_is_registered_once():
    names = [t.name for t in S.TABLES.values()]
    assert len(names) == len(set(names))
    for t in S.TABLES.values():
        assert len(t.columns) == len(set(t.columns)), t.name
        assert t.doc, t.name


@pytest.mark.parametrize("name", sorted(S.TABLES))
def test_empty_frame_has_the_declared_dtypes(name):
    table = S.TABLES[name]
    df = S.empty_frame(table)
    assert tuple(df.columns) == table.columns
    for col, dtype in table.dtypes.items():
        if dtype == "str":
            assert str(df[col].dtype) in ("str", "string")
        elif dtype != "object":
            assert str(df[col].dtype) == dtype, (name, col)


def test_frame_from_records_coerces_and_drops_unknown_keys():
    df = S.frame_from_records(
        S.EXEMPTIONS, [{"service": "a", "expires": "2025-12-31T00:00:00Z", "bogus": 1}, {"service": "b"}]
    )
    assert list(df.columns) == list(S.EXEMPTIONS.columns)
    assert df["expires"].dtype == "datetime64[us, UTC]"
    assert df.loc[1, "expires"] is pd.NaT
    assert "bogus" not in df
