"""Arguments with a size are bounded before any work starts, and JSON output is always JSON."""

from __future__ import annotations

import json
import math

import pytest

from arsenal.cli import MAX_HORIZON, main, print_json


@pytest.mark.parametrize("command", ["run", "forecast", "allocate", "project", "nightly"])
@pytest.mark.parametrize("horizon", ["100000000", "100000", str(MAX_HORIZON + 1), "0", "-3"])
def test_an_unbounded_horizon_is_rejected_naming_the_option(
    command: str, horizon: str, tmp_path, capsys
) -> None:
    argv = [command, "--db", str(tmp_path / "none.duckdb"), "--horizon", horizon]
    if command == "nightly":
        argv += ["--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert "--horizon" in capsys.readouterr().err
    assert not (tmp_path / "none.duckdb").exists()


def test_too_many_paths_are_rejected(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", "--db", str(tmp_path / "x.duckdb"), "--paths", "100000000"])
    assert stop.value.code == 2
    assert "--paths" in capsys.readouterr().err


def test_json_output_never_holds_nan_or_infinity(capsys) -> None:
    print_json({"cost": math.inf, "rows": [-math.inf, math.nan, 1.5], "ok": {"x": 2}})
    text = capsys.readouterr().out
    assert "Infinity" not in text
    assert "NaN" not in text
    parsed = json.loads(text, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    assert parsed == {"cost": None, "rows": [None, None, 1.5], "ok": {"x": 2}}
