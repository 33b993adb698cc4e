"""Demand forecast per (holder, item) and stock projection with uncertainty."""
