"""Does ``--amp`` pay where it is chosen automatically? Per config, at the
config's own training crop.

For each config, one training step (the model's ``train_step`` with its
optimiser wrappers, random batch and weights, as ``bench_models.py``) at
the config's own batch and crop, in float32, in bfloat16 autocast +
channels_last (what ``--amp`` runs on a CPU with native bfloat16 when it
pays), and in what ``toolbox.app.amp_choice.choose_amp`` picks for the
config on this machine. The check fails (``--check``: exit status 1) where
the automatic choice is slower than float32 eager.

Paper configs train batches of 16 at 256², minutes per step on a CPU: they
run at their crop with the batch cut to the pixels of one 256² image per
8 cores, as the models table does (said in the table).

    python benchmarks/bench_amp_choice.py [--configs A.py B.py] [--check]

Also ``benchmarks/run_all.py --only amp``.
"""
import argparse
import os
import sys
from typing import List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MessageHub, MMLogger  # noqa: E402

from toolbox.app.amp_choice import (choose_amp, model_key,  # noqa: E402
                                    train_size)

from _timing import (fmt_ratio, interleaved_medians,  # noqa: E402
                     machine_line, markdown_table)

#: The configs a user trains first (the demos: every model kind at its demo
#: crop) and one paper config per model kind.
DEMO_CONFIGS = [
    'configs/demo/tiny_restorer.py',
    'configs/fdrnet/dncnn_demo.py',
    'configs/fdrnet/fdrnet_demo.py',
    'configs/uniremoval/teacher_derain_demo.py',
    'configs/uniremoval/kt_mprnet_demo.py',
    'configs/uniremoval/da_mprnet_demo.py',
    'configs/cyclegan/cyclegan_demo.py',
    'configs/dcdgan/dcdgan_demo.py',
]
PAPER_CONFIGS = [
    'configs/mprnet/mprnet_derain_rain13k.py',
    'configs/uniremoval/kt_mprnet.py',
    'configs/uniremoval/da_mprnet.py',
    'configs/fdrnet/fdrnet_did_hy.py',
    'configs/cyclegan/cyclegan_resnet9_unpaired.py',
    'configs/dcdgan/dcdgan_rain800.py',
]
#: Uni-Removal KT batches need one sample per degradation.
MIN_BATCH = {'UniRemovalKT': 3}


def measured_size(cfg: Config, cap_pixels: bool):
    """(batch, crop, note) the benchmark trains ``cfg`` at."""
    size = train_size(cfg)
    if size is None:
        return None
    batch, crop = size
    note = ''
    if cap_pixels:
        budget = 256 * 256 * max(1, (os.cpu_count() or 1) // 8)
        floor = MIN_BATCH.get(cfg.model.type, 1)
        capped = max(floor, min(batch, budget // (crop * crop)))
        if capped < batch:
            note = f' (config: {batch})'
            batch = capped
    return batch, crop, note


def _with_size(cfg: Config, batch: int, crop: int) -> Config:
    """``cfg`` training ``batch`` crops of ``crop``² (for the choice)."""
    cfg = cfg.copy()
    cfg.train_dataloader.batch_size = batch

    def set_crop(node):
        if isinstance(node, dict):
            if 'crop_size' in node:
                node['crop_size'] = crop
            for value in node.values():
                set_crop(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                set_crop(value)
    set_crop(cfg.train_dataloader)
    return cfg


def run(configs: List[str], steps: int, warmup: int, paper_cap: bool = True,
        crops: Optional[List[int]] = None):
    """The table, and the configs whose automatic choice lost to float32.

    ``crops``: measure each config at these crops (its own batch) instead
    of its own crop: the sweep that sets ``CPU_BF16_MIN_PIXELS``.
    """
    import bench_models  # the model cases of the models table
    MessageHub.get_instance('bench_amp_choice')
    rows, slower = [], []
    sizes = []
    for path in configs:
        cfg = Config.fromfile(path)
        size = measured_size(cfg, cap_pixels=paper_cap)
        if size is None:
            rows.append([f'`{path}`', model_key(cfg.model), 'whole images',
                         '', '', '', '', '', 'not measured'])
            continue
        batch, crop, note = size
        for c in crops or [crop]:
            sizes.append((path, cfg, batch, c, note if c == crop else ''))
    for path, cfg, batch, crop, note in sizes:
        # The choice for the size measured: a capped paper batch is what
        # the table's ratio describes.
        choice = choose_amp(_with_size(cfg, batch, crop))
        variants = {'float32': (None, False),
                    'bf16 + channels_last': (torch.bfloat16, True)}
        chosen = 'float32'
        if choice.enabled and choice.dtype == 'bfloat16':
            chosen = ('bf16 + channels_last' if choice.channels_last
                      else 'bf16')
            variants.setdefault(chosen, (torch.bfloat16,
                                         choice.channels_last))
        cases = {name: bench_models.ModelCase(path, 'cpu', batch, crop,
                                              dtype, cl)
                 for name, (dtype, cl) in variants.items()}
        steps_fns = {n: c.step for n, c in cases.items()}
        times = interleaved_medians(steps_fns, 'cpu', warmup, steps)
        if times['float32'] < 1.0:
            # Steps of a fraction of a second vary by ±15 % here: three
            # times the steps for a median that a check can rely on.
            times = interleaved_medians(steps_fns, 'cpu', 0, 3 * steps)
        base = times['float32']
        ratio = base / times[chosen]
        ok = chosen == 'float32' or ratio >= 1.0
        if not ok:
            slower.append(path)
        rows.append([
            f'`{path}`', model_key(cfg.model), f'{batch}×{crop}²{note}',
            f'{base:.3f}', f'{times["bf16 + channels_last"]:.3f}',
            fmt_ratio(base / times['bf16 + channels_last']), chosen,
            fmt_ratio(ratio), 'met' if ok else '**slower than float32**'])
        del cases
    header = ['config', 'model', 'batch × crop', 'float32 (s)',
              'bf16 + cl (s)', 'bf16 + cl vs float32', '`--amp` chooses',
              'chosen vs float32', '≥ 1.0×']
    table = markdown_table(header, rows, ['---', '---', '---', '---:',
                                          '---:', '---:', '---', '---:',
                                          '---'])
    return table, slower


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--configs', nargs='+', default=None,
                        help='configs to measure (default: the demo configs '
                        'and, without --quick, one paper config per model)')
    parser.add_argument('--quick', action='store_true',
                        help='the demo configs only')
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--crops', type=int, nargs='+', default=None,
                        help='measure each config at these crops (its own '
                        'batch): the sweep behind toolbox.app.amp_choice')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--check', action='store_true',
                        help='exit 1 when an automatic choice is slower '
                        'than float32')
    return parser.parse_args(argv)


def default_configs(quick: bool) -> List[str]:
    return DEMO_CONFIGS + ([] if quick else PAPER_CONFIGS)


def main(argv=None):
    args = parse_args(argv)
    os.chdir(os.path.dirname(HERE))
    if args.threads:
        torch.set_num_threads(args.threads)
    MMLogger.get_instance('bench_amp_choice', log_level='WARNING')
    print(machine_line('cpu'), flush=True)
    table, slower = run(args.configs or default_configs(args.quick),
                        args.steps, args.warmup, crops=args.crops)
    print(table)
    if slower:
        print(f'\nbench_amp_choice: --amp chooses a precision slower than '
              f'float32 for {", ".join(slower)}', flush=True)
        if args.check:
            sys.exit(1)


if __name__ == '__main__':
    main()
