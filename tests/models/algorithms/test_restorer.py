import pytest
import torch
from torch import nn

from toolbox.registry import LOSSES, MODELS
from toolbox.structures import RestorationSample


@LOSSES.register_module(force=True)
class ToyMeanAbsLoss(nn.Module):
    """Test loss: weighted mean absolute error."""

    def __init__(self, loss_weight=1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred, target):
        return self.loss_weight * (pred - target).abs().mean()


@MODELS.register_module(force=True)
class ToyTwoStageNet(nn.Module):
    """Test generator returning [final, intermediate]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return [y, 0.5 * y]


def build(**kwargs):
    cfg = dict(
        type='Restorer',
        generator=dict(type='DnCNN', mid_channels=8, depth=3, norm=None),
        losses=[dict(type='ToyMeanAbsLoss', loss_weight=2.0)],
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               value_range='[-1,1]', pad_size_divisor=4))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=2, size=(8, 8), gt=True):
    data_samples = []
    for i in range(n):
        s = RestorationSample(metainfo=dict(img_path=f'{i}.png'))
        if gt:
            s.gt_img = torch.rand(3, *size) * 255
        data_samples.append(s)
    return dict(inputs=[torch.rand(3, *size) * 255 for _ in range(n)],
                data_samples=data_samples)


def test_loss_mode_reports_named_weighted_losses():
    model = build()
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_toy_mean_abs'}
    target = model.data_preprocessor.stack_gt(data['data_samples'])
    expected = 2.0 * (model.generator(data['inputs']) - target).abs().mean()
    assert torch.allclose(losses['loss_toy_mean_abs'], expected)


def test_multi_stage_losses_sum_over_stages():
    model = build(generator=dict(type='ToyTwoStageNet'),
                  losses=[dict(type='ToyMeanAbsLoss', loss_name='pix')])
    data = model.data_preprocessor(batch(), training=True)
    target = model.data_preprocessor.stack_gt(data['data_samples'])
    y = model.generator(data['inputs'])[0]
    expected = (y - target).abs().mean() + (0.5 * y - target).abs().mean()
    assert torch.allclose(model(**data, mode='loss')['loss_pix'], expected)
    final_only = build(generator=dict(type='ToyTwoStageNet'),
                       losses=[dict(type='ToyMeanAbsLoss', loss_name='pix')],
                       stage_loss='final')
    final_only.load_state_dict(model.state_dict())
    assert torch.allclose(final_only(**data, mode='loss')['loss_pix'],
                          (y - target).abs().mean())


def test_duplicate_loss_names_are_refused():
    with pytest.raises(ValueError, match='loss_name'):
        build(losses=[dict(type='ToyMeanAbsLoss'),
                      dict(type='ToyMeanAbsLoss')])


def test_predict_returns_pixels_cropped_to_input():
    model = build().eval()
    data = model.data_preprocessor(batch(size=(10, 7), gt=False))
    samples = model(**data, mode='predict')
    pred = samples[0].pred_img
    assert pred.shape == (3, 10, 7)
    # [-1,1] network range must come back as [0,255] pixels
    raw = model.generator(data['inputs'])[0, :, :10, :7]
    assert torch.allclose(pred, (raw + 1) * 127.5, atol=1e-4)


def test_val_step_matches_predict_and_train_step_updates():
    from mmengine.optim import OptimWrapper
    model = build()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = [p.detach().clone() for p in model.parameters()]
    log = model.train_step(batch(), optim)
    assert 'loss' in log and torch.isfinite(log['loss'])
    assert any(not torch.equal(b, p)
               for b, p in zip(before, model.parameters()))
    outputs = model.val_step(batch(gt=True))
    assert 'pred_img' in outputs[0] and 'gt_img' in outputs[0]


def test_loads_generator_only_state_dict():
    source, target = build(), build()
    bare = source.generator.state_dict()
    assert not any(k.startswith('generator.') for k in bare)
    target.load_state_dict(bare)
    for key, value in bare.items():
        assert torch.equal(target.generator.state_dict()[key], value)
