"""The catalogue of ``tools/demo.py``'s chains: what each demo trains,
tests and shows.

A chain (:data:`CHAINS`) is a tuple of steps: :class:`Train` a config,
:class:`Evaluate` a trained checkpoint (a row of the chain's table, and
optionally a column of its image grid). This module only declares them;
:mod:`toolbox.app.demo` runs them. A new method's demo is one entry here.
"""
import os.path as osp
import string
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from toolbox.user_errors import UserError


@dataclass(frozen=True)
class Train:
    """Train ``config`` (a path under ``configs/``) unless its final
    checkpoint exists. ``options`` are ``--cfg-options`` applied wherever
    the chain loads this config; a value ``'{<config name>}'`` stands for
    the final checkpoint of that earlier training step. ``seeds``: train
    once per seed (``randomness.seed``), in ``<config name>_seed<k>``; the
    tests of such a training give one row with each metric's mean ± spread
    (:func:`~toolbox.evaluation.results.merge_runs`)."""
    config: str
    options: Mapping[str, object] = field(default_factory=dict)
    seeds: Tuple[int, ...] = ()


@dataclass(frozen=True)
class Evaluate:
    """Evaluate the final checkpoint of the training of ``trained`` with
    ``config`` (default: ``trained``) as the table row ``row``; tests with
    the same row fill one row (e.g. one teacher per test set).
    ``column``: the grid column of its outputs (tests with the same column
    share it; ``None``: not in the grid). ``strict=False`` loads what fits
    (``tools/test.py --non-strict``)."""
    trained: str
    row: str
    column: Optional[str] = None
    config: Optional[str] = None
    strict: bool = True


@dataclass(frozen=True)
class Chain:
    """A demo: what it shows, how long it takes, its steps, its docs, the
    parts of the demo data it reads (:data:`toolbox.app.demo.DATA_PARTS`),
    and whether its independent trainings run side by side unless
    ``--jobs`` says otherwise (``side_by_side``: where the method page's
    figures were measured so, the dcdgan chain; the others train one
    after the other with all threads, as their pages' tables were
    measured, although side by side was measured faster for them too:
    docs/get_started.md)."""
    summary: str
    duration: str
    doc: str
    steps: Tuple
    data: Tuple[str, ...] = ('paired', )
    side_by_side: bool = False


def config_name(config: str) -> str:
    """The name of a config path (``a/b_demo.py`` -> ``b_demo``): its work
    dir's and its checkpoint placeholder's."""
    return osp.splitext(osp.basename(config))[0]


def _needs(step: Train) -> set:
    """The config names whose checkpoints ``step``'s options refer to."""
    return {field for value in step.options.values()
            for _, field, _, _ in string.Formatter().parse(str(value))
            if field is not None}


def independent_groups(steps: Sequence) -> List[Tuple]:
    """``steps`` in order, each run of consecutive :class:`Train` steps
    none of which needs another's checkpoint as one group (they may train
    side by side), every other step alone."""
    groups: List[List] = []
    for step in steps:
        last = groups[-1] if groups else None
        if isinstance(step, Train) and last and isinstance(last[0], Train) \
                and not _needs(step) & {config_name(s.config) for s in last}:
            last.append(step)
        else:
            groups.append([step])
    return [tuple(g) for g in groups]


_TEACHERS = tuple(
    Train(f'uniremoval/teacher_{task}_demo.py')
    for task in ('dehaze', 'derain', 'deblur'))
_TEACHER_TESTS = tuple(
    Evaluate(f'uniremoval/teacher_{task}_demo.py',
             'demo teachers (one per set)', 'teacher')
    for task in ('dehaze', 'derain', 'deblur'))
# The KT configs read the teachers from work_dirs/teacher_*_demo; the demo
# points them at the checkpoints it checked, wherever the work root is.
_KT_OPTIONS = {
    f'model.teachers.{label}.checkpoint': f'{{teacher_{task}_demo}}'
    for label, task in (('haze', 'dehaze'), ('rain', 'derain'),
                        ('blur', 'deblur'))
}
_KT = Train('uniremoval/kt_mprnet_demo.py', _KT_OPTIONS)
#: Table V's domain-adaptation rows: config suffix → (row, grid column).
_DA_VARIANTS = OrderedDict((
    ('_bda', ('KT + BDA', None)),
    ('_bda_eicl', ('KT + BDA + EICL', None)),
    ('', ('KT + BDA + EICL + EFCL', 'DA')),
))
#: Each DA row is three fine-tunings of the one KT student: the table
#: shows the spread of the seeds next to the differences between rows.
_DA_SEEDS = (0, 1, 2)

#: The demo chains, by name (``tools/demo.py --method``); durations are
#: those measured on 2 CPU cores (the method pages).
_CYCLEGAN = Train('cyclegan/cyclegan_demo.py')
_CYCLEGAN_TEST = Evaluate('cyclegan/cyclegan_demo.py', 'CycleGAN (demo)',
                          'CycleGAN')
_CYCLEGAN_TIME = 'about 4 min: 1,500 iterations'
_DCDGAN_TIME = ('about 15 min: 1,500 iterations each for DCD-GAN, '
                'CycleGAN (or reused) and two probes, side by side')
#: Not a method: the DCD-GAN demo's generator trained with the pairs no
#: unpaired method has, what the GANs' scores are read against.
_PAIRED_PROBE = Train('demo/gan_demo_paired_probe.py')
#: Not a method either: CycleGAN with DCD-GAN's anti-aliased generator, so
#: that the table tells DCD-GAN's losses from its generator's sampling.
_ANTIALIAS_PROBE = Train('demo/cyclegan_antialias_probe.py')
CHAINS: Dict[str, Chain] = {
    'restorer': Chain(
        'a tiny DnCNN restorer (6 layers, 39k parameters) learns to remove '
        'rain: configs/demo/tiny_restorer.py',
        'about 1 min', 'docs/get_started.md',
        (Train('demo/tiny_restorer.py'),
         Evaluate('demo/tiny_restorer.py', 'tiny DnCNN (demo)', 'DnCNN'))),
    'teachers': Chain(
        "Uni-Removal's three MPRNet teachers, one per degradation (haze, "
        'rain, blur): configs/uniremoval/teacher_*_demo.py',
        '5-12 min: 3 x 300 iterations (--jobs 2: about 7 min)',
        'docs/methods/uniremoval.md',
        _TEACHERS + _TEACHER_TESTS),
    'kt': Chain(
        'Uni-Removal knowledge transfer: one MPRNet student for haze, rain '
        'and blur from the three teachers (trained first, or reused): '
        'configs/uniremoval/kt_mprnet_demo.py',
        '25-50 min after the teachers: 2,000 iterations',
        'docs/methods/uniremoval.md',
        _TEACHERS + (_KT, ) + _TEACHER_TESTS + (
            Evaluate('uniremoval/kt_mprnet_demo.py',
                     'KT student (BKT + ICL + FCL)', 'KT student'), )),
    'kt-ablation': Chain(
        "Table IV's rows on the demo: BKT, BKT + ICL, BKT + ICL + FCL "
        '(configs/uniremoval/kt_mprnet{_bkt,_icl,}_demo.py; the full KT '
        'run is reused from the kt chain)',
        '25-50 min for each of the three students',
        'docs/methods/uniremoval.md',
        _TEACHERS + (
            Train('uniremoval/kt_mprnet_bkt_demo.py', _KT_OPTIONS),
            Train('uniremoval/kt_mprnet_icl_demo.py', _KT_OPTIONS), _KT,
            Evaluate('uniremoval/kt_mprnet_bkt_demo.py', 'BKT', 'BKT'),
            Evaluate('uniremoval/kt_mprnet_icl_demo.py', 'BKT + ICL',
                     'BKT + ICL'),
            Evaluate('uniremoval/kt_mprnet_demo.py', 'BKT + ICL + FCL',
                     'BKT + ICL + FCL'))),
    'da': Chain(
        "Uni-Removal domain adaptation of the KT student to the "
        "real-world-like demo sets, Table V's rows (KT, + BDA, + EICL, "
        "+ EFCL, three seeds each; teachers and KT first, or reused), "
        "scored on held-out real-world-like test sets: "
        'configs/uniremoval/da_mprnet{_bda,_bda_eicl,}_demo.py',
        '20-30 min after KT: 9 x 100 iterations (three seeds of three '
        'rows), then 10 tests',
        'docs/methods/uniremoval.md',
        _TEACHERS + (_KT, ) + tuple(
            Train(f'uniremoval/da_mprnet{variant}_demo.py',
                  {'model.student_checkpoint': '{kt_mprnet_demo}'},
                  seeds=_DA_SEEDS)
            for variant in _DA_VARIANTS) + (
            # A KT checkpoint holds no discriminator: the student loads,
            # the unused discriminator stays random (as the docs' command).
            Evaluate('uniremoval/kt_mprnet_demo.py', 'KT', 'KT',
                     config='uniremoval/da_mprnet_demo.py', strict=False),
        ) + tuple(
            Evaluate(f'uniremoval/da_mprnet{variant}_demo.py', row, column)
            for variant, (row, column) in _DA_VARIANTS.items()),
        data=('paired', 'real_like')),
    'cyclegan': Chain(
        'CycleGAN translates unpaired rainy crops into clean ones, scored '
        'on held-out pairs: configs/cyclegan/cyclegan_demo.py',
        _CYCLEGAN_TIME, 'docs/models/cyclegan.md',
        (_CYCLEGAN, _CYCLEGAN_TEST), data=('unpaired', )),
    'dcdgan': Chain(
        'DCD-GAN, unpaired deraining with contrastive guidance, against '
        'CycleGAN (trained first, or reused) on held-out pairs: '
        'configs/dcdgan/dcdgan_demo.py',
        _DCDGAN_TIME, 'docs/methods/dcdgan.md',
        (_CYCLEGAN, Train('dcdgan/dcdgan_demo.py'), _PAIRED_PROBE,
         _ANTIALIAS_PROBE,
         _CYCLEGAN_TEST,
         Evaluate('dcdgan/dcdgan_demo.py', 'DCD-GAN (demo)', 'DCD-GAN'),
         Evaluate('demo/gan_demo_paired_probe.py',
                  "probe: DCD-GAN's generator trained with pairs (L1)",
                  'with pairs'),
         Evaluate('demo/cyclegan_antialias_probe.py',
                  "probe: CycleGAN with DCD-GAN's anti-aliased generator",
                  'CycleGAN (AA)')),
        # Its small networks keep two threads of one training half idle:
        # side by side, one thread each, 14 min 47 s against 18 min 23 s
        # one after the other (docs/methods/dcdgan.md, demo). The DCD-GAN
        # run is the longest: the other three fit beside it.
        data=('unpaired', ), side_by_side=True),
    'fdrnet': Chain(
        'FDR-Net against DnCNN trained for the same time on the '
        'hybrid-distorted split (blur + noise + JPEG): '
        'configs/fdrnet/{fdrnet,dncnn}_demo.py',
        'about 20 min: two runs of about 10 min', 'docs/methods/fdrnet.md',
        (Train('fdrnet/dncnn_demo.py'), Train('fdrnet/fdrnet_demo.py'),
         Evaluate('fdrnet/dncnn_demo.py', 'DnCNN (2,100 it.)', 'DnCNN'),
         Evaluate('fdrnet/fdrnet_demo.py', 'FDR-Net (700 it.)',
                  'FDR-Net'))),
}

DEFAULT_CHAIN = 'restorer'


def describe_chains() -> str:
    """One paragraph per chain: name, duration, what it shows, its docs."""
    lines = []
    for name, chain in CHAINS.items():
        lines.append(f'  {name:<12} {chain.duration}\n'
                     f'               {chain.summary}; {chain.doc}')
    return '\n'.join(lines)


def get_chain(name: str) -> Chain:
    """The chain ``name``; an unknown name is a
    :class:`~toolbox.user_errors.UserError` listing the chains."""
    if name not in CHAINS:
        raise UserError(f'unknown demo method {name!r}; choose one of: '
                        f'{", ".join(CHAINS)} (tools/demo.py --list)')
    return CHAINS[name]


__all__ = ['Train', 'Evaluate', 'Chain', 'CHAINS', 'DEFAULT_CHAIN',
           'config_name', 'describe_chains', 'get_chain',
           'independent_groups']
