# Rain1400 (Fu et al., CVPR 2017): 12,600 training pairs (900 clean x 14),
# 1,400 test pairs (100 x 14). Layout in docs/datasets.md.
_base_ = ['./paired_train_pipeline.py']

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='Rain1400Dataset',
        data_root='data/Rain1400/train',
        pipeline={{_base_.train_pipeline}},
        name='rain1400'),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='Rain1400Dataset',
        data_root='data/Rain1400/test',
        pipeline={{_base_.test_pipeline}},
        test_mode=True,
        name='rain1400'),
)
test_dataloader = val_dataloader
