"""Registered losses of the toolbox (one import line per module)."""
