"""Registered heads of the toolbox (one import line per module)."""
