"""One module per ``arsenal`` sub-command.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; ``arsenal.cli`` finds them by scanning this package.
"""
