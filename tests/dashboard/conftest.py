"""The dashboard served for real (threaded werkzeug on a free port) and driven by headless
Chromium through playwright. One database, one app and one browser per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_helpers import PASSWORD, Session, open_session, served

from arsenal.cli import main as arsenal_main
from dashboards.auth import add_user

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
USERS = {
    "plan": ("planner", None),
    "view": ("viewer", None),
    "pol": ("liaison", "POL"),
}


def build_sample_db(path: Path) -> None:
    """The sample data loaded and the baseline pipeline run, through the real CLI."""
    for argv in (["load", str(SAMPLE), "--db", str(path)], ["run", "--db", str(path)]):
        assert arsenal_main(argv) == 0, argv


@pytest.fixture(scope="session")
def dash_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dashboard")
    db = base / "arsenal.duckdb"
    build_sample_db(db)
    users = base / "users.toml"
    for name, (role, partner) in USERS.items():
        add_user(users, name, role, PASSWORD, partner=partner)
    scenarios = base / "scenarios"
    scenarios.mkdir()
    return {"db": db, "users": users, "scenarios": scenarios, "base": base}


@pytest.fixture(scope="session")
def dash_url(dash_env: dict[str, Path]) -> Iterator[str]:
    from dashboards.app import create_app

    app = create_app(
        dash_env["db"],
        dash_env["users"],
        dash_env["scenarios"],
        secret_key="test",
        whatif_samples=2,
    )
    with served(app) as url:
        yield url


@pytest.fixture
def login(browser: object, dash_url: str) -> Iterator[object]:
    """``login(name)`` opens a fresh browser context logged in as ``name`` (None: anonymous)."""
    sessions: list[Session] = []

    def _login(user: str | None) -> Session:
        session = open_session(browser, dash_url, user)
        sessions.append(session)
        return session

    yield _login
    for session in sessions:
        session.context.close()
