"""What is loaded: the last load, promises overdue on the record, backlog per partner and item,
stocks against floors."""

from __future__ import annotations

import json
from typing import Any

from store.db import Connection
from store.sql import query

__all__ = ["last_content_hash", "read_status"]


def last_content_hash(con: Connection) -> str | None:
    """The content hash of the data set last loaded (None when nothing was loaded)."""
    rows = query(con, "last_load")
    return rows.item(0, "content_hash") if rows.height else None


def read_status(con: Connection) -> dict[str, Any]:
    """The status summary as plain data (the shape of ``arsenal status --json``)."""
    last = query(con, "last_load")
    load: dict[str, Any] | None = None
    if last.height:
        row = last.row(0, named=True)
        load = {
            "loaded_at": row["loaded_at"].isoformat(timespec="seconds"),
            "path": row["path"],
            "content_hash": row["content_hash"],
            "row_counts": json.loads(row["row_counts"]),
        }
    backlog = [
        {
            "partner_id": r["partner_id"],
            "item_id": r["item_id"],
            "open_commitments": int(r["open_commitments"]),
            "backlog_units": float(r["backlog_units"]),
            "backlog_usd": float(r["backlog_usd"]),
        }
        for r in query(con, "backlog_by_partner_item").iter_rows(named=True)
    ]
    stocks = [
        {
            "holder_id": r["holder_id"],
            "item_id": r["item_id"],
            "as_of": r["as_of"].isoformat(),
            "units": r["units"],
            "floor_units": r["floor_units"],
            "target_units": r["target_units"],
            "above_floor_units": r["above_floor_units"],
            "status": r["status"],
        }
        for r in query(con, "latest_stocks_against_floors").iter_rows(named=True)
    ]
    overdue = [
        {
            "commitment_id": r["commitment_id"],
            "partner_id": r["partner_id"],
            "item_id": r["item_id"],
            "priority": int(r["priority"]),
            "promised_month": r["promised_month"].strftime("%Y-%m"),
            "backlog_units": float(r["backlog_units"]),
            "backlog_usd": float(r["backlog_usd"]),
            "months_overdue": int(r["months_overdue"]),
        }
        for r in query(con, "overdue_promises").iter_rows(named=True)
    ]
    return {
        "load": load,
        "overdue": overdue,
        "backlog": backlog,
        "backlog_total": {
            "units": sum(b["backlog_units"] for b in backlog),
            "usd": sum(b["backlog_usd"] for b in backlog),
        },
        "stocks": stocks,
    }
