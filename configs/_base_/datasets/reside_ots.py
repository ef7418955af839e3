# RESIDE OTS for training, SOTS-outdoor (500 pairs) for testing.
# Layout in docs/datasets.md.
_base_ = ['./paired_train_pipeline.py']

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='RESIDEDataset',
        data_root='data/RESIDE/OTS',
        pipeline={{_base_.train_pipeline}},
        name='ots'),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='RESIDEDataset',
        data_root='data/RESIDE/SOTS/outdoor',
        data_prefix=dict(img='hazy', gt='gt'),
        pipeline={{_base_.test_pipeline}},
        test_mode=True,
        name='sots'),
)
test_dataloader = val_dataloader
