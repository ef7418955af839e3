"""Train a model from a config: ``python tools/train.py CONFIG [options]``."""
import argparse

from mmengine.runner import find_latest_checkpoint

from toolbox.app.amp_choice import choose_amp
from toolbox.app.errors import run_tool
from toolbox.engine.resume_schedule import ensure_resume_schedule_hook
from toolbox.app.runner_setup import (add_common_arguments, enable_amp,
                                      load_config)
from toolbox.app.runs import train_from_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='training config file')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CKPT',
        help='resume from CKPT, or from the latest checkpoint in the work '
        'dir when no path is given')
    parser.add_argument(
        '--resume-schedule', choices=['config', 'checkpoint', 'stop'],
        default='config',
        help="when the config's learning-rate schedule differs from the "
        "resumed checkpoint's (e.g. a longer train_cfg.max_iters): take the "
        "config's from the current rate on (default), keep the "
        "checkpoint's, or stop (docs/reliability.md)")
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: float16 with loss scaling on GPUs; on CPUs '
        'bfloat16 autocast + channels_last where measured faster than '
        'float32 for the model and crop (toolbox.app.amp_choice), '
        'float32 elsewhere')
    parser.add_argument(
        '--amp-dtype', choices=['float16', 'bfloat16'], default=None,
        help='force the autocast dtype of --amp (overrides the measured '
        'choice)')
    parser.add_argument(
        '--channels-last', action=argparse.BooleanOptionalAction,
        default=None,
        help='run the model in channels_last memory format (default: on '
        'where --amp trains in bfloat16 on a CPU, where it is measured '
        'faster; off otherwise)')
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.amp_dtype and not args.amp:
        parser.error('--amp-dtype sets the dtype of --amp: give --amp too')
    return args


def main():
    args = parse_args()
    cfg = load_config(args.config, args)
    channels_last = args.channels_last  # None: the config decides
    if args.amp:
        choice = choose_amp(cfg, args.amp_dtype)
        print(f'tools/train.py: --amp: {choice.reason}', flush=True)
        if choice.enabled:
            # The wrapper picks the dtype itself unless forced, so that the
            # dumped config stays right on another machine.
            enable_amp(cfg, args.amp_dtype)
        if channels_last is None and choice.channels_last:
            channels_last = True
            print('tools/train.py: --amp trains in bfloat16 on this CPU, '
                  'in channels_last too (measured faster; '
                  '--no-channels-last turns it off)', flush=True)
    if channels_last is not None:  # --no-channels-last overrides a config
        cfg.model.setdefault('data_preprocessor',
                             {})['channels_last'] = channels_last
    if args.resume == 'auto':
        if find_latest_checkpoint(cfg.work_dir) is None:
            print(f'tools/train.py: --resume: no checkpoint in {cfg.work_dir}'
                  ' (no last_checkpoint there): starting from scratch',
                  flush=True)
            cfg.resume, cfg.load_from = False, None
        else:
            cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if cfg.resume:
        ensure_resume_schedule_hook(cfg, args.resume_schedule)
    train_from_config(cfg, 'tools/train.py')


if __name__ == '__main__':
    run_tool(main, 'tools/train.py')
