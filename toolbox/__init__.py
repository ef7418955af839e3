"""toolbox: an OpenMMLab-style image-restoration toolbox built on MMEngine.

Importing the package is deliberately light: models, datasets and metrics are
imported lazily by the registries (``locations=`` in :mod:`toolbox.registry`)
the first time a config names one of them.
"""
from .version import __version__

__all__ = ['__version__']
