# The three paired demo sets (python tools/make_demo_data.py) as one
# MixedDegradationDataset: every sample carries its `degradation` label and
# DegradationBalancedSampler puts one of each label in every 3 samples (use a
# batch size that is a multiple of 3). Tested per degradation, one metric
# prefix per set (demo_haze/PSNR, ...).
crop_size = 64
labels = ['haze', 'rain', 'blur']

train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PairedRandomCrop', crop_size=crop_size),
    dict(type='Flip', keys=['img', 'gt'], direction='horizontal'),
    dict(type='PackRestorationInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PackRestorationInputs'),
]

train_dataloader = dict(
    batch_size=6,
    num_workers=0,
    sampler=dict(type='DegradationBalancedSampler', shuffle=True),
    dataset=dict(
        type='MixedDegradationDataset',
        labels=labels,
        name='demo_mixed',
        datasets=[
            dict(type='PairedImageDataset',
                 data_root=f'data/demo/{label}/train',
                 pipeline=train_pipeline, name=f'demo_{label}')
            for label in labels
        ]),
)
val_dataloader = [
    dict(batch_size=1,
         num_workers=0,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=dict(type='PairedImageDataset',
                      data_root=f'data/demo/{label}/test',
                      pipeline=test_pipeline, test_mode=True,
                      degradation=label, name=f'demo_{label}'))
    for label in labels
]
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
test_evaluator = val_evaluator
