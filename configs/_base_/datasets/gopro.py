# GoPro (Nah et al., CVPR 2017): 2,103 training and 1,111 test pairs.
# Layout in docs/datasets.md.
_base_ = ['./paired_train_pipeline.py']

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='GoProDataset',
        data_root='data/GoPro/train',
        pipeline={{_base_.train_pipeline}},
        name='gopro'),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='GoProDataset',
        data_root='data/GoPro/test',
        pipeline={{_base_.test_pipeline}},
        test_mode=True,
        name='gopro'),
)
test_dataloader = val_dataloader
