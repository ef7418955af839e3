"""Registered losses of the toolbox (one import line per module)."""
from .pixel import CharbonnierLoss, EdgeLoss, L1Loss, MSELoss  # noqa: F401
