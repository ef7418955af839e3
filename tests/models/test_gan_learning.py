"""Tests that guard learning: an adversarial method, trained briefly on a
tiny unpaired problem with one right answer, must find that answer.

The problem: domain B holds clean 16×16 colour images (each channel's
mean removed: the ResNet generator's instance norms cannot see a
constant); domain A holds *other* such images with a fixed pattern of
vertical stripes added (period 4 px, amplitude 0.5 in the networks'
``[-1, 1]`` range, ±0.354 at every pixel). A and B batches are drawn
independently (unpaired). The only mapping from A to B that keeps the
image is "subtract the stripes", so after training the A→B network's
output on held-out A images must be much closer to their clean versions
than the inputs are: ``|G(a) - clean| / |a - clean|`` below a bound.

The networks, losses and optimiser wrappers come from the method's config
(tiny widths, learning rate 1e-3); the loop drives ``model.train_step(data,
optim_wrapper)`` with the ``OptimWrapperDict`` that the config's
``MultiOptimWrapperConstructor`` builds, as the Runner does.

Mutations checked (each monkeypatched in a scratch script on seed 0, never
kept; the ratios are what the broken runs reached):

* CycleGAN (smooth per-channel fields plus white noise σ = 0.1; bound
  0.38; unbroken 0.27–0.30 on seeds 0, 1, 2). The noise matters: on
  noise-free images CycleGAN removes these stripes even with no
  adversarial term (G_b2a can paint a period-4 pattern from its stride-2
  grid, and the identity and cycle terms are then satisfied by G_a2b
  removing it), so the test would not see the adversarial term go.
  Caught: (a) the generator's adversarial term fed ``fake.detach()``
  (0.48); (b) the domains swapped in ``prepare_batch``, so G_a2b learns
  B→A (1.03); (c) ``gan_loss.loss_weight = 0`` (0.48); (d) the
  discriminators' optimiser never stepping (0.74).
* UniRemovalDA (single-colour blobs, no noise; bound 0.5; unbroken
  0.13–0.23 on seeds 0, 1, 2). Caught: (a) the student's adversarial term
  fed ``restored.detach()`` (1.00); (b) degraded and clear swapped (1.00);
  (c) ``gan_loss.loss_weight = 0`` (1.00); (d) the discriminator never
  stepping (15).

* DCD-GAN (``configs/_base_/models/dcdgan_resnet9.py``, tiny, patch-NCE
  on layers 0 and 4, generators with ``global_residual=True`` as in the
  demo; the CycleGAN problem, fields plus noise σ = 0.1; 400 iterations;
  bound 0.75; unbroken 0.27 / 0.51 / 0.47 on seeds 0, 1, 2). Caught:
  (a) the generator's adversarial term without gradient (its
  discriminator output detached: 1.00); (b) the domains swapped in
  ``prepare_batch`` (1.64); (c) ``gan_loss.loss_weight = 0`` (1.00);
  (d) the discriminators' optimiser never stepping (1.00). Without the
  global residual DCD-GAN does not learn this problem in a minute (no
  identity term anchors G_a2b near the identity: it drifted to
  uncorrelated or sign-flipped images), and on noise-free images its
  non-adversarial terms remove the stripes on their own (0.17 with
  ``gan_loss.loss_weight = 0``), so neither would catch a lost
  adversarial term.

Removing the discriminator phase's ``detach`` (``base_gan.detach_outputs``)
changes nothing, by design: ``ImagePool.query`` detaches again, and
D-first orders generate the discriminator's fakes under ``no_grad``.
"""
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub

import toolbox.models  # noqa: F401
from toolbox.engine.optim_constructor import MultiOptimWrapperConstructor
from toolbox.models.algorithms.base import as_stage_list
from toolbox.registry import MODELS
from toolbox.structures import RestorationSample

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
SIZE = 16
BLOB_COLOUR = torch.tensor([0.7, 0.45, 0.25]).view(1, 3, 1, 1)

_columns = torch.arange(SIZE, dtype=torch.float32)
#: 0.5·cos(π/2·x + π/4): ±0.354 at every pixel, zero mean.
STRIPES = (0.5 * torch.cos(torch.pi / 2 * _columns + torch.pi / 4)).expand(
    1, 3, SIZE, SIZE)


def clean_images(n: int, generator: torch.Generator, kind: str = 'blobs',
                 noise: float = 0.0) -> torch.Tensor:
    """``n`` clean zero-mean colour images in ``[-0.6, 0.6]``.

    ``'blobs'``: bright blobs of one colour (a thresholded smooth field),
    asymmetric under negation and channel permutation; ``'fields'``: an
    independent smooth field per channel. ``noise``: white Gaussian noise
    of that standard deviation added."""
    channels = 1 if kind == 'blobs' else 3
    low = torch.randn(n, channels, 4, 4, generator=generator)
    field = F.interpolate(low, size=(SIZE, SIZE), mode='bicubic',
                          align_corners=False)
    if kind == 'blobs':
        images = (field - 0.3).clamp(min=0) * BLOB_COLOUR
    else:
        images = 0.5 * field
    images = images - images.mean(dim=(2, 3), keepdim=True)
    if noise:
        images = images + noise * torch.randn(images.shape,
                                              generator=generator)
    return images.clamp(-0.6, 0.6)


def degrade(images: torch.Tensor) -> torch.Tensor:
    """Domain A: the fixed stripes added."""
    return images + STRIPES


def unpaired_data(a: torch.Tensor, b: torch.Tensor) -> dict:
    """A batch as the dataloader gives it: ``[0, 255]`` images, domain A as
    the inputs and domain B as each sample's ``ref_img``."""
    samples = []
    for image in b:
        sample = RestorationSample()
        sample.ref_img = (image + 1) * 127.5
        samples.append(sample)
    return dict(inputs=[(image + 1) * 127.5 for image in a],
                data_samples=samples)


def build(config: str, seed: int, lr: dict, **model_options):
    """The model and its ``OptimWrapperDict`` from a model config, the
    model's entries updated (dicts merged) by ``model_options`` and each
    wrapper's learning rate set from ``lr``."""
    cfg = Config.fromfile(str(CONFIGS / config))
    for key, value in model_options.items():
        if isinstance(value, dict) and isinstance(cfg.model.get(key), dict):
            cfg.model[key].update(value)
        else:
            cfg.model[key] = value
    wrappers = dict(cfg.optim_wrapper)
    wrappers.pop('constructor')
    for name, rate in lr.items():
        wrappers[name]['optimizer']['lr'] = rate
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, MultiOptimWrapperConstructor(wrappers)(model)


def error_ratio(translate, seed: int, **problem) -> float:
    """|translate(a) - clean| / |a - clean| on 32 held-out images."""
    clean = clean_images(32, torch.Generator().manual_seed(10_000 + seed),
                         **problem)
    with torch.no_grad():
        restored = translate(degrade(clean))
    return float((restored - clean).abs().mean() /
                 (degrade(clean) - clean).abs().mean())


def train(model, optim, seed: int, iters: int, batch_size: int = 4,
          **problem):
    """``iters`` training steps on fresh unpaired batches."""
    MessageHub.get_instance(f'test_gan_learning_{id(model)}_{time.time()}')
    draw = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(iters):
        a = degrade(clean_images(batch_size, draw, **problem))
        b = clean_images(batch_size, draw, **problem)
        model.train_step(unpaired_data(a, b), optim)
    model.eval()


@pytest.fixture
def one_thread():
    """One thread: faster for these tiny networks on shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def cyclegan_ratio(seed: int = 0, iters: int = 800, width: int = 8,
                   kind: str = 'fields', noise: float = 0.1) -> float:
    """Train CycleGAN (configs/_base_/models/cyclegan_resnet9.py, tiny,
    no image pool) and score its G_a2b."""
    model, optim = build(
        '_base_/models/cyclegan_resnet9.py', seed,
        lr=dict(generators=1e-3, discriminators=1e-3),
        generator=dict(base_channels=width, num_blocks=1),
        discriminator=dict(base_channels=8, num_layers=2), pool_size=0)
    problem = dict(kind=kind, noise=noise)
    train(model, optim, seed, iters, **problem)
    return error_ratio(model.generator_a2b, seed, **problem)


def test_cyclegan_learns_to_remove_fixed_stripes(one_thread):
    # Without its adversarial term CycleGAN reaches 0.47-0.48 here.
    ratio = cyclegan_ratio()
    assert ratio < 0.38, ratio


def uniremoval_da_ratio(seed: int = 0, iters: int = 300) -> float:
    """Train UniRemovalDA (configs/uniremoval/da_mprnet.py: vanilla GAN
    loss at weight 0.01, identity loss 0.1; a tiny MPRNet student from
    scratch, without the contrastive losses, which need several
    degradation types and VGG) and score its student."""
    model, optim = build(
        'uniremoval/da_mprnet.py', seed,
        lr=dict(generators=1e-3, discriminators=1e-3),
        generator=dict(type='MPRNet', variant=None, n_feat=8,
                       scale_unetfeats=4, scale_orsnetfeats=4, num_cab=1),
        discriminator=dict(base_channels=8, num_layers=2),
        student_checkpoint=None, feature_loss=None, image_loss=None)
    train(model, optim, seed, iters)

    def restore(images):
        return as_stage_list(model.generator(images))[0]

    return error_ratio(restore, seed)


def test_uniremoval_da_learns_to_remove_fixed_stripes(one_thread):
    # Without its adversarial term the student keeps the stripes (1.00).
    ratio = uniremoval_da_ratio()
    assert ratio < 0.5, ratio


def dcdgan_ratio(seed: int = 0, iters: int = 400) -> float:
    """Train DCD-GAN (configs/_base_/models/dcdgan_resnet9.py: the paper's
    objective; tiny, identity-start generators as in the demo config) and
    score its G_a2b."""
    model, optim = build(
        '_base_/models/dcdgan_resnet9.py', seed,
        lr=dict(generators=1e-3, discriminators=1e-3, heads=1e-3),
        generator=dict(base_channels=8, num_blocks=1, global_residual=True),
        discriminator=dict(base_channels=8, num_layers=2),
        head=dict(num_patches=32, mlp_channels=16), nce_layers=(0, 4))
    problem = dict(kind='fields', noise=0.1)
    train(model, optim, seed, iters, **problem)
    return error_ratio(model.generator_a2b, seed, **problem)


def test_dcdgan_learns_to_remove_fixed_stripes(one_thread):
    # Without its adversarial term (or a discriminator that steps) DCD-GAN
    # keeps the stripes here (1.00).
    ratio = dcdgan_ratio()
    assert ratio < 0.75, ratio
