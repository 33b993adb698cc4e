"""Arsenal: munitions-stock forecasting and allocation of defense-industrial output.

This package is the command line only; the work is done by the floors below it."""

from pipeline.version import __version__

__all__ = ["__version__"]
