"""The nightly report, comparisons and partner extracts."""
