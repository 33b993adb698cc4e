"""arsenal format"""

from __future__ import annotations

import argparse

from store.contract import format_markdown

NAME = "format"
HELP = "Print the import format (every file and column) as Markdown."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    print(format_markdown())
    return 0
