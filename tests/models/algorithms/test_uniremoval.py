import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from torch import nn

from toolbox.weights import CheckpointMismatchError, extract_state_dict
from toolbox.models.algorithms.uniremoval import UniRemovalKT
from toolbox.registry import MODELS
from toolbox.structures import RestorationSample

LABELS = ('haze', 'rain', 'blur')
TINY = dict(type='MPRNet', n_feat=4, scale_unetfeats=2, scale_orsnetfeats=2,
            num_cab=1)
NO_VGG_ICL = dict(
    type='ImageContrastiveLoss', loss_weight=0.1, temperature=1e-6,
    embedding=dict(type='VGG19FeatureExtractor', pretrained=None,
                   layers=('relu1_1', )),
    layer_weights=(1.0, ))


@MODELS.register_module(force=True)
class HalvingNet(nn.Module):
    """Test teacher: returns [x / 2] and a feature equal to the input."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x, return_features=False):
        out = [x * 0.5 * self.scale]
        return (out, {'dec2_0': x}) if return_features else out


def build(teachers=None, **kwargs):
    cfg = dict(
        type='UniRemovalKT',
        student=TINY,
        teachers=teachers or {
            label: dict(model=TINY, checkpoint=None) for label in LABELS
        },
        image_loss=NO_VGG_ICL,
        # the tests' teachers keep random weights unless they name a file
        allow_random_teachers=True,
        # exact comparisons below; low precision has its own test
        frozen_precision='float32',
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               value_range='[-1,1]'))
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def samples(labels):
    return [RestorationSample(metainfo=dict(degradation=label,
                                            img_path=f'{i}.png'))
            for i, label in enumerate(labels)]


def batch(labels, size=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.rand(len(labels), 3, size, size, generator=gen) * 255
    data_samples = samples(labels)
    for sample in data_samples:
        sample.gt_img = torch.rand(3, size, size, generator=gen) * 255
    return dict(inputs=list(inputs), data_samples=data_samples)


def record_calls(model):
    calls = {label: [] for label in model.teachers}
    for label, net in model.teachers.items():
        net.register_forward_hook(
            lambda module, args, out, label=label: calls[label].append(
                args[0].detach().clone()))
    return calls


def test_each_sample_goes_through_its_own_teacher_only():
    model = build()
    calls = record_calls(model)
    labels = ['haze', 'rain', 'haze', 'blur', 'rain', 'haze']
    x = torch.rand(6, 3, 16, 16) * 2 - 1
    losses = model.loss(x, samples(labels))
    assert {'loss_pixel', 'loss_fcl', 'loss_icl'} == set(losses)
    # one call per teacher, on exactly its samples, in the teacher's [0,1]
    assert [len(calls[label]) for label in LABELS] == [1, 1, 1]
    for label in LABELS:
        idx = [i for i, lab in enumerate(labels) if lab == label]
        assert torch.allclose(calls[label][0], (x[idx] + 1) / 2)
    # a batch of one degradation runs one teacher
    model.loss(x[:2], samples(['rain', 'rain']))
    assert [len(calls[label]) for label in LABELS] == [1, 2, 1]


def test_teacher_outputs_come_back_in_batch_order():
    model = build()
    labels = ['blur', 'haze', 'rain', 'haze']
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    restored, feats = model.run_teachers(x, labels, with_features=True)
    for i, label in enumerate(labels):
        with torch.no_grad():
            outs, f = model.teachers[label]((x[i:i + 1] + 1) / 2,
                                            return_features=True)
        assert torch.allclose(restored[i], outs[0][0] * 2 - 1, atol=1e-5)
        assert torch.allclose(feats['orsnet'][i], f['orsnet'][0], atol=1e-5)
    assert not restored.requires_grad


def test_value_ranges_are_converted_per_network():
    half = dict(model=dict(type='HalvingNet'), checkpoint=None)
    model = build(teachers=dict(haze=dict(half, value_range='[0,1]'),
                                rain=dict(half, value_range='[-1,1]')),
                  feature_loss=None, image_loss=None)
    x = torch.rand(2, 3, 8, 8) * 2 - 1
    restored, _ = model.run_teachers(x, ['haze', 'rain'])
    # [0,1] teacher: u = (x+1)/2 -> u/2 -> back: 2(u/2) - 1 = (x-1)/2
    assert torch.allclose(restored[0], (x[0] - 1) / 2, atol=1e-6)
    assert torch.allclose(restored[1], x[1] / 2, atol=1e-6)  # same range


def test_teachers_are_frozen_hidden_and_unchanged_by_training():
    model = build()
    before = {k: copy.deepcopy(v.state_dict())
              for k, v in model.teachers.items()}
    teacher_params = {id(p) for net in model.teachers.values()
                      for p in net.parameters()}
    assert not teacher_params & {id(p) for p in model.parameters()}
    assert all(k.startswith(('generator.', 'losses.', 'projections.'))
               for k in model.state_dict())
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-2))
    model.train()
    assert all(not net.training for net in model.teachers.values())
    student_before = copy.deepcopy(model.generator.state_dict())
    for _ in range(2):
        log = model.train_step(batch(['haze', 'rain', 'blur', 'rain']), optim)
        assert all(torch.isfinite(v) for v in log.values())
    for label, net in model.teachers.items():
        assert all(p.grad is None and not p.requires_grad
                   for p in net.parameters())
        for key, value in net.state_dict().items():
            assert torch.equal(value, before[label][key])
    assert any(not torch.equal(v, student_before[k])
               for k, v in model.generator.state_dict().items())
    model.to(torch.float64)  # device/dtype moves reach the teachers
    assert next(model.teachers['rain'].parameters()).dtype == torch.float64


def save_teacher_formats(tmp_path, net):
    sd = net.state_dict()
    paths = {}
    paths['toolbox'] = tmp_path / 'toolbox.pth'
    torch.save({'meta': {'iter': 3}, 'state_dict': {
        **{f'generator.{k}': v for k, v in sd.items()},
        'losses.loss_pixel.dummy': torch.zeros(1)}}, paths['toolbox'])
    paths['official'] = tmp_path / 'official.pth'
    torch.save({'state_dict': {f'module.{k}': v for k, v in sd.items()}},
               paths['official'])
    paths['bare'] = tmp_path / 'bare.pth'
    torch.save(sd, paths['bare'])
    work_dir = tmp_path / 'work_dir'
    work_dir.mkdir()
    torch.save({'state_dict': {f'generator.{k}': v for k, v in sd.items()}},
               work_dir / 'iter_7.pth')
    # a work dir copied from elsewhere: the recorded path no longer exists
    (work_dir / 'last_checkpoint').write_text('/elsewhere/iter_7.pth')
    paths['work_dir'] = work_dir
    return paths


@pytest.mark.parametrize('fmt', ['toolbox', 'official', 'bare', 'work_dir'])
def test_teacher_checkpoint_formats(tmp_path, fmt):
    torch.manual_seed(1)
    reference = MODELS.build(TINY)
    path = save_teacher_formats(tmp_path, reference)[fmt]
    model = build(teachers=dict(rain=dict(model=TINY, checkpoint=str(path))),
                  feature_loss=None, image_loss=None)
    model.init_weights()
    for key, value in model.teachers['rain'].state_dict().items():
        assert torch.equal(value, reference.state_dict()[key])


def test_teacher_checkpoint_errors_name_the_problem(tmp_path):
    model = build(teachers=dict(
        rain=dict(model=TINY, checkpoint=str(tmp_path / 'none.pth'))))
    with pytest.raises(FileNotFoundError, match='none.pth'):
        model.init_weights()
    wider = MODELS.build(dict(TINY, n_feat=8))
    torch.save(wider.state_dict(), tmp_path / 'wide.pth')
    model = build(teachers=dict(
        rain=dict(model=TINY, checkpoint=str(tmp_path / 'wide.pth'))))
    with pytest.raises(CheckpointMismatchError,
                       match="Teacher 'rain'.*wide.pth.*size mismatch"):
        model.loss(torch.zeros(1, 3, 16, 16), samples(['rain']))
    with pytest.raises(KeyError, match='checkpoint'):
        build(teachers=dict(rain=dict(model=TINY)))
    with pytest.raises(KeyError, match='no keys start'):
        extract_state_dict({'a.b': torch.ones(1)}, prefix='generator.')


def test_a_teacher_without_checkpoint_is_an_error_unless_opted_in():
    teachers = dict(haze=dict(model=TINY, checkpoint='work_dirs/haze'),
                    rain=dict(model=TINY, checkpoint=None))
    with pytest.raises(ValueError, match="teacher 'rain' has no checkpoint"):
        build(teachers=teachers, allow_random_teachers=False)
    # the default is the error, not the opt-in
    cfg = dict(type='UniRemovalKT', student=TINY, teachers=teachers,
               feature_loss=None, image_loss=None)
    with pytest.raises(ValueError, match='allow_random_teachers=True'):
        MODELS.build(cfg)
    assert set(build(teachers=teachers).teachers) == {'haze', 'rain'}


def test_labels_must_match_teachers():
    model = build()
    x = torch.zeros(1, 3, 16, 16)
    with pytest.raises(KeyError, match="no teacher for degradation.*snow"):
        model.loss(x, samples(['snow']))
    with pytest.raises(KeyError, match="metainfo\\['degradation'\\]"):
        model.loss(x, [RestorationSample(metainfo=dict(img_path='a.png'))])


def test_ablation_switches_and_width_projection():
    model = build(feature_loss=None, image_loss=None)
    calls = []
    for net in model.teachers.values():
        net.register_forward_pre_hook(
            lambda m, args, kwargs: calls.append(kwargs), with_kwargs=True)
    losses = model.loss(torch.rand(3, 3, 16, 16), samples(LABELS))
    assert set(losses) == {'loss_pixel'}
    assert all(not c.get('return_features') for c in calls)
    # wider teachers: FCL needs a projection of the student's features
    wide = dict(TINY, n_feat=8)
    teachers = {label: dict(model=wide, checkpoint=None) for label in LABELS}
    model = build(teachers=teachers, feature_keys=('dec2_0', ),
                  image_loss=None)
    x = torch.rand(3, 3, 16, 16)
    with pytest.raises(ValueError, match="'dec2_0' is 4 channels.*8"):
        model.loss(x, samples(LABELS))
    model = build(teachers=teachers, feature_keys=('dec2_0', ),
                  image_loss=None, projections=dict(dec2_0=dict(
                      type='ProjectionHead', in_channels=4, out_channels=8)))
    losses = model.loss(x, samples(LABELS))
    losses['loss_fcl'].backward()
    assert model.projections['dec2_0'].layers[0].weight.grad is not None


def test_student_checkpoint_is_a_restorer_checkpoint_and_predicts():
    model = build()
    restorer = MODELS.build(dict(
        type='Restorer', generator=TINY,
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               value_range='[-1,1]')))
    restorer.load_state_dict(
        {k: v for k, v in model.state_dict().items()
         if k.startswith('generator.')})
    model.eval()
    data = batch(['rain'], size=12)
    data['data_samples'][0].pop('gt_img')
    out = model.test_step(data)[0].pred_img
    ref = restorer.test_step(batch(['rain'], size=12))[0].pred_img
    assert out.shape == (3, 12, 12) and torch.allclose(out, ref, atol=1e-4)
    assert isinstance(model, UniRemovalKT)


# ------------------------------------------- loss values, computed by hand

PAPER_CONFIG = 'configs/uniremoval/kt_mprnet.py'


def paper_model(repo_root, teachers, **overrides):
    """UniRemovalKT with kt_mprnet.py's losses on tiny networks."""
    from mmengine.config import Config
    cfg = Config.fromfile(f'{repo_root}/{PAPER_CONFIG}').model.to_dict()
    cfg.update(student=TINY, teachers=teachers, allow_random_teachers=True,
               **overrides)
    torch.manual_seed(0)  # the student, the teachers and the random VGG
    return MODELS.build(cfg)


def to_unit(x):
    return (x + 1) / 2


@torch.no_grad()
def test_pixel_loss_is_l1_to_the_routed_teachers_output(repo_root):
    teachers = {label: dict(model=dict(type='HalvingNet'), checkpoint=None)
                for label in LABELS}
    model = paper_model(repo_root, teachers, feature_loss=None,
                        image_loss=None)
    for scale, net in zip((0.2, 0.6, 1.4), model.teachers.values()):
        net.scale.fill_(scale)  # three different teachers
    labels = ['rain', 'blur', 'haze', 'rain']
    data = model.data_preprocessor(batch(labels), True)
    x, data_samples = data['inputs'], data['data_samples']
    losses = model.loss(x, data_samples)
    student = model.generator(x)[0]

    def through(label, i):  # teacher `label` on sample i, in [-1, 1]
        return model.teachers[label](to_unit(x[i:i + 1]))[0] * 2 - 1

    routed = torch.cat([through(label, i) for i, label in enumerate(labels)])
    expected = (student - routed).abs().mean()
    assert losses['loss_pixel'].item() == pytest.approx(expected.item(),
                                                        rel=1e-6)
    # not the ground truth, not another routing
    gt = torch.stack([s.gt_img for s in data_samples])
    assert (student - gt).abs().mean().item() != pytest.approx(
        losses['loss_pixel'].item(), rel=1e-3)
    shifted = torch.cat([through(labels[i - 1], i) for i in range(4)])
    assert (student - shifted).abs().mean().item() != pytest.approx(
        losses['loss_pixel'].item(), rel=1e-3)


def hand_icl(vgg, restored, teacher, degraded, tau):
    """Eq. (4) by hand, in float64: φ = VGG-19 (configuration E) written out
    with functional ops up to relu5_1 (ImageNet normalisation, 3×3 convs,
    ReLU, 2×2 max pooling) taking relu1_1 … relu5_1 with MAWR's weights;
    negatives = every degraded input of the batch, the anchor's own too."""
    import torch.nn.functional as F
    conv_list = [m for m in vgg.features if isinstance(m, torch.nn.Conv2d)]
    assert len(conv_list) == 13  # cut after relu5_1
    mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64)
    std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64)

    def phi(x):
        h, out = (x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1), []
        convs = iter(conv_list)
        for block, count in enumerate((2, 2, 4, 4, 1)):  # convs up to 5_1
            if block:
                h = F.max_pool2d(h, 2)
            for k in range(count):
                conv = next(convs)
                h = F.relu(F.conv2d(h, conv.weight.double(),
                                    conv.bias.double(), padding=1))
                if k == 0:
                    out.append(h.flatten(1))
        return out

    layers = [phi(images) for images in (restored, teacher, degraded)]
    total = 0.0
    for w, a, p, n in zip((1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0), *layers):
        a, p, n = (F.normalize(v, dim=1) for v in (a, p, n))
        terms = []
        for i in range(a.shape[0]):
            pos = torch.exp((a[i] @ p[i]) / tau)
            neg = torch.exp((n @ a[i]) / tau).sum()
            terms.append(-torch.log(pos / (pos + neg)))
        total += w * torch.stack(terms).mean()
    return total


@torch.no_grad()
def test_icl_value_matches_a_hand_computation(repo_root):
    teachers = {label: dict(model=TINY, checkpoint=None) for label in LABELS}
    # the paper config's ICL with a seeded random VGG (no file) and τ = 0.5
    # (at τ = 1e-6 float32 rounding of the similarities is amplified 1e6x)
    from mmengine.config import Config
    icl = Config.fromfile(f'{repo_root}/{PAPER_CONFIG}').model.image_loss
    icl = icl.to_dict()
    icl['embedding']['pretrained'] = None
    icl['temperature'] = 0.5
    model = paper_model(repo_root, teachers, feature_loss=None,
                        image_loss=icl)
    labels = ['haze', 'rain', 'blur', 'rain']
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    x = x * 2 - 1
    losses = model.loss(x, samples(labels))
    restored = to_unit(model.generator(x)[0]).double()
    teacher = torch.cat([model.teachers[label](to_unit(x[i:i + 1]))[0]
                         for i, label in enumerate(labels)]).double()
    vgg = model.image_loss.embedding
    expected = 0.1 * hand_icl(vgg, restored, teacher, to_unit(x).double(),
                              tau=0.5)
    assert losses['loss_icl'].item() == pytest.approx(expected.item(),
                                                      rel=1e-4)


@pytest.mark.parametrize('precision', ['bfloat16', 'auto'])
def test_low_precision_teachers_are_close_to_float32(precision):
    """Frozen teachers (and ICL's fixed φ branch) in autocast + channels_last
    give what float32 gives, to low-precision accuracy."""
    vgg_icl = dict(type='ImageContrastiveLoss', loss_weight=0.1,
                   temperature=1.0, embedding=dict(
                       type='VGG19FeatureExtractor', pretrained=None,
                       layers=('relu1_1', 'relu2_1')),
                   layer_weights=(1.0, 1.0))
    labels = ['haze', 'rain', 'blur', 'rain']
    data = batch(labels, size=16)
    results = {}
    for choice in ('float32', precision):
        model = build(frozen_precision=choice, image_loss=vgg_icl)
        model.load_teachers()
        inputs = model.data_preprocessor(data, True)['inputs']
        with torch.no_grad():
            restored, feats = model.run_teachers(inputs, labels,
                                                 with_features=True)
            losses = model.loss(inputs, data['data_samples'])
        results[choice] = (restored, feats, losses)
    (ref, ref_feats, ref_losses), (low, low_feats, low_losses) = \
        results['float32'], results[precision]
    assert low.dtype == torch.float32
    assert all(v.dtype == torch.float32 for v in low_feats.values())
    # bfloat16 keeps 8 bits of mantissa: ~1e-2 relative.
    assert (low - ref).abs().max() < 5e-2
    for key in ref_feats:
        scale = ref_feats[key].abs().max()
        assert (low_feats[key] - ref_feats[key]).abs().max() < 5e-2 * scale
    for key in ref_losses:
        assert torch.allclose(low_losses[key], ref_losses[key], rtol=5e-2,
                              atol=1e-3), key


def test_frozen_precision_follows_the_cpu(monkeypatch):
    from toolbox.models.algorithms import uniremoval
    model = build(frozen_precision='auto')
    monkeypatch.setattr(uniremoval, 'cpu_amp_dtype', lambda: None)
    assert model.frozen_dtype(torch.device('cpu')) is None
    monkeypatch.setattr(uniremoval, 'cpu_amp_dtype', lambda: torch.bfloat16)
    assert model.frozen_dtype(torch.device('cpu')) is torch.bfloat16
    assert model.frozen_dtype(torch.device('cuda')) is torch.float16
    assert build(frozen_precision='float32').frozen_dtype(
        torch.device('cuda')) is None
    with pytest.raises(ValueError, match='frozen_precision'):
        build(frozen_precision='half')
