"""How much of each table and how many charts the rendered report shows; the workbook holds
every table in full."""

from __future__ import annotations

__all__ = ["APPENDIX_ROWS", "BODY_CHARTS", "BODY_ROWS"]

BODY_CHARTS = 6
BODY_ROWS = 25
APPENDIX_ROWS = 100
