# FDR-Net's DIV2K hybrid-distortion benchmark (RL-Restore protocol: blur +
# noise + JPEG, 63x63 patches). Build it from DIV2K on disk with
# tools/synthesize.py (docs/degradations.md); layout
# data/div2k_hybrid/{train/moderate, test/{mild,moderate,severe}}/{input,target}.
# Training uses the moderate level only; testing reports each level under
# its own prefix (mild/PSNR, moderate/PSNR, severe/PSNR).
train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='Flip', keys=['img', 'gt'], direction='horizontal'),
    dict(type='Flip', keys=['img', 'gt'], direction='vertical'),
    dict(type='RandomTranspose', keys=['img', 'gt']),
    dict(type='PackRestorationInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PackRestorationInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='HybridDistortionDataset',
        data_root='data/div2k_hybrid/train',
        level='moderate',
        name='div2k_hybrid_train',
        pipeline=train_pipeline),
)
val_dataloader = [
    dict(batch_size=16,
         num_workers=2,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=dict(type='HybridDistortionDataset',
                      data_root='data/div2k_hybrid/test', level=level,
                      pipeline=test_pipeline, test_mode=True))
    for level in ('mild', 'moderate', 'severe')
]
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
test_evaluator = val_evaluator
