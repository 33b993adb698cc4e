"""The dashboard served for real (threaded werkzeug on a free port) and driven by headless
Chromium through playwright. One database, one app and one browser per test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dashboard_helpers import PASSWORD, served

from arsenal.cli import main as arsenal_main
from dashboards.auth import add_user

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
ARTIFACTS = ROOT / "tests" / "artifacts" / "dashboard"
USERS = {
    "plan": ("planner", None),
    "view": ("viewer", None),
    "pol": ("liaison", "POL"),
}
TIMEOUT_MS = 20_000


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

    app = create_app(dash_env["db"], dash_env["users"], dash_env["scenarios"], secret_key="test")
    with served(app) as url:
        yield url


@dataclass
class Session:
    """One logged-in browser context and page, with the console errors it saw."""

    page: object
    context: object
    base: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def goto(self, path: str, ready: str) -> None:
        """Open ``path`` and wait until ``ready`` is visible and no callback is pending."""
        self.page.goto(self.base + path)
        self.page.wait_for_selector(ready, state="visible", timeout=TIMEOUT_MS)
        self.idle()

    def idle(self) -> None:
        self.page.wait_for_function(
            "() => !document.querySelector('[data-dash-is-loading=\"true\"]')"
            " && !document.querySelector('.dash-spinner, ._dash-loading-callback')",
            timeout=TIMEOUT_MS,
        )

    def choose(self, dropdown: str, value: str) -> None:
        """Pick ``value`` in a dcc.Dropdown (an id, or a selector starting with '#' or '['):
        open it, click the option, then wait for callbacks."""
        self.page.click(dropdown if dropdown[0] in "#[" else f"#{dropdown}")
        self.page.get_by_role("option", name=value, exact=True).click()
        if self.page.locator("[role=listbox], [role=option]").count():
            self.page.keyboard.press("Escape")
        self.idle()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_session(browser: object, base: str, user: str | None) -> Session:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    session = Session(page, context, base)
    page.on("console", lambda m: session.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: session.errors.append(str(e)))
    page.on("request", lambda r: session.requests.append(r.url))
    if user is not None:
        page.goto(base + "/login")
        page.fill("#login-name", user)
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#app-user-name", timeout=TIMEOUT_MS)
    return session


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
