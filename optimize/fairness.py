"""Fair shares within a priority: the missing fraction of backlog, equalised month by month.

Promises of the same priority and item that share at least one eligible source form a group
(``sets._fair_groups``). For each promise of a group and each month from its due month on, the
row ``fair|c|t`` reads ``A[c,t] / backlog_c + level_gt - slack_ct >= 1``: the fraction of the
backlog still missing that month is at most the level of its group in that month (less the
slack, which is fixed at 0 but in the test for rows that could do better, below).

The fair-shares stage (``solve.py``) fills progressively, every group and month at its own
level: it minimises the sum of the levels, pins the promise-months that cannot do better (a
non-zero dual: their arrivals are bounded from below at their level), frees their rows and
repeats for the rest. Where the duals are degenerate, a level may stay where it was while only
a few of the rows holding it are pinned per round; then one test pins them all: the levels
fixed, each row at its level gets a slack of at most ``FAIR_PROBE``, their sum is maximised,
and a row whose slack stays at 0 cannot do better (had every row that can do better a plan
where it does, their average would be a plan where all of them do at once).

So in each month, the promises of a group are filled to the lexicographic max-min of their
missing fractions, whatever the order of the data; across months, the sum of each month's
largest missing fraction is least. A level per month rather than one per group: the rounds
needed are about the number of promises in a group, not the number of promise-months (one
level per group took over a hundred rounds on large instances).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from optimize.model import Model

__all__ = ["define_fair_shares"]


def define_fair_shares(model: Model) -> None:
    """``fair_level|g|month`` (one column per group and month) and ``fair|c|t`` rows for every
    grouped promise and month from its due month to the horizon."""
    data, lp, H = model.data, model.lp, model.data.horizon
    com = data.commitments
    if com.height == 0:
        return
    grouped = com.get_column("fair_group").to_numpy() >= 0
    due = com.get_column("due").to_numpy()
    count = np.where(grouped, np.clip(H - due, 0, None), 0)
    if count.sum() == 0:
        return
    c = np.repeat(np.arange(com.height), count)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    t = np.arange(c.size) - np.repeat(first, count) + due[c]
    group = com.get_column("fair_group").to_numpy()
    pairs, lv = np.unique(group[c] * H + t, return_inverse=True)
    level = lp.add_variables(
        "fair_level",
        pl.DataFrame(
            {"group": pairs // H, "month": pl.Series(data.month_labels).gather(pairs % H)}
        ),
    )
    keys = pl.DataFrame(
        {
            "commitment_id": com.get_column("commitment_id").gather(c),
            "month": pl.Series(data.month_labels).gather(t),
        }
    )
    rows = lp.add_constraints("fair", keys, lower=1.0)
    # a slack per row, fixed at 0 but while the fair-shares stage asks which rows at their
    # group's level could still do better
    slack = lp.add_variables("fair_slack", keys, upper=0.0)
    backlog = com.get_column("backlog").to_numpy()[c]
    arrived = lp.col_blocks["arrived"]
    model.fair_arrived = arrived.start + c * H + t
    model.fair_c, model.fair_t, model.fair_lv = c, t, lv
    model.fair_backlog = backlog
    lp.add_terms(
        np.concatenate([rows.index, rows.index, rows.index]),
        np.concatenate([model.fair_arrived, level.start + lv, slack.index]),
        np.concatenate([1.0 / backlog, np.ones(c.size), -np.ones(c.size)]),
    )
