# FDR-Net's DID-HY (Sec. 4.1, Table 2): DID-MDN's 12,000 training and 1,200
# test rain/clean pairs (512x512) with Gaussian blur, Gaussian noise and JPEG
# added to the rainy image. Make it from DID-MDN on disk (one draw per image
# from --seed and the image's name; docs/methods/fdrnet.md#did-hy):
#   python tools/synthesize.py --side-by-side data/DID-MDN/DID-MDN-training \
#       --out data/DID-HY/train --kind hybrid --level moderate --seed 0
#   python tools/synthesize.py --side-by-side data/DID-MDN/DID-MDN-test \
#       --out data/DID-HY/test --kind hybrid --level moderate --seed 0
# Training crops: the paper states 63x63 patches for DIV2K only; we use them
# here too (crop_size) with the paper's batch of 28. Testing: whole images.
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
        type='DIDHYDataset',
        data_root='data/DID-HY/train',
        data_prefix=dict(img='input', gt='target'),
        pipeline=train_pipeline,
        name='did_hy'),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='DIDHYDataset',
        data_root='data/DID-HY/test',
        data_prefix=dict(img='input', gt='target'),
        pipeline=test_pipeline,
        test_mode=True,
        name='did_hy'),
)
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
test_evaluator = val_evaluator
