"""Tests of :mod:`meta254lib.workspace.arrow_memory`."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from meta254lib.workspace.arrow_memory import c_heap, on_c_heap


@pytest.fixture(autouse=True)
def _no_pool_choice(monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)


def test_buffers_made_inside_come_from_the_c_heap_and_the_pool_is_restored():
    before = pa.default_memory_pool().backend_name
    with c_heap():
        assert pa.default_memory_pool().backend_name == "system"
        texts = pa.array(["drift"] * 1000)
        col = pd.Series(texts, dtype="str")
    assert pa.default_memory_pool().backend_name == before
    assert col.iloc[999] == "drift"
    assert len(texts.buffers()[2]) == 5000


def test_the_pool_is_restored_when_the_block_raises():
    before = pa.default_memory_pool().backend_name
    with pytest.raises(ValueError, match="bad"), c_heap():
        raise ValueError("bad")
    assert pa.default_memory_pool().backend_name == before


def test_a_pool_the_user_chose_is_left_alone(monkeypatch):
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    before = pa.default_memory_pool().backend_name
    assert before != "system"  # the variable is read when pyarrow starts: this process kept its pool
    with c_heap():
        assert pa.default_memory_pool().backend_name == before


def test_the_decorator_keeps_the_name_and_runs_inside():
    @on_c_heap
    def drift_history(n: int) -> str:
        return f"{pa.default_memory_pool().backend_name}:{n}"

    assert drift_history.__name__ == "drift_history"
    assert drift_history(3) == "system:3"


def test_buffers_outlive_the_block_and_are_freed_by_their_own_pool():
    with c_heap():
        kept = pa.array(list(range(100_000)))
    held = pa.system_memory_pool().bytes_allocated()
    assert held >= 800_000
    del kept
    assert pa.system_memory_pool().bytes_allocated() <= held - 800_000
