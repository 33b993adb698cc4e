"""Fixtures for the store tests (helpers live in ``store_helpers``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from store_helpers import TINY, cli


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A private copy of the tiny fixture."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


@pytest.fixture
def loaded_db(tmp_path: Path) -> Path:
    """A database file with the tiny fixture loaded through the CLI."""
    db = tmp_path / "loaded.duckdb"
    assert cli("load", str(TINY), "--db", str(db)) == 0
    return db
