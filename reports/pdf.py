"""PDF of the HTML report through headless Chromium (which runs plotly.js, unlike WeasyPrint)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "find_chromium", "print_pdf"]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str:
    """``$CHROMIUM``, else chromium or chromium-browser or google-chrome on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    raise RuntimeError(
        "no Chromium found for the PDF (install the 'chromium' package, set $CHROMIUM, "
        "or pass --no-pdf)"
    )


def print_pdf(html_file: Path, pdf_file: Path, timeout: float = 120.0) -> None:
    """Print ``html_file`` to ``pdf_file``; raises with Chromium's message when it fails."""
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="arsenal-chromium-") as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=15000",
            "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={pdf_file}",
            html_file.resolve().as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(
            f"Chromium could not print the PDF (exit {done.returncode}): {' '.join(tail)}"
        )
