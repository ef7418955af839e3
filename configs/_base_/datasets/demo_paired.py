# Paired demo data (python tools/make_demo_data.py): data/demo/<task>/{train,test}.
# Defaults to the deraining split; configs switch task by overriding the
# three data_root entries (see configs/uniremoval/teacher_dehaze_demo.py).
crop_size = 64

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
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PairedImageDataset',
        data_root='data/demo/rain/train',
        data_prefix=dict(img='input', gt='target'),
        pipeline=train_pipeline,
        name='demo_rain'),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PairedImageDataset',
        data_root='data/demo/rain/test',
        data_prefix=dict(img='input', gt='target'),
        pipeline=test_pipeline,
        test_mode=True,
        name='demo_rain'),
)
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
test_evaluator = val_evaluator
