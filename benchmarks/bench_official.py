"""The toolbox's networks beside the official code, in the same run.

The official code is not shipped: give its checkout with
``--official-mprnet`` (swz30/MPRNet), ``--official-cut``
(taesungp/contrastive-unpaired-translation or
junyanz/pytorch-CycleGAN-and-pix2pix: ``models/networks.py``) and
``--official-dcdgan`` (cschenxiang/DCD-GAN: ``code/models/networks.py``).

- MPRNet (deraining widths): forward + Charbonnier on the three stage
  outputs + backward + Adam step, the same function for both.
- CycleGAN (CUT's/CycleGAN's ResNet-9 generator, 70×70 PatchGAN, instance
  norm, no anti-aliasing) and DCD-GAN (the same with CUT's anti-aliased
  down/up-sampling): one generator + discriminator step (LSGAN terms, the
  L1 term of a cycle, Adam for both), the same function for both.

Times are medians, toolbox and official in turn step by step; the ratio is
official time / toolbox time (> 1: the toolbox is faster).

Run through ``benchmarks/run_all.py`` (``--only official``).
"""
import functools
import importlib
import importlib.util
import os
import sys
import types

import torch
import torch.nn.functional as F

from toolbox.models.backbones.mprnet import MPRNET_VARIANTS, MPRNet
from toolbox.models.backbones.resnet_generator import ResnetGenerator
from toolbox.models.heads.patchgan import PatchGANDiscriminator
from toolbox.models.losses.pixel import CharbonnierLoss

from _timing import autocast, fmt_ratio, interleaved_medians, markdown_table
from _timing import verdict


def _mprnet_file(path: str) -> str:
    if os.path.isdir(path):
        path = os.path.join(path, 'Deraining', 'MPRNet.py')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'--official-mprnet: no MPRNet.py at {path}')
    return path


def load_official_mprnet(path: str, variant: str = 'deraining'):
    spec = importlib.util.spec_from_file_location('official_mprnet',
                                                  _mprnet_file(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    n_feat, s_unet, s_ors = MPRNET_VARIANTS[variant]
    return module.MPRNet(n_feat=n_feat, scale_unetfeats=s_unet,
                         scale_orsnetfeats=s_ors)


def load_networks_module(path: str, alias: str):
    """``models/networks.py`` of a CUT/CycleGAN/DCD-GAN checkout, imported
    as ``alias.networks`` without running the package's ``__init__``."""
    for sub in ('models', os.path.join('code', 'models')):
        folder = os.path.join(path, sub)
        if os.path.isfile(os.path.join(folder, 'networks.py')):
            break
    else:
        raise FileNotFoundError(f'no models/networks.py under {path}')
    package = types.ModuleType(alias)
    package.__path__ = [folder]
    sys.modules[alias] = package
    return importlib.import_module(f'{alias}.networks')


class MPRNetCase:

    def __init__(self, model, amp, batch, size, device):
        self.device, self.amp = device, amp
        self.x = torch.rand(batch, 3, size, size, device=device)
        self.y = torch.rand(batch, 3, size, size, device=device)
        model = model.to(device)
        if amp:
            model = model.to(memory_format=torch.channels_last)
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
        self.loss = CharbonnierLoss()

    def step(self):
        with autocast(self.device, self.amp):
            outputs = self.model(self.x)
            loss = sum(self.loss(o.float(), self.y) for o in outputs)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()


class GANCase:
    """One generator + discriminator step of a CycleGAN-like model."""

    def __init__(self, generator, discriminator, amp, batch, size, device):
        self.device, self.amp = device, amp
        self.g = generator.to(device)
        self.d = discriminator.to(device)
        self.x = torch.rand(batch, 3, size, size, device=device) * 2 - 1
        self.y = torch.rand(batch, 3, size, size, device=device) * 2 - 1
        if amp:
            self.g.to(memory_format=torch.channels_last)
            self.d.to(memory_format=torch.channels_last)
            self.x = self.x.contiguous(memory_format=torch.channels_last)
            self.y = self.y.contiguous(memory_format=torch.channels_last)
        self.opt_g = torch.optim.Adam(self.g.parameters(), 2e-4, (0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.d.parameters(), 2e-4, (0.5, 0.999))

    def step(self):
        with autocast(self.device, self.amp):
            fake = self.g(self.x)
            pred = self.d(fake).float()
            loss_g = F.mse_loss(pred, torch.ones_like(pred)) + \
                10 * F.l1_loss(fake.float(), self.x)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        with autocast(self.device, self.amp):
            real = self.d(self.y).float()
            fake_pred = self.d(fake.detach()).float()
            loss_d = 0.5 * (F.mse_loss(real, torch.ones_like(real)) +
                            F.mse_loss(fake_pred, torch.zeros_like(fake_pred)))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()


def _official_gan(networks, antialias: bool):
    norm = functools.partial(torch.nn.InstanceNorm2d, affine=False,
                             track_running_stats=False)
    kwargs = dict(no_antialias=not antialias)
    try:  # CUT/DCD-GAN's networks.py
        g = networks.ResnetGenerator(3, 3, 64, norm_layer=norm, n_blocks=9,
                                     no_antialias_up=not antialias, **kwargs)
        d = networks.NLayerDiscriminator(3, 64, 3, norm_layer=norm, **kwargs)
    except TypeError:  # junyanz/pytorch-CycleGAN-and-pix2pix
        if antialias:
            raise
        g = networks.ResnetGenerator(3, 3, 64, norm_layer=norm, n_blocks=9)
        d = networks.NLayerDiscriminator(3, 64, 3, norm_layer=norm)
    return g, d


def _toolbox_gan(antialias: bool):
    g = ResnetGenerator(base_channels=64, num_blocks=9, norm='instance',
                        antialias=antialias)
    d = PatchGANDiscriminator(base_channels=64, num_layers=3,
                              norm='instance', antialias=antialias)
    return g, d


def run(args) -> str:
    device = args.device
    amp_dtype = torch.float16 if device == 'cuda' else torch.bfloat16
    amp_name = ('AMP fp16' if device == 'cuda' else 'AMP bf16') + \
        ' + channels_last'
    if args.quick and device == 'cpu':
        mpr_size, mpr_batch, gan_size = 64, 1, 64
    elif device == 'cuda':
        mpr_size, mpr_batch, gan_size = 256, 16, 256
    else:
        mpr_size, mpr_batch, gan_size = 256, 1, 256
    groups = []  # (title, size text, {impl: builder(amp) -> case})
    if args.official_mprnet:
        groups.append((
            'MPRNet deraining (network step)', f'{mpr_batch}×{mpr_size}²', {
                'toolbox': lambda amp: MPRNetCase(
                    MPRNet(variant='deraining'), amp, mpr_batch, mpr_size,
                    device),
                'official': lambda amp: MPRNetCase(
                    load_official_mprnet(args.official_mprnet), amp,
                    mpr_batch, mpr_size, device)}))
    if args.official_cut:
        cut = load_networks_module(args.official_cut, 'official_cut')
        groups.append((
            'CycleGAN ResNet-9 G + PatchGAN D step', f'1×{gan_size}²', {
                'toolbox': lambda amp: GANCase(*_toolbox_gan(False), amp, 1,
                                               gan_size, device),
                'official': lambda amp: GANCase(*_official_gan(cut, False),
                                                amp, 1, gan_size, device)}))
    if args.official_dcdgan:
        dcd = load_networks_module(args.official_dcdgan, 'official_dcdgan')
        groups.append((
            'DCD-GAN/CUT anti-aliased G + D step', f'1×{gan_size}²', {
                'toolbox': lambda amp: GANCase(*_toolbox_gan(True), amp, 1,
                                               gan_size, device),
                'official': lambda amp: GANCase(*_official_gan(dcd, True),
                                                amp, 1, gan_size, device)}))
    if not groups:
        return ('*No official code given (--official-mprnet, --official-cut,'
                ' --official-dcdgan): nothing to compare.*')
    rows = []
    for title, size, builders in groups:
        times = {}
        for amp, mode in ((None, 'float32'), (amp_dtype, amp_name)):
            cases = {}
            for impl, build in builders.items():
                torch.manual_seed(0)
                cases[impl] = build(amp)
            got = interleaved_medians(
                {impl: c.step for impl, c in cases.items()}, device,
                args.warmup, args.steps)
            for impl, t in got.items():
                times[(impl, mode)] = t
            del cases
        for mode in ('float32', amp_name):
            tb, to = times[('toolbox', mode)], times[('official', mode)]
            ratio = to / tb
            if mode == 'float32':
                # Within 5 %: the run-to-run noise of a shared machine.
                target = 'toolbox not slower: ' + verdict(
                    ratio >= 0.95, 'slower than the release')
            else:
                target = ''
            rows.append([title if mode == 'float32' else '', size, mode,
                         f'{tb:.3f}', f'{to:.3f}', fmt_ratio(ratio), target])
        for impl in ('toolbox', 'official'):
            speed = times[(impl, 'float32')] / times[(impl, amp_name)]
            rows.append(['', '', f'{impl}: AMP speed-up', '', '',
                         fmt_ratio(speed), ''])
    return markdown_table(
        ['network', 'batch × crop', 'precision', 'toolbox (s)',
         'official (s)', 'official / toolbox', 'target'], rows,
        ['---', '---', '---', '---:', '---:', '---:', '---'])
