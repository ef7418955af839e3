"""The toolbox's MPRNet computes what the official implementation computes.

``data/mprnet_official_golden.npz`` holds the outputs of swz30/MPRNet's own
``Deraining/MPRNet.py`` (n_feat 40) and ``Deblurring/MPRNet.py`` (n_feat 96)
at commit 43feb2a, with the seeded weights of
``tests.helpers.official_mprnet_state`` on a seeded 24×40 input (how it was
made: ``data/make_mprnet_golden.py``, ``data/README.md``). Here the same
weights go into the toolbox's network through a file in the release's layout
(``{'state_dict': ...}``, ``module.`` keys), so the key mapping, the
batched-patch forward and every block are checked at once.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.helpers import official_mprnet_file
from toolbox.models.backbones.mprnet import MPRNet

GOLDEN = Path(__file__).parent / 'data' / 'mprnet_official_golden.npz'
STAGES = ('stage3', 'stage2', 'stage1')


@pytest.fixture(scope='module')
def golden():
    with np.load(GOLDEN) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize('variant', ['deraining', 'deblurring'])
def test_outputs_match_the_official_implementation(variant, golden,
                                                   tmp_path):
    path = tmp_path / f'model_{variant}.pth'
    official_mprnet_file(path, variant, seed=0, module_prefix=True)
    net = MPRNet(variant=variant,
                 init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    net.init_weights()
    net.eval()
    x = torch.from_numpy(golden['input'])
    # A second, different image in the batch: the patches of one image must
    # not leak into another's (stage 1 and 2 batch the patches together).
    batch = torch.cat([x, x.flip(-1).flip(-2)])
    with torch.no_grad():
        outputs = net(batch)
    for name, out in zip(STAGES, outputs):
        expected = golden[f'{variant}_{name}']
        assert out.shape[1:] == expected.shape[1:]
        diff = (out[:1] - torch.from_numpy(expected)).abs().max().item()
        # Random weights of this scale take stage 3 to |x| ~ 200, where
        # float32 carries ~1e-4 of rounding from the order of additions;
        # 1e-5 of the largest value leaves room for that and for nothing
        # else (a wrong block moves the output by whole units).
        tol = 1e-5 * max(1.0, float(np.abs(expected).max()))
        assert diff < tol, f'{variant} {name}: max |diff| {diff:.3g}'
    # the outputs are not trivially the input (the weights did something)
    assert (outputs[0][:1] - x).abs().max() > 1e-2
