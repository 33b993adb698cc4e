from __future__ import annotations

from pathlib import Path

import pytest

from store.dataset import Dataset, read_dataset
from store.db import connect
from store.load import load_dataset

TINY = Path(__file__).resolve().parent.parent / "fixtures" / "tiny"


@pytest.fixture(scope="session")
def tiny() -> Dataset:
    con = connect(":memory:")
    load_dataset(con, TINY)
    dataset = read_dataset(con)
    con.close()
    return dataset


@pytest.fixture
def write_toml(tmp_path: Path):
    """Write a scenario file; returns its path."""

    def write(text: str, name: str = "s.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
