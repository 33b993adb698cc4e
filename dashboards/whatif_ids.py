"""Every component id of the What-if page, in one place (each carries the page name)."""

from __future__ import annotations

from typing import Any

PAGE = "whatif-page"
ROLE_NOTE = "whatif-role-note"
RESULT_STORE = "whatif-result-store"

# opening a saved scenario
OPEN_DROPDOWN = "whatif-open-dropdown"
OPEN_BUTTON = "whatif-open-button"
OPEN_MESSAGE = "whatif-open-message"

# the scenario's own fields, in the order the callbacks list them
NAME = "whatif-name"
DESCRIPTION = "whatif-description"
BASE_DROPDOWN = "whatif-base-dropdown"
BUDGET = "whatif-budget"
COST = "whatif-cost"
HEAD = (NAME, DESCRIPTION, BASE_DROPDOWN, BUDGET, COST)

# actions and messages
RUN_BUTTON = "whatif-run-button"
SAVE_BUTTON = "whatif-save-button"
REPLACE_CHECK = "whatif-replace-check"
STATUS = "whatif-status"
FORM_ERRORS = "whatif-form-errors"
FORM_ERRORS_LIST = "whatif-form-errors-list"
SAVE_MESSAGE = "whatif-save-message"
SAVED = "whatif-saved"
PREFILLED = "whatif-prefilled"

# the override rows: a panel per kind, rows added and removed freely
GRID = "whatif-grid"
ROWS = "whatif-rows"  # pattern type: one container per kind, index = the kind
ADD_ROW = "whatif-add-row"  # pattern type: index = the kind
REMOVE_ROW = "whatif-remove-row"  # pattern type: index = "KIND|ROW"

# the result, side by side with the baseline
RESULTS = "whatif-results"
RESULT_TITLE = "whatif-result-title"
DELTAS_TABLE = "whatif-deltas-table"
BECAME_ON_TIME = "whatif-became-on-time"
BECAME_LATE = "whatif-became-late"
INVESTMENTS = "whatif-investments"
LATENESS_GRAPH = "whatif-lateness-graph"
COMPLETION_TABLE = "whatif-completion-table"
POOLS_TABLE = "whatif-pools-table"

# the promise odds: a small simulation run in the background, polled while it runs
ODDS_BUTTON = "whatif-odds-button"
ODDS_JOB = "whatif-odds-job"
ODDS_POLL = "whatif-odds-poll"
ODDS_STATUS = "whatif-odds-status"
ODDS_PROGRESS = "whatif-odds-progress"
ODDS_BAR = "whatif-odds-bar"
ODDS_RESULTS = "whatif-odds-results"
ODDS_TITLE = "whatif-odds-title"
ODDS_SUMMARY = "whatif-odds-summary"
ODDS_TABLE = "whatif-odds-table"
ODDS_ERRORS = "whatif-odds-errors"
ODDS_SAME = "whatif-odds-same"
ODDS_SAME_TABLE = "whatif-odds-same-table"


def cell_type(kind: str, key: str) -> str:
    """The pattern-matching id type of a form cell (``whatif-capacity-source``)."""
    return f"whatif-{kind}-{key.replace('_', '-')}"


def cell(kind: str, key: str, index: Any) -> dict[str, Any]:
    """The id of one form cell (``index`` is a row number, or ``ALL`` in a callback)."""
    return {"type": cell_type(kind, key), "index": index}
