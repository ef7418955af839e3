"""Training-step speed of every paper model, per precision, with FLOP/s.

Each model is built from its config (teachers, VGG and KT student with
random weights: timings do not depend on weight values) and trained with
its own ``train_step`` and optimiser wrapper(s) on a random batch, in
float32, float32 + channels_last, AMP (bfloat16 autocast on CPU; float16
and bfloat16 on GPU, through :class:`MixedPrecisionOptimWrapper` as
``tools/train.py --amp`` does) and AMP + channels_last. All variants of one
model run in turn, step by step (``_timing.interleaved_medians``).

Run through ``benchmarks/run_all.py`` (``--only models``).
"""
import copy
import json
import os
import tempfile
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from toolbox.app.runner_setup import enable_amp
from toolbox.registry import MODELS
from toolbox.structures import RestorationSample

from _timing import (count_flops, fmt_ratio, gflops, interleaved_medians,
                     markdown_table, verdict)

#: name, config, the paper's crop and batch.
PAPER_MODELS = [
    ('MPRNet deraining', 'configs/mprnet/mprnet_derain_rain13k.py', 256, 16),
    ('MPRNet deblurring', 'configs/mprnet/mprnet_deblur_gopro.py', 256, 16),
    ('MPRNet denoising', 'configs/mprnet/mprnet_denoise_sidd.py', 128, 16),
    ('Uni-Removal KT', 'configs/uniremoval/kt_mprnet.py', 256, 16),
    ('Uni-Removal DA', 'configs/uniremoval/da_mprnet.py', 256, 16),
    ('FDR-Net', 'configs/fdrnet/fdrnet_did_hy.py', 63, 28),
    ('CycleGAN', 'configs/cyclegan/cyclegan_resnet9_unpaired.py', 256, 1),
    ('DCD-GAN', 'configs/dcdgan/dcdgan_rain800.py', 256, 1),
]
LABELS = ('haze', 'rain', 'blur')


def precision_modes(device: str) -> List[tuple]:
    """(name, AMP dtype or None, channels_last)."""
    modes = [('float32', None, False), ('float32 + channels_last', None, True)]
    amp = [torch.float16, torch.bfloat16] if device == 'cuda' \
        else [torch.bfloat16]
    for dtype in amp:
        short = 'fp16' if dtype is torch.float16 else 'bf16'
        modes += [(f'AMP {short}', dtype, False),
                  (f'AMP {short} + channels_last', dtype, True)]
    return modes


def _random_weights(cfg):
    """No checkpoint files: random teachers, students and VGG."""
    if isinstance(cfg, dict):
        if cfg.get('type') == 'VGG19FeatureExtractor':
            cfg['pretrained'] = None
        if cfg.get('type') == 'UniRemovalKT':
            for teacher in cfg['teachers'].values():
                teacher['checkpoint'] = None
            cfg['allow_random_teachers'] = True
        if cfg.get('type') == 'UniRemovalDA':
            cfg['student_checkpoint'] = None
        for value in cfg.values():
            _random_weights(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _random_weights(value)


def batch_for(model_type: str, batch: int, crop: int, seed: int = 0) -> dict:
    """A random batch of what ``model_type``'s dataset yields."""
    g = torch.Generator().manual_seed(seed)
    rand = lambda: torch.rand(3, crop, crop, generator=g) * 255  # noqa
    inputs, samples = [], []
    for i in range(batch):
        sample = RestorationSample(
            metainfo=dict(degradation=LABELS[i % len(LABELS)]))
        if model_type in ('CycleGAN', 'DCDGAN', 'UniRemovalDA'):
            sample.ref_img = rand()
        else:
            sample.gt_img = rand()
        inputs.append(rand())
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


class ModelCase:
    """One paper model in one precision mode, ready to ``step()``."""

    def __init__(self, config: str, device: str, batch: int, crop: int,
                 amp_dtype: Optional[torch.dtype], channels_last: bool):
        init_default_scope('toolbox')
        cfg = Config.fromfile(config)
        model_cfg = copy.deepcopy(cfg.model.to_dict())
        _random_weights(model_cfg)
        model_cfg.setdefault('data_preprocessor', {})
        model_cfg['data_preprocessor']['channels_last'] = channels_last
        torch.manual_seed(0)
        self.model = MODELS.build(model_cfg).to(device)
        if hasattr(self.model, 'init_weights'):
            self.model.init_weights()
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        optim_cfg = Config(dict(optim_wrapper=copy.deepcopy(
            cfg.optim_wrapper.to_dict())))
        if amp_dtype is not None:
            enable_amp(optim_cfg, str(amp_dtype).replace('torch.', ''))
        self.optim = build_optim_wrapper(self.model, optim_cfg.optim_wrapper)
        self.data = batch_for(model_cfg['type'], batch, crop)
        if device == 'cuda':
            self.data['inputs'] = [x.cuda() for x in self.data['inputs']]
            for s in self.data['data_samples']:
                for key in ('gt_img', 'ref_img'):
                    if key in s:
                        s.set_field(s.get(key).cuda(), key)
        self.params = sum(p.numel() for p in self.model.parameters())

    def step(self):
        self.model.train_step(self.data, self.optim)


CONSUMPTION_FILE = os.path.join(tempfile.gettempdir(),
                                'toolbox_run_all_consumption.json')


def save_consumption(consumption: dict) -> None:
    """Keep the step rates for a later ``--only data`` run."""
    with open(CONSUMPTION_FILE, 'w') as f:
        json.dump(consumption, f)


def load_consumption() -> dict:
    try:
        with open(CONSUMPTION_FILE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def sizes(args, paper_crop: int, paper_batch: int, min_batch: int = 1):
    """(crop, batch) this run uses for a model."""
    if getattr(args, 'crop', None) or getattr(args, 'batch', None):
        return (args.crop or paper_crop, args.batch or 1)
    if args.quick:
        # GANs: PatchNCE samples 256 positions of 1/4-size feature maps.
        crop = 64 if paper_batch == 1 else 32
        return crop, 3 if paper_batch > 1 else 1
    if args.device == 'cuda':
        return paper_crop, paper_batch
    # The paper's crop, with a batch scaled to the CPU: the pixels of one
    # 256² image per 8 cores (a float32 MPRNet deblurring step at 256² is
    # 4.6 TFLOP, half a minute on 2 cores), so 4 crops of 128² or 16 of
    # 63², never more than the paper's batch.
    pixels = 256 * 256 * max(1, (os.cpu_count() or 1) // 8)
    return paper_crop, max(min_batch,
                           min(paper_batch, pixels // paper_crop ** 2))


def run(args, ceilings: Dict[str, float]) -> str:
    """The models table; ``ceilings``: GFLOP/s per dtype name."""
    MessageHub.get_instance('bench_models')
    rows, notes = [], []
    modes = precision_modes(args.device)
    for name, config, paper_crop, paper_batch in PAPER_MODELS:
        # KT: one sample per degradation, so that all three teachers run.
        min_batch = len(LABELS) if 'KT' in name else 1
        if args.models and not any(m.lower() in name.lower()
                                   for m in args.models):
            continue
        crop, batch = sizes(args, paper_crop, paper_batch, min_batch)
        try:
            cases = {mode: ModelCase(config, args.device, batch, crop, dtype,
                                     cl)
                     for mode, dtype, cl in modes}
            first = cases[modes[0][0]]
            flops = count_flops(first.step)
            if args.device == 'cuda':
                torch.cuda.reset_peak_memory_stats()
            times = interleaved_medians(
                {m: c.step for m, c in cases.items()}, args.device,
                args.warmup, args.steps)
        except Exception as error:  # one model must not lose the others
            import traceback
            traceback.print_exc()
            rows.append([name, 'failed', '', '', '', '', '',
                         f'`{type(error).__name__}: {error}`'[:200]])
            continue
        memory = (f', peak {torch.cuda.max_memory_allocated() / 2**30:.1f} '
                  'GiB' if args.device == 'cuda' else '')
        base = times['float32']
        fastest = min(times, key=times.get)
        if not hasattr(args, 'consumption'):
            args.consumption = {}
        # Images per second, and work per 256² image (step time and FLOPs
        # grow with the pixels), for the data section.
        args.consumption[name] = dict(
            rate=batch / times[fastest], crop=crop,
            where=f'{args.device} {fastest}, {batch}×{crop}²',
            flops_256=flops / batch * (256 / crop) ** 2)
        for mode, dtype, cl in modes:
            t = times[mode]
            ceiling = ceilings.get(
                'float32' if dtype is None else str(dtype).split('.')[-1])
            rate = gflops(flops, t)
            speedup = base / t
            target = ''
            if dtype is not None:
                want = 2.0 if args.device == 'cuda' else 1.8
                target = (f'≥ {want}× float32: ' + verdict(
                    speedup >= want, 'see below'))
            rows.append([
                name if mode == 'float32' else '', mode,
                f'{batch}×{crop}²' if mode == 'float32' else '',
                f'{t:.3f}', f'{rate:.1f}',
                f'{100 * rate / ceiling:.0f} %' if ceiling else 'n/a',
                fmt_ratio(speedup), target])
        notes.append(f'{name}: {first.params / 1e6:.2f} M parameters, '
                     f'{flops / 1e9:.1f} GFLOP per step at {batch}×{crop}² '
                     f'(paper: {paper_batch}×{paper_crop}²){memory}')
        del cases, first
    save_consumption(args.consumption if hasattr(args, 'consumption')
                     else {})
    header = ['model', 'precision', 'batch × crop', 'step (s)', 'GFLOP/s',
              'of ceiling', 'vs float32', 'target']
    table = markdown_table(header, rows, ['---', '---', '---', '---:',
                                          '---:', '---:', '---:', '---'])
    return table + '\n\n' + '\n'.join(f'- {n}' for n in notes)
