"""The linear problem as arrays: the one source of truth for columns, rows and their names.

Variables and constraints are added in *blocks* (one per family, e.g. ``ship`` or
``pool``), each with a key frame whose columns make the deterministic name
(``pool|US_DEPOT|155MM|2026-03``). Coefficients are kept as triplets and
assembled once into a column-wise sparse matrix, which HiGHS takes in one call
(``passModel``) and PuLP (for CBC) is built from. Names are only made when asked
for, so a model of a million columns never holds a million Python strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

__all__ = ["INF", "Block", "LinearProblem"]

INF = float("inf")


@dataclass
class Block:
    family: str
    start: int
    keys: pl.DataFrame
    """One row per member; its columns (as text) joined by ``|`` after the family make the name."""

    @property
    def size(self) -> int:
        return self.keys.height

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def index(self) -> np.ndarray:
        return np.arange(self.start, self.stop, dtype=np.int64)

    def names(self) -> list[str]:
        if self.keys.width == 0:
            return [self.family] * self.size
        text = [pl.col(c).cast(pl.String) for c in self.keys.columns]
        joined = self.keys.select(pl.concat_str([pl.lit(self.family), *text], separator="|"))
        return joined.to_series().to_list()


def _as_array(value: float | np.ndarray, n: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    return np.full(n, float(arr), dtype=np.float64) if arr.ndim == 0 else arr.astype(np.float64)


@dataclass
class LinearProblem:
    """Columns (lower, upper, cost, integrality) and rows (lower <= A x <= upper)."""

    col_blocks: dict[str, Block] = field(default_factory=dict)
    row_blocks: dict[str, Block] = field(default_factory=dict)
    _col_lower: list[np.ndarray] = field(default_factory=list)
    _col_upper: list[np.ndarray] = field(default_factory=list)
    _col_cost: list[np.ndarray] = field(default_factory=list)
    _col_int: list[np.ndarray] = field(default_factory=list)
    _row_lower: list[np.ndarray] = field(default_factory=list)
    _row_upper: list[np.ndarray] = field(default_factory=list)
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    num_col: int = 0
    num_row: int = 0

    # -- building -------------------------------------------------------------------

    def add_variables(
        self,
        family: str,
        keys: pl.DataFrame,
        *,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = INF,
        cost: float | np.ndarray = 0.0,
        integer: bool = False,
    ) -> Block:
        if family in self.col_blocks:
            raise ValueError(f"variables {family!r} defined twice")
        n = keys.height
        block = Block(family, self.num_col, keys)
        self.col_blocks[family] = block
        self._col_lower.append(_as_array(lower, n))
        self._col_upper.append(_as_array(upper, n))
        self._col_cost.append(_as_array(cost, n))
        self._col_int.append(np.full(n, 1 if integer else 0, dtype=np.int32))
        self.num_col += n
        return block

    def add_constraints(
        self,
        family: str,
        keys: pl.DataFrame,
        *,
        lower: float | np.ndarray = -INF,
        upper: float | np.ndarray = INF,
    ) -> Block:
        """Add rows (without coefficients: give them with :meth:`add_terms`)."""
        if family in self.row_blocks:
            raise ValueError(f"constraints {family!r} defined twice")
        n = keys.height
        block = Block(family, self.num_row, keys)
        self.row_blocks[family] = block
        self._row_lower.append(_as_array(lower, n))
        self._row_upper.append(_as_array(upper, n))
        self.num_row += n
        return block

    def add_terms(self, rows: np.ndarray, cols: np.ndarray, coefs: float | np.ndarray) -> None:
        """Coefficients ``A[rows[k], cols[k]] += coefs[k]`` (global row and column indices)."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if rows.shape != cols.shape:
            raise ValueError("rows and cols differ in length")
        if rows.size:
            self._rows.append(rows)
            self._cols.append(cols)
            self._vals.append(_as_array(coefs, rows.size))

    # -- arrays ---------------------------------------------------------------------

    def _cat(self, parts: list[np.ndarray], dtype: type = np.float64) -> np.ndarray:
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

    @property
    def col_lower(self) -> np.ndarray:
        return self._cat(self._col_lower)

    @property
    def col_upper(self) -> np.ndarray:
        return self._cat(self._col_upper)

    @property
    def col_cost(self) -> np.ndarray:
        return self._cat(self._col_cost)

    @property
    def integrality(self) -> np.ndarray:
        return self._cat(self._col_int, np.int32)

    @property
    def row_lower(self) -> np.ndarray:
        return self._cat(self._row_lower)

    @property
    def row_upper(self) -> np.ndarray:
        return self._cat(self._row_upper)

    def csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The matrix column-wise: (start, index, value), duplicates summed, zeros kept out."""
        rows = self._cat(self._rows, np.int64)
        cols = self._cat(self._cols, np.int64)
        vals = self._cat(self._vals)
        order = np.lexsort((rows, cols))
        rows, cols, vals = rows[order], cols[order], vals[order]
        if rows.size:
            new = np.ones(rows.size, dtype=bool)
            new[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
            if not new.all():
                group = np.cumsum(new) - 1
                vals = np.bincount(group, weights=vals)
                rows, cols = rows[new], cols[new]
            keep = vals != 0.0
            rows, cols, vals = rows[keep], cols[keep], vals[keep]
        start = np.zeros(self.num_col + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=self.num_col), out=start[1:])
        return start, rows, vals

    def activity(self, x: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Row activities ``(A x)[start:stop]``."""
        rows = self._cat(self._rows, np.int64)
        cols = self._cat(self._cols, np.int64)
        vals = self._cat(self._vals)
        sel = (rows >= start) & (rows < stop)
        return np.bincount(
            rows[sel] - start, weights=vals[sel] * x[cols[sel]], minlength=stop - start
        )

    # -- names ----------------------------------------------------------------------

    @staticmethod
    def _find(blocks: dict[str, Block], index: int) -> tuple[Block, int]:
        for b in blocks.values():
            if b.start <= index < b.stop:
                return b, index - b.start
        raise IndexError(index)

    def col_name(self, index: int) -> str:
        b, i = self._find(self.col_blocks, index)
        return b.names()[i] if b.keys.width == 0 else _name(b, i)

    def row_name(self, index: int) -> str:
        b, i = self._find(self.row_blocks, index)
        return b.names()[i] if b.keys.width == 0 else _name(b, i)

    def row_index(self, name: str) -> int:
        return _lookup(self.row_blocks, name)

    def col_index(self, name: str) -> int:
        return _lookup(self.col_blocks, name)


def _name(block: Block, i: int) -> str:
    return "|".join([block.family, *(str(v) for v in block.keys.row(i))])


def _lookup(blocks: dict[str, Block], name: str) -> int:
    family, *parts = name.split("|")
    if family not in blocks:
        raise KeyError(name)
    b = blocks[family]
    if b.keys.width != len(parts):
        raise KeyError(name)
    mask = pl.lit(True)
    for col, part in zip(b.keys.columns, parts, strict=True):
        mask = mask & (pl.col(col).cast(pl.String) == part)
    hits = b.keys.with_row_index("_i").filter(mask).get_column("_i")
    if hits.len() != 1:
        raise KeyError(name)
    return b.start + int(hits[0])
