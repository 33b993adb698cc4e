"""The one releasability filter: which rows, figures and reasons may be shown to a partner.

``releasable_to`` is empty (NULL or blank) for "the owner alone" (the holder of a stock, the
partner of a commitment), ``ALL`` for everyone, else a ``;``-separated list of partner ids.
A row is releasable to ``partner`` when it is ``ALL``, lists ``partner``, or is empty and
``partner`` owns it.

What a partner may see (:class:`PartnerScope`, built by :func:`partner_scope` for one plan):

- commitments: its own, when releasable to it; their planned shipments;
- stock counts of a pool (holder, item) when every stock row of the pool is releasable to it;
- a pool's projection (fan, outlook, demand model) only when, besides, no planned shipment
  into or out of the pool serves a commitment it may not see: a shared depot's projection is
  shaped by every shipment through it, so it would carry withheld figures;
- a late reason only when it is understood (``reports/reasons.py``) and everything it names
  may be seen: its commitments, its partners (the partner itself), the pools whose stock or
  capacity it describes (projection visible), its sources and holders (none a holder whose
  stocks are all withheld from the partner), a quoted rule's partner (``*`` or itself), and the quoted rule's
  text names no withheld commitment, withheld holder or other partner.

Aggregates are computed from the rows that pass, never before filtering. Partner extracts
(``arsenal export --for``) and the dashboard's partner-liaison role both use this module, so
neither can show more than the other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from reports.reasons import Reason, Vocabulary, read_reason
from store.db import Connection
from store.sql import query

__all__ = [
    "PartnerScope",
    "is_releasable",
    "partner_scope",
    "reason_vocabulary",
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


Pool = tuple[str, str]


def _pool_frame(pools: Iterable[Pool]) -> pl.DataFrame:
    return pl.DataFrame(
        sorted(pools), schema={"holder_id": pl.String, "item_id": pl.String}, orient="row"
    )


def _is_token_in(token: str, text: str) -> bool:
    """``token`` occurs in ``text`` with no letter or digit right before or after it."""
    start = text.find(token)
    while start >= 0:
        end = start + len(token)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = text.find(token, start + 1)
    return False


@dataclass(frozen=True)
class PartnerScope:
    """What ``partner`` may see of one plan (see the module doc for the rules)."""

    partner: str
    commitments: frozenset[str]
    """Commitments it may see: its own, releasable to it."""
    withheld_commitments: frozenset[str]
    pools: frozenset[Pool]
    """Pools whose stock counts it may see (every stock row releasable to it)."""
    projected: frozenset[Pool]
    """Pools whose projection it may see (``pools`` untouched by withheld shipments)."""
    stocked: frozenset[Pool]
    """Every pool with stock rows."""
    touched: frozenset[Pool]
    """Pools a withheld commitment's shipment goes into or out of."""
    withheld_holders: frozenset[str]
    """Holders of stock none of which it may see (other than itself): their ids are withheld."""
    other_partners: frozenset[str]
    vocabulary: Vocabulary

    # -- rows -------------------------------------------------------------------------------

    def commitment_rows(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Rows (``commitment_id``) of commitments it may see: commitments, shipments."""
        return frame.filter(pl.col("commitment_id").is_in(sorted(self.commitments)))

    def pool_rows(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Rows (``holder_id``, ``item_id``) of pools whose stock counts it may see."""
        return frame.join(_pool_frame(self.pools), on=["holder_id", "item_id"], how="semi")

    def projected_rows(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Rows (``holder_id``, ``item_id``) of pools whose projection it may see."""
        return frame.join(_pool_frame(self.projected), on=["holder_id", "item_id"], how="semi")

    # -- reasons ----------------------------------------------------------------------------

    def _pool_ok(self, pool: Pool) -> bool:
        if pool in self.touched:
            return False
        return pool in self.projected or pool not in self.stocked

    def _text_ok(self, text: str) -> bool:
        if any(c in text for c in self.withheld_commitments):
            return False
        names = self.other_partners | self.withheld_holders
        return not any(_is_token_in(name, text) for name in names)

    def may_see(self, reason: Reason) -> bool:
        """Whether the reason is understood and all it names may be seen."""
        return (
            reason.kind is not None
            and reason.commitments <= self.commitments
            and reason.partners <= {self.partner}
            and reason.rule_partners <= {self.partner, "*"}
            and not (reason.sources | {h for h, _ in reason.pools}) & self.withheld_holders
            and all(self._pool_ok(p) for p in reason.pools)
            and all(self._text_ok(t) for t in reason.free_text)
        )

    def reasons(self, raw: Any, item: str) -> list[str]:
        """The reason sentences (a JSON list, or a list) of a commitment of ``item`` that it
        may see, in their order."""
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                return []
        if not isinstance(raw, list):
            return []
        return [
            text
            for text in raw
            if isinstance(text, str) and self.may_see(read_reason(text, item, self.vocabulary))
        ]

    def reasons_column(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (``reasons`` as JSON, ``item_id``) with each row's reasons filtered."""
        kept = [
            json.dumps(self.reasons(raw, item))
            for raw, item in frame.select("reasons", "item_id").iter_rows()
        ]
        return frame.with_columns(pl.Series("reasons", kept, dtype=pl.String))


def reason_vocabulary(con: Connection, commitment_ids: Iterable[str]) -> Vocabulary:
    """The ids the reasons of a plan of ``commitment_ids`` may name, from the loaded data."""
    sources = query(con, "dataset_sources")
    items = query(con, "dataset_items")
    partners = set(query(con, "dataset_partners").get_column("partner_id"))
    stock_holders = set(
        query(con, "stock_counts", holder_id=None, item_id=None).get_column("holder_id")
    )
    return Vocabulary(
        commitments=frozenset(commitment_ids),
        partners=frozenset(partners),
        items=frozenset(items.get_column("item_id")),
        categories=frozenset(items.get_column("category").drop_nulls()),
        pool_of_source={
            r["source_id"]: r["stock_holder"] or r["source_id"]
            for r in sources.iter_rows(named=True)
        },
        holders=frozenset(partners | stock_holders),
    )


def partner_scope(
    con: Connection, partner: str, run_ids: Iterable[str | None] = ()
) -> PartnerScope:
    """What ``partner`` may see of the loaded data and the plans of ``run_ids`` (the runs
    whose plan or projection is shown; None is skipped)."""
    known = query(con, "commitment_ids_known")
    own = releasable_commitments(known.filter(pl.col("partner_id") == partner), partner)
    visible = frozenset(own.get_column("commitment_id"))
    withheld = frozenset(known.get_column("commitment_id")) - visible
    vocabulary = reason_vocabulary(con, known.get_column("commitment_id"))

    stock = query(con, "stock_counts", holder_id=None, item_id=None).with_columns(
        releasable_expr(partner, "holder_id").alias("_ok")
    )
    by_pool = stock.group_by("holder_id", "item_id").agg(pl.col("_ok").all())
    stocked = frozenset(by_pool.select("holder_id", "item_id").iter_rows())
    pools = frozenset(by_pool.filter(pl.col("_ok")).select("holder_id", "item_id").iter_rows())

    touched: set[Pool] = set()
    for run_id in {r for r in run_ids if r is not None}:
        shipments = query(con, "plan_shipments_for_run", run_id=run_id)
        hidden = shipments.filter(~pl.col("commitment_id").is_in(sorted(visible)))
        for source, item, receiver in hidden.select(
            "source_id", "item_id", "partner_id"
        ).iter_rows():
            touched.add((vocabulary.pool_of_source.get(source, source), item))
            touched.add((receiver, item))
    return PartnerScope(
        partner=partner,
        commitments=visible,
        withheld_commitments=withheld,
        pools=pools,
        projected=frozenset(pools - touched),
        stocked=stocked,
        touched=frozenset(touched),
        withheld_holders=frozenset({h for h, _ in stocked} - {h for h, _ in pools} - {partner}),
        other_partners=frozenset(vocabulary.partners - {partner}),
        vocabulary=vocabulary,
    )
