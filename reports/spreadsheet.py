"""Tables written for people who open them in a spreadsheet: every text cell that a
spreadsheet would run as a formula is neutralised (OWASP's CSV-injection advice: a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe), in every CSV the project writes. Numbers stay numbers (``-5`` is not text)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

__all__ = ["FORMULA_STARTS", "csv_text", "neutralise", "write_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutralise_text(column: pl.Expr) -> pl.Expr:
    risky = column.str.starts_with(FORMULA_STARTS[0])
    for start in FORMULA_STARTS[1:]:
        risky = risky | column.str.starts_with(start)
    return pl.when(risky).then(pl.lit("'") + column).otherwise(column)


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that a spreadsheet would evaluate made inert."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(_neutralise_text(pl.col(c)).alias(c) for c in text)


def csv_text(frame: pl.DataFrame) -> str:
    """The CSV text of ``frame``, neutralised."""
    return neutralise(frame).write_csv()


def write_csv(frame: pl.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as CSV at ``path``, neutralised."""
    neutralise(frame).write_csv(path)
