"""Time one Uni-Removal knowledge-transfer step against a naive one.

UniRemovalKT groups a batch by degradation label and runs each teacher once,
on its own samples only. The naive alternative runs every teacher on every
sample and keeps, per sample, the output of its own teacher (same losses,
``num_teachers`` times the teacher work). Both run the same full training
step (teachers, student forward/backward, losses, Adam step) on the same
random batch; the table reports the median time per step.

    python benchmarks/bench_kt_step.py                   # demo-size MPRNet
    python benchmarks/bench_kt_step.py --net deraining --crop 128 --batch 6
    python benchmarks/bench_kt_step.py --write docs/benchmarks.md

Teachers and VGG have random weights (no files needed); timings do not
depend on weight values. ``--write`` replaces the table between the
``bench_kt_step`` markers of a markdown file (results: docs/benchmarks.md).
"""
import argparse
import statistics
import time
import types

import torch
from mmengine.optim import OptimWrapper

from toolbox.models.algorithms.restorer import as_stage_list
from toolbox.models.data_preprocessor import convert_range
from toolbox.registry import MODELS
from toolbox.structures import RestorationSample

# benchmarks/_report.py: the script's folder is first on sys.path.
from _report import cpu_name, write_section  # noqa: E402

NETS = {
    'demo': dict(type='MPRNet', variant=None, n_feat=16, scale_unetfeats=8,
                 scale_orsnetfeats=8, num_cab=2),
    'deraining': dict(type='MPRNet', variant='deraining'),
}
LABELS = ('haze', 'rain', 'blur')


@torch.no_grad()
def naive_run_teachers(self, inputs, labels, with_features=False):
    """Every teacher on the whole batch; each sample keeps its teacher's."""
    results = {}
    for label, network in self.teachers.items():
        cfg = self.teacher_cfgs[label]
        x = convert_range(inputs, self.value_range, cfg['value_range'])
        if with_features:
            outputs, feats = network(x, return_features=True)
        else:
            outputs, feats = network(x), {}
        image = convert_range(as_stage_list(outputs)[0], cfg['value_range'],
                              self.value_range)
        results[label] = (image, feats)
    rows = range(len(labels))
    restored = torch.stack([results[labels[i]][0][i] for i in rows])
    features = {}
    if with_features:
        for key in self.feature_keys:
            features[key] = torch.stack(
                [results[labels[i]][1][key][i] for i in rows])
    return restored, features


def build_model(net: str, icl: bool, fcl: bool,
                frozen_precision: str = 'float32'):
    generator = NETS[net]
    image_loss = dict(
        type='ImageContrastiveLoss', loss_weight=0.1, temperature=1e-6,
        embedding=dict(type='VGG19FeatureExtractor', pretrained=None))
    return MODELS.build(dict(
        type='UniRemovalKT',
        student=generator,
        teachers={label: dict(model=generator, checkpoint=None)
                  for label in LABELS},
        allow_random_teachers=True,  # timings do not depend on weights
        frozen_precision=frozen_precision,
        feature_loss=dict(type='FeatureContrastiveLoss', loss_weight=0.5,
                          temperature=1e-6) if fcl else None,
        image_loss=image_loss if icl else None,
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               value_range='[-1,1]')))


VARIANTS = {
    # name: (teacher pass, frozen_precision)
    'naive': ('naive', 'float32'),
    'grouped': ('grouped', 'float32'),
    'grouped_low': ('grouped', 'auto'),
}
VARIANT_NAMES = {
    'naive': 'naive (every teacher on every sample, float32)',
    'grouped': 'grouped, float32 teachers (before this change)',
    'grouped_low': 'grouped, teachers + ICL φ branch in {dtype} + '
                   'channels_last (frozen_precision=auto)',
}


def setup(net, batch, crop, icl=True, device='cpu'):
    """Models of every variant (same weights) and one random batch."""
    models = {}
    for name, (teacher_pass, precision) in VARIANTS.items():
        torch.manual_seed(0)
        model = build_model(net, icl=icl, fcl=True,
                            frozen_precision=precision).to(device)
        model.load_teachers()
        use_variant(model, teacher_pass)
        models[name] = (model, OptimWrapper(
            torch.optim.Adam(model.parameters(), lr=1e-4)))
    labels = [LABELS[i % len(LABELS)] for i in range(batch)]
    pixels = torch.rand(batch, 3, crop, crop) * 255
    samples = [RestorationSample(metainfo=dict(degradation=label))
               for label in labels]
    data = dict(inputs=list(pixels.to(device)), data_samples=samples)
    return models, labels, data


def profile_table(model, optim, data, rows=12) -> str:
    """Top operators of one training step by self CPU time."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if torch.cuda.is_available():
        activities.append(ProfilerActivity.CUDA)
    model.train_step(data, optim)  # warm
    with profile(activities=activities) as prof:
        model.train_step(data, optim)
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total,
                    reverse=True)
    total = sum(e.self_cpu_time_total for e in events) or 1
    lines = ['| operator | calls | self CPU (ms) | share |',
             '| --- | ---: | ---: | ---: |']
    for e in events[:rows]:
        lines.append(f'| `{e.key}` | {e.count} | '
                     f'{e.self_cpu_time_total / 1e3:.1f} | '
                     f'{100 * e.self_cpu_time_total / total:.0f} % |')
    return '\n'.join(lines)


def run_all_section(args) -> str:
    """The KT table for benchmarks/run_all.py: three variants in turn."""
    from _timing import interleaved_medians
    quick = args.quick and args.device == 'cpu'
    net, batch, crop = ('demo', 6, 64) if quick else (
        ('deraining', 6, 128) if args.device == 'cpu' else
        ('deraining', 16, 256))
    models, labels, data = setup(net, batch, crop, device=args.device)
    low = models['grouped_low'][0].frozen_dtype(torch.device(args.device))
    low_name = str(low).split('.')[-1] if low else 'float32'

    def teacher_pass(model, data=data):
        inputs = model.data_preprocessor(data, True)['inputs']
        return lambda: model.run_teachers(inputs, labels, with_features=True)

    fns = {}
    for name, (model, optim) in models.items():
        fns[f'{name}/teachers'] = teacher_pass(model)
        fns[f'{name}/step'] = (lambda m=model, o=optim:
                               m.train_step(data, o))
    times = interleaved_medians(fns, args.device, args.warmup, args.steps)
    # The low-precision teachers restore what the float32 ones do.
    inputs = models['grouped'][0].data_preprocessor(data, True)['inputs']
    ref = models['grouped'][0].run_teachers(inputs, labels)[0]
    got = models['grouped_low'][0].run_teachers(inputs, labels)[0]
    error = (got - ref).abs().max().item()
    rows = []
    for name in VARIANTS:
        rows.append(f'| {VARIANT_NAMES[name].format(dtype=low_name)} | '
                    f'{times[name + "/teachers"]:.3f} | '
                    f'{times[name + "/step"]:.3f} | '
                    f'{times["naive/step"] / times[name + "/step"]:.2f}× |')
    before, after = times['grouped/step'], times['grouped_low/step']
    met = after <= before * 1.02
    table = '\n'.join([
        f'{args.device}, {torch.get_num_threads()} thread(s); {net} MPRNet '
        f'student and 3 teachers, batch {batch} × {crop}² (balanced labels),'
        f' FCL + ICL (VGG-19), student in float32; median of {args.steps} '
        f'steps, variants in turn.',
        '',
        '| variant | teachers only (s) | full train step (s) | '
        'step speed-up vs naive |',
        '| --- | ---: | ---: | ---: |',
        *rows,
        '',
        f'Low-precision teachers vs float32 teachers: teacher pass '
        f'{times["grouped/teachers"] / times["grouped_low/teachers"]:.2f}×, '
        f'step {before / after:.2f}× (target: not slower, '
        f'{"met" if met else "**not met**"}); largest difference of the '
        f'restored teacher images {error:.3g} (images in [-1, 1]).',
        '',
        f'Profile of one step (grouped, {low_name} teachers), top operators '
        'by self CPU time:',
        '',
        profile_table(*models['grouped_low'], data),
    ])
    return table


def timed(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def use_variant(model, name: str) -> None:
    """Switch ``model`` between the grouped and the naive teacher pass."""
    if name == 'naive':
        model.run_teachers = types.MethodType(naive_run_teachers, model)
    elif 'run_teachers' in vars(model):
        del model.run_teachers


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--net', choices=sorted(NETS), default='demo')
    parser.add_argument('--batch', type=int, default=6)
    parser.add_argument('--crop', type=int, default=64)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--no-icl', action='store_true')
    parser.add_argument('--write', metavar='MARKDOWN',
                        help='put the table into this file (between the '
                        'bench_kt_step markers)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build_model(args.net, icl=not args.no_icl, fcl=True)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device)
    model.load_teachers()
    labels = [LABELS[i % len(LABELS)] for i in range(args.batch)]
    pixels = torch.rand(args.batch, 3, args.crop, args.crop) * 255
    samples = [RestorationSample(metainfo=dict(degradation=label))
               for label in labels]
    data = dict(inputs=list(pixels), data_samples=samples)
    inputs = model.data_preprocessor(data, True)['inputs']

    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-4))
    variants = ('grouped', 'naive')
    # The two variants alternate step by step, so that load from other
    # processes affects both alike.
    teacher_times = {v: [] for v in variants}
    step_times = {v: [] for v in variants}
    for i in range(args.warmup + args.steps):
        for variant in variants:
            use_variant(model, variant)
            t_teachers = timed(lambda: model.run_teachers(
                inputs, labels, with_features=True))
            t_step = timed(lambda: model.train_step(data, optim))
            if i >= args.warmup:
                teacher_times[variant].append(t_teachers)
                step_times[variant].append(t_step)
    use_variant(model, 'grouped')
    # Both ways give the same teacher outputs.
    grouped = model.run_teachers(inputs, labels, with_features=True)
    naive = naive_run_teachers(model, inputs, labels, with_features=True)
    assert torch.allclose(grouped[0], naive[0], atol=1e-4)
    names = {'grouped': 'grouped (UniRemovalKT)',
             'naive': 'naive (every teacher on every sample)'}
    rows = [(names[v], statistics.median(teacher_times[v]),
             statistics.median(step_times[v])) for v in variants]

    hardware = (cpu_name() if device == 'cpu' else
                torch.cuda.get_device_name())
    table = '\n'.join([
        f'{device} ({hardware}), '
        f'{torch.get_num_threads()} threads, torch {torch.__version__}; '
        f'{args.net} MPRNet, batch {args.batch} × {args.crop}² '
        f'({len(LABELS)} teachers, balanced labels), ICL '
        f'{"off" if args.no_icl else "on"}, median of {args.steps} steps.',
        '',
        '| teacher pass | teachers only (s) | full train step (s) |',
        '| --- | ---: | ---: |',
        *(f'| {name} | {teachers:.3f} | {step:.3f} |'
          for name, teachers, step in rows),
        f'| speed-up of grouping | {rows[1][1] / rows[0][1]:.2f}× | '
        f'{rows[1][2] / rows[0][2]:.2f}× |',
    ])
    print(table)
    if args.write:
        write_section(args.write, 'bench_kt_step', table)


if __name__ == '__main__':
    main()
