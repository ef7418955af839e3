# Training/testing pipelines of the supervised recipes (256² random crops,
# horizontal flips, as MPRNet trains). Inherit and override crop_size.
crop_size = 256

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
val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
test_evaluator = val_evaluator
