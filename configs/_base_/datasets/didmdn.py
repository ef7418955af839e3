# DID-MDN (Zhang and Patel, CVPR 2018): 12,000 training pairs (4,000 each of
# heavy, medium and light rain) and 1,200 test pairs, 512x512. The release
# stores each pair as one side-by-side image (rainy left, clean right); split
# it once (docs/datasets.md#did-mdn):
#   python tools/synthesize.py --side-by-side data/DID-MDN/DID-MDN-training \
#       --out data/DID-MDN/train --kind none
#   python tools/synthesize.py --side-by-side data/DID-MDN/DID-MDN-test \
#       --out data/DID-MDN/test --kind none
crop_size = 63

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
    batch_size=28,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='DIDMDNDataset',
        data_root='data/DID-MDN/train',
        data_prefix=dict(img='input', gt='target'),
        pipeline=train_pipeline,
        name='did_mdn'),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='DIDMDNDataset',
        data_root='data/DID-MDN/test',
        data_prefix=dict(img='input', gt='target'),
        pipeline=test_pipeline,
        test_mode=True,
        name='did_mdn'),
)
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
test_evaluator = val_evaluator
