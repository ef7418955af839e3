"""One CycleGAN / DCD-GAN training step: the toolbox against the official code.

Builds the toolbox model from its config (small widths), builds the official
model from the user's checkout with its own option parser, gives both the
same weights (the official networks' ``state_dict`` loaded into the toolbox
through its official-layout loaders) and the same batch, runs one full
training step on each side (generator and discriminator phases in each
side's order) and prints, term by term, the toolbox value, the official
value and their relative difference ``|tb - off| / |off|``:

* every named loss term the toolbox logs, against the official term (or
  sum / multiple of official terms) it stands for;
* the gradients of every parameter when each optimiser steps, per network
  and phase: ``||g_tb - g_off|| / ||g_off||`` over the whole network, and
  the largest per-tensor relative difference;
* the weights after the optimiser steps, per network, in the same two
  measures.

Randomness is made identical: no image pool on either side
(``pool_size=0``: the official ``ImagePool`` then returns its input, the
toolbox's returns it detached), no dropout, and for DCD-GAN every call of
a projection head that draws fresh patch positions (the key side) gets the
same positions on both sides, drawn beforehand from a seeded generator
(the query side reuses the key's ids, as in both codes).

Usage::

    # official CycleGAN: a checkout of junyanz/pytorch-CycleGAN-and-pix2pix
    # or of taesungp/contrastive-unpaired-translation (which vendors the
    # same cycle_gan_model.py; run with its non-anti-aliased layout)
    python tools/parity/gan_step_vs_official.py --method cyclegan \\
        --official /path/to/contrastive-unpaired-translation
    # official DCD-GAN: a checkout of cschenxiang/DCD-GAN (the repository
    # root or its code/ folder)
    python tools/parity/gan_step_vs_official.py --method dcdgan \\
        --official /path/to/DCD-GAN

Options: ``--config`` (default ``configs/cyclegan/cyclegan_resnet9_unpaired.py``
or ``configs/dcdgan/dcdgan_released_rain800.py``, the toolbox config that
follows the released DCD-GAN objective), ``--ngf``, ``--ndf``,
``--blocks`` (toolbox ``num_blocks``; the official ``netG`` must offer it:
4, 6 or 9), ``--size``, ``--seed``, ``--tol``, ``--json FILE``,
``--no-reference64`` (skip the float64 rerun of the official step that
serves as the rounding reference), ``--upsample-by-filter`` (diagnostic:
the toolbox's ``BlurUpsample2d`` runs the official transposed convolution
instead of the equivalent bilinear interpolation).

Reading the numbers: the gradient of a conv bias that feeds an instance
norm is exactly zero, so both sides hold rounding noise there; those
biases are reported apart. Adam's first step moves each weight by about
``lr * sign(g)``, so the weights are compared over the elements whose
gradient sign rounding cannot flip, and the others are counted.

The script imports the official modules from ``--official`` at run time and
downloads nothing. Two shims are applied, only when needed and only in this
process: a placeholder ``torchvision`` module when torchvision is not
installed (the official model files import it but the training step does
not use it), and ``torch.rfft`` (removed in PyTorch 1.8) expressed with
``torch.fft.rfft2`` for DCD-GAN's frequency term, which the released code
computes but does not optimise. Exit status: 0 when every table row is
at most ``--tol`` and each network's gradients are no further from the
float64 reference than 10x the official float32 step's (or ``--tol``),
1 otherwise, 2 on a setup error (for example a missing or wrong checkout).
"""
import argparse
import json
import math
import os
import sys
import types
from pathlib import Path
from typing import Sequence

import torch

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIGS = dict(
    cyclegan='configs/cyclegan/cyclegan_resnet9_unpaired.py',
    dcdgan='configs/dcdgan/dcdgan_released_rain800.py')
#: Files the official checkout must have, per method (relative to its
#: code root).
REQUIRED = dict(
    cyclegan=('models/cycle_gan_model.py', 'models/networks.py',
              'util/image_pool.py', 'options/train_options.py'),
    dcdgan=('models/dcd_model.py', 'models/networks.py',
            'models/patchnce.py', 'util/image_pool.py',
            'options/train_options.py'))
#: toolbox network name -> official network name.
NETWORKS = dict(
    cyclegan=dict(generator_a2b='G_A', generator_b2a='G_B',
                  discriminator_b='D_A', discriminator_a='D_B'),
    dcdgan=dict(generator_a2b='G_A', generator_b2a='G_B',
                discriminator_b='D_A', discriminator_a='D_B',
                head_a2b='F1', head_b2a='F2'))
NET_BLOCKS = {4: 'resnet_4blocks', 6: 'resnet_6blocks', 9: 'resnet_9blocks'}


class SetupError(RuntimeError):
    """The official checkout or the settings cannot be used."""


# ------------------------------------------------------------ the official
def official_root(path: str, method: str) -> Path:
    """The folder holding the official ``models/``, ``util/``, ``options/``
    (the checkout itself, or its ``code/`` folder for DCD-GAN)."""
    base = Path(path).expanduser().resolve()
    if not base.is_dir():
        raise SetupError(f'--official {base}: no such directory (give the '
                         f'path of your checkout of the official {method} '
                         'code).')
    for root in (base, base / 'code'):
        if all((root / f).is_file() for f in REQUIRED[method]):
            return root
    missing = [f for f in REQUIRED[method] if not (base / f).is_file()]
    hint = dict(cyclegan='junyanz/pytorch-CycleGAN-and-pix2pix or '
                'taesungp/contrastive-unpaired-translation',
                dcdgan='cschenxiang/DCD-GAN')[method]
    raise SetupError(
        f'--official {base} does not look like a checkout of {hint}: '
        f'missing {missing} (also looked in {base / "code"}).')


def apply_shims(log, method: str):
    """Stand-ins for what a current PyTorch install lacks (see the module
    docstring); each one is reported."""
    try:
        import torchvision  # noqa: F401
    except ImportError:

        class Placeholder(types.ModuleType):

            def __getattr__(self, name):
                if name.startswith('__'):
                    raise AttributeError(name)
                child = Placeholder(f'{self.__name__}.{name}')
                setattr(self, name, child)
                return child

            def __call__(self, *args, **kwargs):
                raise RuntimeError(f'{self.__name__}: torchvision is not '
                                   'installed (placeholder module)')

        for name in ('torchvision', 'torchvision.transforms',
                     'torchvision.transforms.functional', 'torchvision.utils'):
            sys.modules[name] = Placeholder(name)
        log.append('torchvision not installed: placeholder module (unused '
                   'by the training step)')
    if method == 'dcdgan' and not hasattr(torch, 'rfft'):

        def rfft(x, signal_ndim=2, normalized=False, onesided=True):
            if signal_ndim != 2 or normalized or not onesided:
                raise NotImplementedError('shim covers rfft(x, 2) only')
            return torch.view_as_real(torch.fft.rfft2(x))

        torch.rfft = rfft
        log.append('torch.rfft (removed in PyTorch 1.8) = '
                   'view_as_real(fft.rfft2(x)), for DCD-GAN\'s unoptimised '
                   'frequency term')


def official_commit(root: Path) -> str:
    """``git rev-parse HEAD`` of the checkout, if it is a git work tree."""
    import subprocess
    try:
        out = subprocess.run(['git', '-C', str(root), 'rev-parse', 'HEAD'],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or 'unknown (not a git work tree)'
    except (OSError, subprocess.SubprocessError):
        return 'unknown'


def build_official(root: Path, method: str, args):
    """The official model, built by its own option parser and factory."""
    for name in ('models', 'util', 'options', 'data'):
        if name in sys.modules:
            raise SetupError(f'a module named {name!r} is already imported; '
                             'run this script in a fresh process')
    sys.path.insert(0, str(root))
    try:
        import models as official_models
        from options.train_options import TrainOptions
    except Exception as error:  # noqa: BLE001 -- report any import failure
        raise SetupError(f'cannot import the official code from {root}: '
                         f'{type(error).__name__}: {error}') from error
    options_text = (root / 'options/base_options.py').read_text()
    cmd = ['--gpu_ids', '-1', '--ngf', str(args.ngf), '--ndf',
           str(args.ndf), '--netG', NET_BLOCKS[args.blocks],
           '--pool_size', '0', '--batch_size', '1']
    if method == 'cyclegan':
        cmd += ['--model', 'cycle_gan']
        if '--no_antialias' in options_text:
            # CUT's copy defaults to anti-aliased networks; CycleGAN's own
            # layout (and the toolbox config's) is the plain one.
            cmd += ['--no_antialias', '--no_antialias_up']
    else:
        cmd += ['--model', 'dcd']
    opt = TrainOptions(' '.join(cmd)).gather_options()
    opt.isTrain, opt.gpu_ids = True, []
    if not hasattr(opt, 'amp'):
        # CUT's copy of cycle_gan_model.py reads opt.amp, which CUT's
        # parser does not define (apex mixed precision): off.
        opt.amp = False
    model = official_models.find_model_using_name(opt.model)(opt)
    return model, opt, ' '.join(cmd)


# ------------------------------------------------------------- the toolbox
def build_toolbox(method: str, args):
    """The toolbox model from its config, widths and pool overridden, and
    its optimiser wrappers from the config's ``optim_wrapper``."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    # Quiet the per-parameter initialisation log of init_weights().
    MMLogger.get_instance('mmengine', log_level='WARNING')

    import toolbox.models  # noqa: F401 -- registers the model types
    from toolbox.engine.optim_constructor import MultiOptimWrapperConstructor
    from toolbox.registry import MODELS

    cfg = Config.fromfile(str(REPO / args.config))
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') \
        else dict(cfg.model)
    for key in ('generator', 'generator_b2a'):
        if model_cfg.get(key):
            model_cfg[key].update(base_channels=args.ngf,
                                  num_blocks=args.blocks)
    for key in ('discriminator', 'discriminator_a'):
        if model_cfg.get(key):
            model_cfg[key].update(base_channels=args.ndf)
    model_cfg['pool_size'] = 0
    model = MODELS.build(model_cfg)
    model.init_weights()
    wrapper_cfg = dict(cfg.optim_wrapper.to_dict())
    wrapper_cfg.pop('constructor', None)
    optim = MultiOptimWrapperConstructor(wrapper_cfg)(model)
    return model, optim, model_cfg


def head_state_from_official(state: dict) -> dict:
    """CUT's ``PatchSampleF`` keys (``mlp_0.0.weight``) -> the toolbox's
    ``PatchSampleMLP`` keys (``mlps.0.0.weight``)."""
    out = {}
    for key, value in state.items():
        layer, rest = key.split('.', 1)
        if not layer.startswith('mlp_'):
            raise SetupError(f'unexpected official projection-head key {key}')
        out[f'mlps.{layer[4:]}.{rest}'] = value
    return out


def as_toolbox_keys(name: str, tensors: dict) -> dict:
    """An official network's ``{key: tensor}`` under the toolbox's keys
    (only the projection heads' differ)."""
    if name.startswith('head_'):
        return head_state_from_official(tensors)
    return tensors


# --------------------------------------------------------------- plumbing
class FixedPatchIds:
    """Hands every head call that draws fresh positions (``patch_ids`` is
    ``None``) the same positions on both sides: call ``c``, layer ``l``
    gets ``randperm(HW)[:P]`` of a generator seeded ``(seed, c, l)``."""

    def __init__(self, seed: int, num_patches: int):
        self.seed, self.num_patches = seed, num_patches
        self.calls, self.drawn = 0, []

    def ids(self, feats):
        out = []
        for layer, feat in enumerate(feats):
            gen = torch.Generator().manual_seed(
                self.seed * 100003 + self.calls * 101 + layer)
            hw = feat.shape[2] * feat.shape[3]
            out.append(torch.randperm(hw, generator=gen)[:min(
                self.num_patches, hw)].to(feat.device))
        self.calls += 1
        self.drawn.append([t.clone() for t in out])
        return out

    def wrap(self, head, official: bool):
        forward = head.forward

        def fixed(feats, num_patches=None, patch_ids=None, *rest, **kw):
            if patch_ids is None:
                patch_ids = self.ids(feats)
            if official:
                return forward(feats, self.num_patches, patch_ids)
            return forward(feats, num_patches, patch_ids, *rest, **kw)

        head.forward = fixed


def grad_recorder(optimizers, store: list):
    """On every ``step`` of these optimisers, copy each parameter's grad
    (``None`` stays ``None``) into a new dict appended to ``store``."""

    def hook(optimizer, args, kwargs):
        grads = {}
        for group in optimizer.param_groups:
            for p in group['params']:
                grads[id(p)] = None if p.grad is None else \
                    p.grad.detach().clone()
        store.append((optimizer, grads))

    return [opt.register_step_pre_hook(hook) for opt in optimizers]


def rel(a, b) -> float:
    """``|a - b| / |b|`` (floats or tensors, Frobenius norm); 0 when both
    are zero, inf when only ``b`` is."""
    if isinstance(a, torch.Tensor):
        num = (a.double() - b.double()).norm().item()
        den = b.double().norm().item()
    else:
        num, den = abs(float(a) - float(b)), abs(float(b))
    if den == 0:
        return 0.0 if num == 0 else math.inf
    return num / den


def norm_cancelled_biases(module: torch.nn.Module,
                          tapped: Sequence[int] = ()) -> set:
    """Names of the biases of convolutions that feed an instance norm
    without affine parameters directly (``conv -> InstanceNorm`` inside a
    ``Sequential``). The norm subtracts the per-channel mean, so such a
    bias never changes the output and its exact gradient is zero: what
    either side computes for it is rounding noise. Layers ``model.<i>``
    with ``i`` in ``tapped`` (DCD-GAN's contrastive layers, whose outputs
    are used before the norm) are not cancelled."""
    keep = {f'model.{i}.bias' for i in tapped}
    convs = (torch.nn.Conv2d, torch.nn.ConvTranspose2d)
    names = set()
    for prefix, seq in module.named_modules():
        if not isinstance(seq, torch.nn.Sequential):
            continue
        children = list(seq.named_children())
        for (name, layer), (_, following) in zip(children, children[1:]):
            if isinstance(layer, convs) and layer.bias is not None and \
                    isinstance(following, torch.nn.InstanceNorm2d) and \
                    not following.affine:
                names.add(f'{prefix}.{name}.bias' if prefix else
                          f'{name}.bias')
    return names - keep


def compare_tensors(tb: dict, off: dict, cancelled=frozenset(),
                    masks=None):
    """Relative differences of two ``{name: tensor or None}`` dicts with
    the same keys:

    * ``whole``: ``||tb - off|| / ||off||`` over every tensor;
    * ``max_tensor``: the largest per-tensor relative difference, over the
      tensors not in ``cancelled`` (``max_tensor_abs``: the largest
      ``||tb_t - off_t||`` of those over the network's ``||off||``) (see
      :func:`norm_cancelled_biases`),
      ``max_cancelled`` over those, and ``cancelled_share``: their norm as
      a fraction of the whole network's, on the official side;
    * with ``masks`` (``{name: bool tensor}``), ``max_tensor_masked``: the
      same maximum over the elements where the mask is True only.

    Also the counts of tensors compared, of tensors ``None`` on both sides
    and of tensors ``None`` on one side only (an error).
    """
    if set(tb) != set(off):
        raise SetupError('parameter names differ: '
                         f'{sorted(set(tb) ^ set(off))}')
    num = den = den_cancelled = 0.0
    worst = worst_cancelled = worst_masked = 0.0
    abs_diffs = []
    count, mismatched, none_both = 0, 0, 0
    for key in tb:
        a, b = tb[key], off[key]
        if a is None or b is None:
            if (a is None) != (b is None):
                mismatched += 1
            else:
                none_both += 1
            continue
        count += 1
        num += (a.double() - b.double()).pow(2).sum().item()
        den += b.double().pow(2).sum().item()
        if key in cancelled:
            den_cancelled += b.double().pow(2).sum().item()
            worst_cancelled = max(worst_cancelled, rel(a, b))
            continue
        worst = max(worst, rel(a, b))
        abs_diffs.append((a.double() - b.double()).norm().item())
        if masks is not None and key in masks:
            m = masks[key]
            worst_masked = max(worst_masked, rel(a[m], b[m]))
    whole = 0.0 if den == 0 and num == 0 else (
        math.inf if den == 0 else math.sqrt(num / den))
    out = dict(whole=whole, max_tensor=worst,
               max_tensor_abs=(max(abs_diffs, default=0.0) / math.sqrt(den)
                               if den else 0.0), max_cancelled=worst_cancelled,
               cancelled=len([k for k in cancelled if k in tb]),
               cancelled_share=math.sqrt(den_cancelled / den) if den else 0.0,
               tensors=count, none_both=none_both,
               none_one_side=mismatched, norm_off=math.sqrt(den))
    if masks is not None:
        out['max_tensor_masked'] = worst_masked
    return out


def sign_settled(g_tb, g_off):
    """Elements whose gradient sign rounding cannot flip: Adam's first step
    moves every weight by about ``lr · sign(g)``, so where ``|g|`` is at
    the rounding level the two sides may step in opposite directions.
    True where ``|g_off| > 10 |g_tb - g_off|`` (or both are 0)."""
    diff = (g_tb.double() - g_off.double()).abs()
    return (g_off.double().abs() > 10 * diff) | ((g_tb == 0) & (g_off == 0))


def gather_grads(records, networks: dict):
    """Per phase record: ``{network: {param name: grad}}`` for the
    networks whose parameters that optimiser holds."""
    out = []
    for optimizer, grads in records:
        held = {id(p) for g in optimizer.param_groups for p in g['params']}
        per_net = {}
        for net_name, module in networks.items():
            params = dict(module.named_parameters())
            if params and all(id(p) in held for p in params.values()):
                per_net[net_name] = {k: grads[id(p)]
                                     for k, p in params.items()}
        out.append(per_net)
    return out


def merge(records):
    merged = {}
    for record in records:
        merged.update(record)
    return merged


# -------------------------------------------------------------- the method
def loss_pairs(method: str, off) -> dict:
    """toolbox log name -> (official value, how it is formed)."""
    f = lambda x: float(x.detach()) if isinstance(x, torch.Tensor) \
        else float(x)  # noqa: E731
    if method == 'cyclegan':
        return dict(
            loss_gan_a2b=(f(off.loss_G_A), 'loss_G_A'),
            loss_gan_b2a=(f(off.loss_G_B), 'loss_G_B'),
            loss_cycle=(f(off.loss_cycle_A) + f(off.loss_cycle_B),
                        'loss_cycle_A + loss_cycle_B'),
            loss_identity=(f(off.loss_idt_A) + f(off.loss_idt_B),
                           'loss_idt_A + loss_idt_B'),
            loss_generator=(f(off.loss_G), 'loss_G'),
            loss_disc_b=(f(off.loss_D_A), 'loss_D_A'),
            loss_disc_a=(f(off.loss_D_B), 'loss_D_B'),
        )
    return dict(
        loss_gan_a2b=(0.5 * f(off.loss_G_A), '0.5 loss_G_A'),
        loss_gan_b2a=(0.5 * f(off.loss_G_B), '0.5 loss_G_B'),
        loss_nce_a2b=(0.5 * f(off.loss_NCE1), '0.5 loss_NCE1 (incl. λ_NCE=2)'),
        loss_nce_b2a=(0.5 * f(off.loss_NCE2), '0.5 loss_NCE2'),
        loss_identity=(0.5 * (f(off.loss_idt_A) + f(off.loss_idt_B)),
                       '0.5 (loss_idt_A + loss_idt_B)'),
        loss_generator=(f(off.loss_G), 'loss_G'),
        loss_disc_b=(f(off.loss_D_A), 'loss_D_A'),
        loss_disc_a=(f(off.loss_D_B), 'loss_D_B'),
    )


def run(args) -> dict:
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1') or 1))
    method = args.method
    root = official_root(args.official, method)
    shims = []
    apply_shims(shims, method)
    sys.path.insert(0, str(REPO))

    if args.upsample_by_filter:
        from toolbox.models.layers.antialias import BlurUpsample2d
        BlurUpsample2d.forward = BlurUpsample2d.filter_transposed
        shims.append('diagnostic: toolbox BlurUpsample2d.forward = '
                     'filter_transposed (the official transposed '
                     'convolution)')

    # Toolbox model and a batch in its [0, 255] data format.
    torch.manual_seed(args.seed)
    tb, optim, model_cfg = build_toolbox(method, args)
    from toolbox.structures import RestorationSample
    gen = torch.Generator().manual_seed(args.seed)
    img = torch.randint(0, 256, (3, args.size, args.size), generator=gen)
    ref = torch.randint(0, 256, (3, args.size, args.size), generator=gen)
    sample = RestorationSample()
    sample.ref_img = ref.float()
    data = dict(inputs=[img.float()], data_samples=[sample])
    with torch.no_grad():
        pre = tb.data_preprocessor(data, True)
        real_a = pre['inputs'].clone()
        real_b = tb.data_preprocessor.stack_images(pre['data_samples'],
                                                   'ref_img').clone()
    official_batch = dict(A=real_a.clone(), B=real_b.clone(),
                          A_paths=['a.png'], B_paths=['b.png'])

    # Official model (its own initialisation), then its weights -> toolbox.
    torch.manual_seed(args.seed)
    off, opt, cmd = build_official(root, method, args)
    if method == 'dcdgan':
        # Builds F1/F2 (lazily created MLPs) and optimizer_F, as the
        # official train.py does on the first batch; the gradients it
        # leaves are zeroed by optimize_parameters before use.
        off.data_dependent_initialize(official_batch)
    net_map = NETWORKS[method]
    tb_nets = {n: getattr(tb, n) for n in net_map}
    off_nets = {n: getattr(off, 'net' + o) for n, o in net_map.items()}
    initial = {n: {k: v.detach().clone() for k, v in
                   off_nets[n].state_dict().items()} for n in net_map}
    for name, module in tb_nets.items():
        state = off_nets[name].state_dict()
        if name.startswith('head_'):
            module.load_state_dict(head_state_from_official(state),
                                   strict=True)
        else:
            module.load_official_state_dict(state)

    # Forward sanity check on identical weights.
    with torch.no_grad():
        fake_tb = tb.generator_a2b(real_a)
        fake_off = off.netG_A(real_a)
    rows = [('fake_b = G_A(real_a), before the step', 'output',
             fake_tb.norm().item(), fake_off.norm().item(),
             rel(fake_tb, fake_off))]

    # Identical patch positions on both sides.
    patches = {}
    if method == 'dcdgan':
        num_patches = int(model_cfg['head'].get('num_patches', 256))
        if opt.num_patches != num_patches:
            raise SetupError(f'num_patches: toolbox {num_patches}, official '
                             f'{opt.num_patches}')
        for side, nets, official in (('tb', tb_nets, False),
                                     ('off', off_nets, True)):
            patches[side] = FixedPatchIds(args.seed, num_patches)
            for name in ('head_a2b', 'head_b2a'):
                patches[side].wrap(nets[name], official)

    # One toolbox step.
    from mmengine.logging import MessageHub
    MessageHub.get_instance('gan_step_vs_official')
    tb_records = []
    hooks = grad_recorder([w.optimizer for w in optim.values()], tb_records)
    tb.train()
    logs = tb.train_step(data, optim)
    for h in hooks:
        h.remove()

    # One official step.
    off_records = []
    official_optimizers = [o for o in off.optimizers]
    hooks = grad_recorder(official_optimizers, off_records)
    off.set_input(official_batch)
    off.optimize_parameters()
    for h in hooks:
        h.remove()

    if method == 'dcdgan':
        same_ids = len(patches['tb'].drawn) == len(patches['off'].drawn) and \
            all(torch.equal(a, b) for x, y in zip(patches['tb'].drawn,
                                                  patches['off'].drawn)
                for a, b in zip(x, y))
        if not same_ids:
            raise SetupError('the two sides drew patch positions a different '
                             'number of times; the comparison is not valid')

    # The float64 reference: the official step once more, in float64, from
    # the same weights, batch and patch positions.
    ref_all = ref_weights = None
    if args.reference64:
        ref_records, ref_nets = [], {}
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            ref = sys.modules['models'].find_model_using_name(opt.model)(opt)
            batch64 = dict(official_batch, A=real_a.double(),
                           B=real_b.double())
            if method == 'dcdgan':
                ref.data_dependent_initialize(batch64)
            ref_nets = {n: getattr(ref, 'net' + o)
                        for n, o in net_map.items()}
            for name, module in ref_nets.items():
                module.load_state_dict(initial[name], strict=True)
            if method == 'dcdgan':
                patches['ref'] = FixedPatchIds(args.seed, num_patches)
                for name in ('head_a2b', 'head_b2a'):
                    patches['ref'].wrap(ref_nets[name], True)
            hooks = grad_recorder(list(ref.optimizers), ref_records)
            ref.set_input(batch64)
            ref.optimize_parameters()
            for h in hooks:
                h.remove()
        finally:
            torch.set_default_dtype(previous)
        ref_all = merge([{n: as_toolbox_keys(n, g) for n, g in r.items()}
                         for r in gather_grads(ref_records, ref_nets)])
        ref_weights = {n: {k: v.detach() for k, v in as_toolbox_keys(
            n, dict(m.named_parameters())).items()}
            for n, m in ref_nets.items()}

    # Loss terms.
    for key, (value, formed) in loss_pairs(method, off).items():
        if key not in logs:
            raise SetupError(f'the toolbox did not log {key}; logged: '
                             f'{sorted(logs)}')
        mine = float(torch.as_tensor(logs[key]).detach())
        rows.append((key, formed, mine, value, rel(mine, value)))

    # Gradients, per phase (each optimiser step) and network.
    tb_grads = gather_grads(tb_records, tb_nets)
    off_grads = [{n: as_toolbox_keys(n, g) for n, g in record.items()}
                 for record in gather_grads(off_records, off_nets)]
    phase_of = dict(generator_a2b='generator', generator_b2a='generator',
                    head_a2b='generator', head_b2a='generator',
                    discriminator_a='discriminator',
                    discriminator_b='discriminator')
    tb_all, off_all = merge(tb_grads), merge(off_grads)
    tapped = tuple(getattr(tb, 'nce_layers', ()))
    cancelled = {n: norm_cancelled_biases(
        m, tapped if n.startswith('generator') else ())
        for n, m in tb_nets.items()}
    grad_rows = []
    for name in net_map:
        if name not in tb_all or name not in off_all:
            side = 'toolbox' if name not in tb_all else 'official'
            raise SetupError(f'no gradient record of {name} on the {side} '
                             'side')
        res = compare_tensors(tb_all[name], off_all[name], cancelled[name])
        if ref_all is not None:
            # Each float32 side against the float64 official step.
            res['tb64'] = compare_tensors(tb_all[name], ref_all[name],
                                          cancelled[name])
            res['off64'] = compare_tensors(off_all[name], ref_all[name],
                                           cancelled[name])
        grad_rows.append((name, net_map[name], phase_of[name], res))
        rows.append((f'grad {name} ({phase_of[name]} step)',
                     f'net{net_map[name]}', float('nan'), res['norm_off'],
                     res['whole']))
    # Weights after the step.
    weight_rows = []
    for name, module in tb_nets.items():
        mine = {k: v.detach() for k, v in module.named_parameters()}
        theirs = {k: v.detach() for k, v in as_toolbox_keys(
            name, dict(off_nets[name].named_parameters())).items()}
        masks = {k: sign_settled(tb_all[name][k], off_all[name][k])
                 for k in mine
                 if tb_all[name][k] is not None and
                 off_all[name][k] is not None}
        unsettled = sum(int((~m).sum()) for k, m in masks.items()
                        if k not in cancelled[name])
        res = compare_tensors(mine, theirs, cancelled[name], masks)
        res['unsettled'] = unsettled
        res['elements'] = sum(v.numel() for k, v in mine.items()
                              if k not in cancelled[name])
        if ref_weights is not None:
            res['tb64'] = compare_tensors(mine, ref_weights[name],
                                          cancelled[name], masks)
            res['off64'] = compare_tensors(theirs, ref_weights[name],
                                           cancelled[name], masks)
        weight_rows.append((name, net_map[name], res))
        rows.append((f'weights {name} after the step', f'net{net_map[name]}',
                     float('nan'), res['norm_off'],
                     res['max_tensor_masked']))

    return dict(method=method, official_root=str(root),
                official_commit=official_commit(root), official_options=cmd,
                toolbox_config=args.config, shims=shims,
                settings=dict(ngf=args.ngf, ndf=args.ndf, blocks=args.blocks,
                              size=args.size, batch=1, seed=args.seed,
                              pool_size=0, torch=torch.__version__,
                              threads=torch.get_num_threads()),
                patch_calls=len(patches['tb'].drawn) if patches else 0,
                rows=rows, grads=grad_rows, weights=weight_rows)


def print_report(result: dict, tol: float) -> bool:
    print(f"method {result['method']}; official {result['official_root']} "
          f"@ {result['official_commit']}")
    print(f"official options: {result['official_options']}")
    print(f"toolbox config: {result['toolbox_config']} "
          f"(widths and pool overridden); settings: {result['settings']}")
    for shim in result['shims']:
        print(f'shim: {shim}')
    if result['patch_calls']:
        print(f"patch positions: {result['patch_calls']} fresh draws, "
              'identical on both sides')
    print()
    header = f"{'term':44s} {'official term':32s} {'toolbox':>13s} " \
             f"{'official':>13s} {'rel. diff':>10s}"
    print(header)
    print('-' * len(header))
    ok = True
    for term, formed, mine, theirs, diff in result['rows']:
        mine_s = '' if math.isnan(mine) else f'{mine:13.6e}'
        flag = '' if diff <= tol else '  <-- differs'
        ok &= diff <= tol
        print(f'{term:44s} {formed:32s} {mine_s:>13s} {theirs:13.6e} '
              f'{diff:10.2e}{flag}')
    print()
    print('Rows "grad": ||g_tb - g_off|| / ||g_off|| over the network. '
          'Rows "weights": the largest per-tensor difference over the '
          'elements whose gradient sign rounding cannot flip, conv biases '
          'cancelled by an instance norm excluded (details below).')
    print()
    print('gradients at each optimiser step, per network: whole = over the '
          'network; max = largest per tensor (abs/net: largest per-tensor '
          '||g_tb - g_off|| over the network\'s ||g_off||), conv biases '
          'cancelled by a following instance norm excluded (their exact '
          'gradient is 0; their share of ||g_off||, and their largest '
          'rel. diff, follow); [tensors / None on both sides / None on one '
          'side]')
    for name, official, phase, res in result['grads']:
        print(f"  {name:16s} net{official:4s} {phase:13s} "
              f"whole {res['whole']:.2e}  max {res['max_tensor']:.2e} "
              f"(abs/net {res['max_tensor_abs']:.1e})  "
              f"cancelled biases ({res['cancelled']}): share "
              f"{res['cancelled_share']:.1e}, max {res['max_cancelled']:.1e}"
              f"  [{res['tensors']}/{res['none_both']}/"
              f"{res['none_one_side']}]")
        ok &= res['none_one_side'] == 0
    if result['grads'] and 'tb64' in result['grads'][0][3]:
        print('the same gradients against the official step in float64: '
              'toolbox (float32) vs official (float32); whole / max per '
              'tensor (cancelled biases excluded)')
        for name, official, phase, res in result['grads']:
            a, b = res['tb64'], res['off64']
            close = a['whole'] <= max(10 * b['whole'], tol) and \
                a['max_tensor'] <= max(10 * b['max_tensor'], tol)
            ok &= close
            print(f"  {name:16s} net{official:4s} toolbox "
                  f"{a['whole']:.2e} / {a['max_tensor']:.2e}   official "
                  f"{b['whole']:.2e} / {b['max_tensor']:.2e}"
                  f"{'' if close else '  <-- toolbox further off'}")
    print('weights after the step: whole = over the network; max = largest '
          'per tensor, cancelled biases excluded; settled = the same over '
          'the elements whose gradient sign rounding cannot flip '
          '(|g_off| > 10 |g_tb - g_off|: Adam\'s first step moves each '
          'weight by about lr * sign(g)), and the count of the others')
    for name, official, res in result['weights']:
        print(f"  {name:16s} net{official:4s} whole {res['whole']:.2e}  "
              f"max {res['max_tensor']:.2e}  settled "
              f"{res['max_tensor_masked']:.2e}  sign unsettled "
              f"{res['unsettled']}/{res['elements']}  cancelled biases max "
              f"{res['max_cancelled']:.1e}")
    if result['weights'] and 'tb64' in result['weights'][0][2]:
        print('the same weights against the official step in float64 '
              '(settled elements): toolbox vs official')
        for name, official, res in result['weights']:
            print(f"  {name:16s} net{official:4s} toolbox "
                  f"{res['tb64']['max_tensor_masked']:.2e}   official "
                  f"{res['off64']['max_tensor_masked']:.2e}")
    print()
    print(f'all within {tol:g}: {ok}')
    return ok


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='One training step of the toolbox CycleGAN / DCD-GAN '
        'against the official code (see the module docstring).')
    parser.add_argument('--method', required=True,
                        choices=('cyclegan', 'dcdgan'))
    parser.add_argument('--official', required=True,
                        help='path of the official checkout')
    parser.add_argument('--config', default=None,
                        help='toolbox config (default per method)')
    parser.add_argument('--ngf', type=int, default=16)
    parser.add_argument('--ndf', type=int, default=16)
    parser.add_argument('--blocks', type=int, default=6,
                        choices=sorted(NET_BLOCKS))
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--tol', type=float, default=1e-5,
                        help='largest relative difference counted as '
                        'float rounding')
    parser.add_argument('--no-reference64', dest='reference64',
                        action='store_false',
                        help='skip the float64 run of the official step '
                        '(the rounding reference)')
    parser.add_argument('--upsample-by-filter', action='store_true',
                        help='diagnostic: the toolbox BlurUpsample2d runs its '
                        'transposed-convolution definition (the official '
                        'operation) instead of the equivalent bilinear '
                        'interpolation it uses for speed')
    parser.add_argument('--json', default=None,
                        help='also write the result to this JSON file')
    args = parser.parse_args(argv)
    args.config = args.config or DEFAULT_CONFIGS[args.method]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except SetupError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    ok = print_report(result, args.tol)
    if args.json:
        serial = dict(result, grads=[(n, o, p, r)
                                     for n, o, p, r in result['grads']])
        Path(args.json).write_text(json.dumps(serial, indent=1,
                                              default=str))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
