"""Which code produced a result: the package version plus the git commit of a checkout."""

from __future__ import annotations

import functools
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["__version__", "code_version"]

try:
    __version__ = version("arsenal")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0"


@functools.cache
def code_version() -> str:
    """``<version>`` plus ``+<commit>`` when the code runs from a git checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        commit = out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__
