"""Route blocks that start after the plan's first month, enforced through the allocation
model's one hook (``extra_functionality(model, data)``): every shipment on a blocked route
that would arrive in or after the block's first month is held at zero by its own row
(``scenario_block|<source>|<commitment>|<month>``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.scenarios.apply import RouteBlock
from store.months import month_index

__all__ = ["block_hook"]


def block_hook(blocks: Sequence[RouteBlock]) -> Any:
    """A hook for ``optimize.allocate(..., hook=...)``, or None when there is nothing to block."""
    if not blocks:
        return None

    def hook(model: Any, data: Any) -> None:
        if model.ship_route.size == 0:
            return
        routes = data.routes
        commitments = data.commitments
        source = routes.get_column("source_id").to_numpy()[model.ship_route]
        c = model.ship_c
        partner = commitments.get_column("partner_id").to_numpy()[c]
        item = commitments.get_column("item_id").to_numpy()[c]
        hit = np.zeros(model.ship_route.size, dtype=bool)
        for b in blocks:
            first = 0 if b.start is None else month_index(b.start, data.start)
            mask = (partner == b.partner_id) & (model.ship_arrival >= first)
            if b.source_id is not None:
                mask &= source == b.source_id
            if b.item_id is not None:
                mask &= item == b.item_id
            hit |= mask
        cols = np.flatnonzero(hit)
        if cols.size == 0:
            return
        ship = model.lp.col_blocks["ship"]
        names = ship.keys[cols.tolist()]
        rows = model.lp.add_constraints("scenario_block", names, lower=0.0, upper=0.0)
        model.lp.add_terms(rows.index, ship.start + cols, np.ones(cols.size))

    return hook
