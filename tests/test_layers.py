"""The layers contract of DESIGN.md is enforced: `lint-imports` passes on the tree and fails
as soon as a lower floor imports a higher one, also from inside a function."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("arsenal", "dashboards", "reports", "pipeline", "forecast", "optimize", "store")
LINT = Path(sys.executable).parent / "lint-imports"


def _copy_tree(dest: Path) -> None:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_tree_keeps_the_floors(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    done = _lint(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        ("store/status.py", "from pipeline import compute\n"),
        ("optimize/lateness.py", "import forecast.demand\n"),
        ("pipeline/stages.py", "\n\ndef _later():\n    from reports import nightly  # noqa\n"),
        ("reports/html.py", "\n\ndef _later():\n    import dashboards.app  # noqa\n"),
        ("dashboards/ui.py", "import arsenal.cli\n"),
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, planted: str) -> None:
    _copy_tree(tmp_path)
    path = tmp_path / module
    path.write_text(path.read_text() + planted)
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout, done.stdout
