"""The ``arsenal`` command line."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import arsenal.commands
from arsenal import __version__
from store.defaults import (
    DEFAULT_HORIZON,
    DEFAULT_PATHS,
    DEFAULT_SEED,
    DEFAULT_US_TARGET_WEIGHT,
)
from store.errors import InputRejected
from store.months import parse_month

__all__ = [
    "add_plan_arguments",
    "add_simulation_arguments",
    "add_window_arguments",
    "horizon_arg",
    "main",
    "month_arg",
    "number_arg",
    "positive_int",
    "print_json",
]

log = logging.getLogger("arsenal")

EXIT_OK, EXIT_FAILURE, EXIT_REJECTED = 0, 1, 2


def month_arg(text: str) -> date:
    """argparse type for ``YYYY-MM``."""
    try:
        return parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def count_arg(text: str) -> int:
    """argparse type for a whole number of zero or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def positive_int(text: str) -> int:
    value = count_arg(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def number_arg(what: str, *, positive: bool = False) -> Callable[[str], float]:
    """argparse type for a non-negative (or positive) number of ``what``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {what}") from None
        if value < 0 or (positive and value == 0) or value != value:
            need = "positive" if positive else "zero or more"
            raise argparse.ArgumentTypeError(f"{text!r}: {what} must be {need}")
        return value

    return parse


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """``--scenario`` and ``--scenarios``: which scenario, from which folder."""
    parser.add_argument(
        "--scenario", default="baseline", help="scenario name (default: the baseline)"
    )
    parser.add_argument(
        "--scenarios",
        default="scenarios",
        metavar="DIR",
        help="folder of scenario TOML files (default: ./scenarios)",
    )


def add_window_arguments(parser: argparse.ArgumentParser, first: str) -> None:
    """``--start`` and ``--horizon``, the plan window every stage shares."""
    parser.add_argument(
        "--start", type=month_arg, help=f"{first} YYYY-MM (default: the month after the history)"
    )
    parser.add_argument(
        "--horizon",
        type=horizon_arg,
        default=DEFAULT_HORIZON,
        help=f"months, 1 to {MAX_HORIZON} (default {DEFAULT_HORIZON})",
    )


def weight_arg(text: str) -> float:
    value = number_arg("weight")(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r}: the weight must be a finite number")
    return value


def add_plan_arguments(parser: argparse.ArgumentParser, *, weight: bool = True) -> None:
    """``--us-target-weight`` (W of the readiness stage) and ``--reference`` (the plan the last
    stage keeps close to)."""
    if weight:
        parser.add_argument(
            "--us-target-weight",
            type=weight_arg,
            default=DEFAULT_US_TARGET_WEIGHT,
            metavar="W",
            help="weight of US stock pools below target against partner stocks below floor "
            f"(0: partners first; large: US rebuild first; default {DEFAULT_US_TARGET_WEIGHT:g})",
        )
    parser.add_argument(
        "--reference",
        default=None,
        metavar="RUN_ID|SCENARIO|none",
        help="plan to stay close to: a run id, a scenario name (its latest plan) or 'none' "
        "(default: for a scenario, its base's plan from the same night; for the baseline, the "
        "previous baseline plan)",
    )


MAX_PATHS = 100_000


def paths_arg(text: str) -> int:
    value = positive_int(text)
    if value > MAX_PATHS:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_PATHS:,} paths")
    return value


def add_simulation_arguments(parser: argparse.ArgumentParser) -> None:
    """``--paths`` and ``--seed`` of the stock projection's simulated consumption."""
    parser.add_argument(
        "--paths",
        type=paths_arg,
        default=DEFAULT_PATHS,
        help=f"simulated consumption paths per stock (default {DEFAULT_PATHS})",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )


MAX_HORIZON = 240
"""Plan months at most: 20 years is past any planning question, and far below what memory allows."""


def horizon_arg(text: str) -> int:
    value = positive_int(text)
    if value > MAX_HORIZON:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_HORIZON} months")
    return value


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def print_json(value: Any, *, indent: int | None = None) -> None:
    """``value`` as one JSON document on stdout. NaN and infinities, which JSON cannot carry,
    are written as null; anything else that is not JSON (a date) as its text."""
    json.dump(_finite(value), sys.stdout, default=str, allow_nan=False, indent=indent)
    sys.stdout.write("\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage errors are rejected input
        self.print_usage(sys.stderr)
        self.exit(EXIT_REJECTED, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="arsenal",
        description="Forecast munitions stocks and allocate defense-industrial output to partners.",
    )
    parser.add_argument("--version", action="version", version=f"arsenal {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    found = sorted(m.name for m in pkgutil.iter_modules(arsenal.commands.__path__))
    for name in found:
        module = importlib.import_module(f"arsenal.commands.{name}")
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args._run(args) or EXIT_OK)
    except InputRejected as exc:
        print(
            f"arsenal {args.command}: input rejected; nothing was changed.\n{exc}", file=sys.stderr
        )
        return EXIT_REJECTED
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`): not our failure
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"arsenal {args.command}: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # the last line of defence for cron: a reason, not a traceback
        log.debug("failure", exc_info=True)
        print(f"arsenal {args.command}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
