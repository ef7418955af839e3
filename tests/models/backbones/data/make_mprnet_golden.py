"""Record what the *official* MPRNet computes, for the parity test.

Not run by the test suite, and the official code is not part of this
repository: check out swz30/MPRNet and point this script at it::

    git clone https://github.com/swz30/MPRNet /tmp/MPRNet
    git -C /tmp/MPRNet checkout 43feb2aed45f5e0b9082c78c8c455160e30a3a82
    PYTHONPATH=. python tests/models/backbones/data/make_mprnet_golden.py \\
        /tmp/MPRNet

For the deraining (n_feat 40, from ``Deraining/MPRNet.py``) and deblurring
(n_feat 96, from ``Deblurring/MPRNet.py``) widths it builds the official
network, loads the seeded weights of ``tests.helpers.official_mprnet_state``
(strictly: the recorded key layout must be the official one), runs one
seeded 24×40 input (H and W multiples of 8, as the release needs; not square,
so a swapped split shows) and saves the input and the three stage outputs in
``mprnet_official_golden.npz`` next to this file.
tests/models/backbones/test_mprnet_golden.py compares the toolbox's MPRNet
with it.
"""
import argparse
import importlib.util
import subprocess
from pathlib import Path

import numpy as np
import torch

from tests.helpers import official_mprnet_state

HERE = Path(__file__).parent
OUT = HERE / 'mprnet_official_golden.npz'
#: variant -> the official file that defines it (its default widths)
SOURCES = {'deraining': 'Deraining/MPRNet.py',
           'deblurring': 'Deblurring/MPRNet.py'}
SIZE = (24, 40)
SEED = 0


def load_official(path: Path):
    spec = importlib.util.spec_from_file_location(
        f'official_mprnet_{path.parent.name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MPRNet


def golden_input() -> torch.Tensor:
    """A smooth seeded image in [0, 1] (noise at 1/4 resolution, upsampled)
    plus a little noise, 1×3×H×W."""
    gen = torch.Generator().manual_seed(SEED)
    low = torch.rand(1, 3, SIZE[0] // 4, SIZE[1] // 4, generator=gen)
    x = torch.nn.functional.interpolate(low, size=SIZE, mode='bilinear',
                                        align_corners=False)
    x = x + 0.05 * torch.randn(x.shape, generator=gen)
    return x.clamp(0, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('official', help='checkout of swz30/MPRNet')
    args = parser.parse_args()
    root = Path(args.official)
    try:
        commit = subprocess.run(['git', '-C', str(root), 'rev-parse', 'HEAD'],
                                capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = 'unknown'
    torch.set_num_threads(1)
    x = golden_input()
    arrays = {'input': x.numpy()}
    for variant, source in SOURCES.items():
        net = load_official(root / source)().eval()  # the file's own widths
        net.load_state_dict(official_mprnet_state(variant, SEED), strict=True)
        with torch.no_grad():
            outputs = net(x.clone())
        for name, out in zip(('stage3', 'stage2', 'stage1'), outputs):
            arrays[f'{variant}_{name}'] = out.numpy().astype(np.float32)
        print(variant, [tuple(o.shape) for o in outputs])
    arrays['official_commit'] = np.array(commit)
    arrays['torch_version'] = np.array(torch.__version__)
    np.savez_compressed(OUT, **arrays)
    print(f'wrote {OUT} ({OUT.stat().st_size} bytes) from {commit}')


if __name__ == '__main__':
    main()
