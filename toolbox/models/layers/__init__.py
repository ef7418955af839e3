"""Registered layers of the toolbox (one import line per module)."""
