"""Images per second of the training data pipeline, folders vs LMDB.

Generates paired 512² PNGs in a temporary folder (and packs them with
``toolbox.datasets.lmdb_utils.create_lmdb``, what ``tools/create_lmdb.py``
runs), then iterates the training DataLoader of the paper pipelines
(``configs/_base_/datasets/paired_train_pipeline.py``: load both images,
a paired 256² random crop, flips, packing) with 0, 2 and 4 workers. The
rate is compared with what a training step consumes (the models section
of the same run; a GPU step's rate where a GPU table exists).

Run through ``benchmarks/run_all.py`` (``--only data``).
"""
import os
import shutil
import tempfile
import time

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from toolbox.datasets.lmdb_utils import create_lmdb

from _timing import markdown_table

#: Achieved GPU throughput assumed for the GPU-step estimate on a machine
#: without a GPU (FLOP/s).
GPU_ASSUMED_FLOPS = 100e12
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_images(root: str, count: int, size: int = 512) -> None:
    rng = np.random.default_rng(0)
    for sub in ('input', 'target'):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    base = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
    for i in range(count):
        # Smooth content plus noise: PNG sizes like photographs'.
        clean = cv2.resize(np.roll(base, i, axis=0), (size, size),
                           interpolation=cv2.INTER_CUBIC)
        noisy = np.clip(clean + rng.normal(0, 12, clean.shape), 0, 255)
        cv2.imwrite(os.path.join(root, 'target', f'{i:04d}.png'), clean)
        cv2.imwrite(os.path.join(root, 'input', f'{i:04d}.png'),
                    noisy.astype(np.uint8))


def loader(root, prefix, workers, batch, crop):
    pipeline = Config.fromfile(os.path.join(
        REPO, 'configs/_base_/datasets/paired_train_pipeline.py'))
    steps = [dict(t) for t in pipeline.train_pipeline]
    for t in steps:
        if t['type'] == 'PairedRandomCrop':
            t['crop_size'] = crop
    return Runner.build_dataloader(dict(
        batch_size=batch, num_workers=workers,
        persistent_workers=workers > 0,
        sampler=dict(type='InfiniteSampler', shuffle=True),
        dataset=dict(type='PairedImageDataset', data_root=root,
                     data_prefix=prefix, pipeline=steps)), seed=0)


def images_per_second(dataloader, batches: int) -> float:
    it = iter(dataloader)
    next(it)  # worker start-up, first file opens
    start = time.perf_counter()
    count = 0
    for _ in range(batches):
        count += len(next(it)['inputs'])
    return count / (time.perf_counter() - start)


def run(args) -> str:
    init_default_scope('toolbox')
    quick = args.quick
    count = args.data_images or (64 if quick else 300)
    batch, crop = 4, 256
    batches = 8 if quick else 30
    tmp = tempfile.mkdtemp(prefix='bench_data_')
    try:
        write_images(tmp, count)
        for sub in ('input', 'target'):
            create_lmdb(os.path.join(tmp, sub),
                        os.path.join(tmp, f'{sub}.lmdb'), progress=False)
        sources = {
            'folder (PNG)': dict(img='input', gt='target'),
            'LMDB (tools/create_lmdb.py)': dict(img='input.lmdb',
                                                gt='target.lmdb'),
        }
        rates = {}
        # Worker processes first: once the main process has read an LMDB,
        # a forked worker cannot open it again (py-lmdb: "already open in
        # this process").
        for workers in (4, 2, 0):
            for name, prefix in sources.items():
                dl = loader(tmp, prefix, workers, batch, crop)
                rates[(name, workers)] = images_per_second(dl, batches)
                del dl
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    need = getattr(args, 'consumption', None)
    if not need:  # --only data: the rates of the last models section
        from bench_models import load_consumption
        need = load_consumption()
    rows = []
    for (name, workers), rate in sorted(rates.items(),
                                        key=lambda kv: kv[0][1]):
        rows.append([name, str(workers), f'{rate:.1f}'])
    table = markdown_table(['source', 'workers', 'images/s (256² pairs)'],
                           rows, ['---', '---:', '---:'])
    lines = [f'{count} generated 512² PNG pairs, batch {batch}, paired '
             f'{crop}² random crops + flips (the paper pipelines), '
             f'{batches} batches after the first; {os.cpu_count()} CPU '
             'cores.', '', table, '']
    best = max(rates.values())
    lines.append(f'Best loader: {best:.1f} images/s. What the training steps '
                 'consume, per 256² image (a step measured at a smaller '
                 'crop is scaled by the pixels):')
    lines.append('')
    rows = []
    for model, c in need.items():
        rate_256 = c['rate'] * (c['crop'] / 256) ** 2
        gpu = GPU_ASSUMED_FLOPS / c['flops_256']
        if args.device == 'cuda':
            gpu_text, ok = f'{rate_256:.1f} (measured)', best >= 5 * rate_256
            need_rate = rate_256
        else:
            gpu_text, ok, need_rate = f'~{gpu:.0f} (estimate)', \
                best >= 5 * gpu, gpu
        rows.append([model, f'{rate_256:.3f}' if args.device == 'cpu' else
                     '', gpu_text, f'{best / need_rate:.1f}×',
                     'met' if ok else '**not met**'])
    if rows:
        lines.append(markdown_table(
            ['model', 'CPU step (images/s at 256²)',
             'GPU step (images/s at 256²)', 'loader / GPU step',
             'target loader ≥ 5× GPU step'], rows,
            ['---', '---:', '---:', '---:', '---']))
        if args.device != 'cuda':
            lines += ['', f'No GPU in this run: the GPU step is estimated as '
                      f'{GPU_ASSUMED_FLOPS / 1e12:.0f} TFLOP/s achieved '
                      '(bfloat16/float16, about a tenth of an H100/H200 '
                      "dense peak) divided by the model's counted FLOPs per "
                      '256² image; `run_all.py --device cuda` measures it.']
    return '\n'.join(lines)
