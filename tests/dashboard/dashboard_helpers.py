"""Helpers the dashboard tests and bench share."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"


def cell(kind: str, key: str, index: int = 0) -> str:
    """The selector of a what-if form cell (Dash writes dict ids as sorted, compact JSON)."""
    return f'[id=\'{{"index":{index},"type":"whatif-{kind}-{key}"}}\']'


def whatif_body(body: str, name: str, factor: float) -> str:
    """A captured what-if run request with another scenario name and first capacity factor."""
    payload = json.loads(body)
    for state in payload["state"]:
        if isinstance(state, list):  # a pattern-matching (ALL) state: one entry per row
            for entry in state:
                if entry["id"] == {"index": 0, "type": "whatif-capacity-multiply"}:
                    entry["value"] = str(factor)
        elif state["id"] == "whatif-name":
            state["value"] = name
    return json.dumps(payload)


class HttpSession:
    """A logged-in HTTP client of its own (cookies included), for threads and the bench."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        form = urllib.parse.urlencode({"name": user, "password": password, "next": "/"}).encode()
        with self.opener.open(base + "/login", data=form, timeout=30) as reply:
            if "/login" in reply.url:
                raise RuntimeError(f"login as {user} failed")

    def post_json(self, url: str, body: str) -> dict:
        request = urllib.request.Request(
            url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        with self.opener.open(request, timeout=120) as reply:
            return json.loads(reply.read())


def run_result(reply: dict) -> dict | None:
    """The what-if result a run callback reply carries (None when it carried errors)."""
    store = reply.get("response", {}).get("whatif-result-store")
    return None if store is None else store["data"]
