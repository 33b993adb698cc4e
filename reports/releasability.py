"""The one releasability filter: which rows may be shown to a partner.

``releasable_to`` is empty (NULL or blank) for "the owner alone" (the holder of a stock, the
partner of a commitment), ``ALL`` for everyone, else a ``;``-separated list of partner ids.
A row is releasable to ``partner`` when it is ``ALL``, lists ``partner``, or is empty and
``partner`` owns it. Partner extracts (``arsenal export --for``) and the dashboard's
partner-liaison role both use this module, so neither can show more than the other.
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "is_releasable",
    "releasable_commitments",
    "releasable_expr",
    "releasable_pools",
    "releasable_rows",
]


def is_releasable(releasable_to: str | None, owner: str, partner: str) -> bool:
    """The rule for one row (the frame functions below apply the same rule)."""
    if releasable_to is None or not releasable_to.strip():
        return owner == partner
    listed = {token.strip() for token in releasable_to.split(";")}
    return "ALL" in listed or partner in listed


def releasable_expr(partner: str, owner: str, column: str = "releasable_to") -> pl.Expr:
    """A boolean polars expression: the row is releasable to ``partner``."""
    listed = pl.col(column).fill_null("").str.split(";").list.eval(pl.element().str.strip_chars())
    empty = pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
    return (
        (empty & (pl.col(owner) == partner))
        | (~empty & listed.list.contains("ALL"))
        | (~empty & listed.list.contains(partner))
    ).fill_null(False)


def releasable_rows(frame: pl.DataFrame, partner: str, owner: str) -> pl.DataFrame:
    """The rows of ``frame`` releasable to ``partner``; ``owner`` names the owner's column."""
    return frame.filter(releasable_expr(partner, owner))


def releasable_commitments(frame: pl.DataFrame, partner: str) -> pl.DataFrame:
    """Commitment rows (or rows carrying their commitment's ``releasable_to``)."""
    return releasable_rows(frame, partner, owner="partner_id")


def releasable_pools(frame: pl.DataFrame, partner: str) -> pl.DataFrame:
    """Stock rows (``holder_id``, ``releasable_to``)."""
    return releasable_rows(frame, partner, owner="holder_id")
