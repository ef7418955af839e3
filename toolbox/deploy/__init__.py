"""Deployment: restoring images with an exported ONNX file.

Nothing here imports torch: :mod:`toolbox.deploy.onnx_runtime` needs only
NumPy and ONNX Runtime, so a machine that runs exported files needs no
PyTorch. The export itself (which does need torch) is
:mod:`toolbox.apis.export` (``tools/export.py``); the two agree on the
metadata of :mod:`toolbox.deploy.onnx_metadata`.
"""
