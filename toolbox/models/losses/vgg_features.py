"""VGG-19 features for perceptual and contrastive losses.

The layer layout is VGG-19's (Simonyan & Zisserman, ICLR 2015, configuration
E) written out here, with the same ``features.<index>.weight`` keys as
torchvision's ``vgg19``, so that torchvision's ImageNet file
(``vgg19-dcbb9e9d.pth``) loads as it is; torchvision itself is not needed.
``pretrained='torch_hub'`` reads that file from torch's hub cache and, the
first time, downloads it there from its official address, checking its
SHA-256 (:mod:`toolbox.engine.pretrained`); ``TOOLBOX_OFFLINE=1`` or
``download=False`` turn the download off.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

from toolbox.engine.checkpoint import freeze
from toolbox.weights import load_weights
from toolbox.engine.pretrained import (PRETRAINED_FILES, cached_path,
                                       downloads_allowed, fetch_pretrained,
                                       why_not_downloaded)
from toolbox.registry import MODELS
from toolbox.required_paths import RequiredPath, is_remote, normalize_path

#: torchvision's file name of the ImageNet VGG-19 (without batch norm).
VGG19_FILENAME = PRETRAINED_FILES['vgg19'].filename
#: The official download address of that file.
VGG19_URL = PRETRAINED_FILES['vgg19'].url

# Output channels of each conv, 'M' = 2x2 max pooling (configuration E).
_VGG19_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M',
              512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M']

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def vgg19_layer_names() -> list:
    """Names of ``features``' modules in order: conv1_1, relu1_1, ...,
    pool5."""
    names, block, index = [], 1, 1
    for item in _VGG19_CFG:
        if item == 'M':
            names.append(f'pool{block}')
            block, index = block + 1, 1
        else:
            names += [f'conv{block}_{index}', f'relu{block}_{index}']
            index += 1
    return names


def default_vgg19_path() -> str:
    """Where torch's hub cache keeps VGG-19:
    ``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth``."""
    return cached_path('vgg19')


@MODELS.register_module()
class VGG19FeatureExtractor(nn.Module):
    """Frozen VGG-19 returning the activations of named layers.

    Args:
        layers: layer names (``'relu1_1'``, ``'conv3_4'``, ``'pool2'``, ...);
            the network is cut after the deepest one.
        pretrained: ``'torch_hub'`` (default) reads
            ``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth`` (torchvision's
            file, see :func:`default_vgg19_path`), downloading it there the
            first time (see ``download``); a path reads that file
            (torchvision's state dict, optionally under ``'state_dict'``);
            ``None`` keeps PyTorch's random initialisation (tests, offline
            demos). A missing file is an error naming the expected path.
        download: let ``pretrained='torch_hub'`` fetch the missing file
            from torchvision's address (548 MB, once; its SHA-256 checked).
            ``False``, or the environment variable ``TOOLBOX_OFFLINE=1``,
            makes a missing file an error naming the path and the
            address.
        use_input_norm: subtract ImageNet's mean and divide by its std after
            mapping inputs to ``[0, 1]``; this is what the ImageNet weights
            were trained with (MAWR's contrastive loss skips it; set False
            to do the same).
        input_range: range of the images given to ``forward``: ``'[0,1]'``
            or ``'[-1,1]'``.
        requires_grad: train the VGG weights (False: frozen, the usual).

    ``forward(x)`` returns a dict ``layer name → N×C×h×w`` in the order of
    ``layers``.
    """

    def __init__(self,
                 layers: Sequence[str] = ('relu1_1', 'relu2_1', 'relu3_1',
                                          'relu4_1', 'relu5_1'),
                 pretrained: Optional[str] = 'torch_hub',
                 use_input_norm: bool = True,
                 input_range: str = '[0,1]',
                 requires_grad: bool = False,
                 download: bool = True):
        super().__init__()
        names = vgg19_layer_names()
        unknown = [name for name in layers if name not in names]
        if unknown or not layers:
            raise KeyError(f'VGG19FeatureExtractor: unknown layers {unknown} '
                           f'(choose from {names})')
        if input_range not in ('[0,1]', '[-1,1]'):
            raise ValueError("VGG19FeatureExtractor: input_range must be "
                             f"'[0,1]' or '[-1,1]', got {input_range!r}")
        self.layers = list(layers)
        self.indices = {name: names.index(name) for name in layers}
        depth = max(self.indices.values()) + 1
        modules, in_channels = [], 3
        for item in _VGG19_CFG:
            if len(modules) >= depth:  # cut: build no unused layer
                break
            if item == 'M':
                modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                modules += [nn.Conv2d(in_channels, item, 3, padding=1),
                            nn.ReLU(inplace=False)]
                in_channels = item
        self.features = nn.Sequential(*modules[:depth])
        self.use_input_norm = use_input_norm
        self.input_range = input_range
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(
            1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(
            1, 3, 1, 1), persistent=False)
        self.pretrained = pretrained
        self.download = download
        if pretrained == 'torch_hub':
            self.load_weights(self._hub_file(download))
        elif pretrained is not None:
            self.load_weights(pretrained)
        self.requires_grad = requires_grad
        if not requires_grad:
            freeze(self)

    @staticmethod
    def _hub_file(download: bool) -> str:
        """The hub cache's VGG-19 file, fetched if missing and allowed."""
        try:
            return fetch_pretrained('vgg19', download)
        except FileNotFoundError:
            path = default_vgg19_path()
            raise FileNotFoundError(
                f'VGG-19 ImageNet weights not found at {path}, and '
                f'{why_not_downloaded(download)}: fetch torchvision\'s file '
                f'{VGG19_FILENAME} ({VGG19_URL}) yourself and put it there '
                '(or under $TORCH_HOME/hub/checkpoints/), give its path as '
                '`pretrained=`, or use `pretrained=None` for random '
                'weights.') from None

    @classmethod
    def required_paths(cls, cfg: dict) -> List[RequiredPath]:
        """The weights file an extractor built from ``cfg`` reads (none for
        ``pretrained=None``, nor for the hub file while it can be
        downloaded), so tools name it before they start."""
        pretrained = cfg.get('pretrained', 'torch_hub')
        if pretrained is None or is_remote(pretrained):
            return []
        download = cfg.get('download', True)
        if pretrained == 'torch_hub' and downloads_allowed(download):
            return []  # fetched when the extractor is built
        path = (default_vgg19_path() if pretrained == 'torch_hub' else
                pretrained)
        hint = (f"torchvision's {VGG19_FILENAME} from {VGG19_URL}, or "
                'pretrained=None for random weights')
        if pretrained == 'torch_hub':
            hint += (f' ({why_not_downloaded(download)}; with downloads on '
                     'the toolbox fetches it itself)')
        return [RequiredPath(
            normalize_path(path), 'file', 'pretrained',
            f'VGG-19 ImageNet weights (pretrained={pretrained!r})', hint)]

    def load_weights(self, path: str) -> None:
        """Load torchvision's VGG-19 state dict (``features.*`` keys) from
        ``path``; keys past the cut and the classifier are ignored, a
        missing key or another shape (a VGG-16 or batch-norm file) is a
        :class:`~toolbox.weights.CheckpointMismatchError`."""
        path = osp.expanduser(os.fspath(path))
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'VGG-19 ImageNet weights not found at {path}: give the path '
                f"of torchvision's file {VGG19_FILENAME} ({VGG19_URL}) as "
                "`pretrained=`, `pretrained='torch_hub'` to read (and fetch) "
                'it from the hub cache, or `pretrained=None` for random '
                'weights.')
        # The file holds all of VGG-19 (and the classifier); the network
        # stops at its deepest layer, so extra keys are expected.
        load_weights(self, path, prefix=None, allow_extra_keys=True,
                     what='VGG-19 ImageNet weights')

    def train(self, mode: bool = True):
        """A frozen extractor stays in eval mode."""
        return super().train(mode and self.requires_grad)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Activations of ``self.layers`` for images ``x`` (``N×3×H×W``)."""
        if self.input_range == '[-1,1]':
            x = (x + 1) / 2
        if self.use_input_norm:
            x = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        wanted = {index: name for name, index in self.indices.items()}
        found = {}
        for index, module in enumerate(self.features):
            x = module(x)
            if index in wanted:
                found[wanted[index]] = x
        return {name: found[name] for name in self.layers}


__all__ = ['VGG19FeatureExtractor', 'default_vgg19_path',
           'vgg19_layer_names']
