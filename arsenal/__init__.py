"""Arsenal: munitions-stock forecasting and allocation of defense-industrial output."""

__version__ = "0.1.0"
