"""Data quality in the appendix: do the recorded flows explain the stock counts?"""

from __future__ import annotations

import html
from typing import Any

from reports.html import Section, table
from reports.nightly.limits import APPENDIX_ROWS

__all__ = ["data_quality_section"]


def data_quality_section(check: dict[str, Any]) -> Section:
    """The reconciliation of the loaded data: every gap between successive stock counts that
    the recorded flows do not explain, and the assumption rows that carry the others."""
    s = Section(
        "Data quality: do the recorded flows explain the stock counts?",
        "data-quality",
        appendix=True,
    )
    s.text(
        f"<p class='note'>{check['periods_checked']} periods between successive stock counts "
        f"checked; {check['unexplained']} gap(s) the recorded flows do not explain, "
        f"{check['explained']} carried by named assumption rows (sources "
        f"{html.escape(check['assumption_prefix'])}..., documented with the data set). "
        f"Tolerance {check['tolerance']:.0%} of the units that passed through.</p>"
    )
    s.text(
        table(
            ["holder", "item", "from", "to", "gap (units)", "carried by", "residual", "status"],
            [
                [
                    g["holder_id"],
                    g["item_id"],
                    str(g["from"]),
                    str(g["to"]),
                    g["gap"],
                    ", ".join(f"{e['source_id']} {e['units']:,.0f}" for e in g["explained_by"])
                    or "-",
                    g["residual"],
                    g["status"],
                ]
                for g in check["gaps"]
            ][:APPENDIX_ROWS],
            empty="Every stock count is explained by the recorded flows.",
        )
    )
    if len(check["gaps"]) > APPENDIX_ROWS:
        s.text(
            f"<p class='note'>{len(check['gaps']) - APPENDIX_ROWS} more gaps in the workbook "
            "(data_quality_gaps).</p>"
        )
    return s
