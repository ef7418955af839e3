# DCD-GAN on the embedded demo data, on CPU in a few minutes: translate
# the unpaired "real-world-like" rainy photos (data/demo/real/rain) into
# clean ones (data/demo/real/clean); validate on the paired demo rain test
# split (PSNR/SSIM); test on it and on real/rain (NIQE/BRISQUE/PIQE).
#   python tools/make_demo_data.py
#   OMP_NUM_THREADS=1 python tools/train.py configs/dcdgan/dcdgan_demo.py
#   python tools/test.py configs/dcdgan/dcdgan_demo.py \
#       work_dirs/dcdgan_demo/iter_1200.pth --out r_dcdgan_demo.json
# Everything but size, data and schedule is dcdgan_rain800.py (the paper's
# recipe); docs/methods/dcdgan.md#demo has the table and its commands.
_base_ = ['./dcdgan_rain800.py']

# A small anti-aliased ResNet generator (16 channels, 5 blocks, so that
# layers 4, 8, 12, 16 are the same layers as in ResNet-9) and PatchGAN
# (16 channels): the anti-aliased networks run their first convolutions
# at full resolution, so they cost about twice CycleGAN's at equal width.
model = dict(
    generator=dict(base_channels=16, num_blocks=5),
    discriminator=dict(base_channels=16))

demo_root = 'data/demo'
crop_size = 64
train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='ref'),
    dict(type='PairedRandomCrop', crop_size=crop_size, keys=['img']),
    dict(type='PairedRandomCrop', crop_size=crop_size, keys=['ref']),
    dict(type='Flip', keys=['img'], direction='horizontal'),
    dict(type='Flip', keys=['ref'], direction='horizontal'),
    dict(type='PackRestorationInputs'),
]
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=f'{demo_root}/real',
        data_prefix=dict(img='rain', ref='clean'),
        pipeline=train_pipeline,
        name='demo_real_rain2clean'))
demo_rain_set = dict(
    type='PairedImageDataset',
    data_root=f'{demo_root}/rain/test',
    data_prefix=dict(img='input', gt='target'),
    pipeline={{_base_.paired_test_pipeline}},
    test_mode=True,
    name='demo_rain')
real_rain_set = dict(
    type='ImageFolderDataset',
    data_root=f'{demo_root}/real/rain',
    pipeline={{_base_.real_test_pipeline}},
    test_mode=True,
    name='demo_real_rain')
val_dataloader = dict(num_workers=0,
                      dataset=dict(_delete_=True, **demo_rain_set))
test_dataloader = [
    dict(batch_size=1, num_workers=0, persistent_workers=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=demo_rain_set),
    dict(batch_size=1, num_workers=0, persistent_workers=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=real_rain_set),
]
# As configs/cyclegan/cyclegan_demo.py, so that the two compare: RGB
# PSNR/SSIM; no-reference scores with the same test-set name. NIQE on 96²
# crops is nearly constant (one 96×96 block: docs/metrics.md), kept for
# the paper's pair of metrics; BRISQUE and PIQE are the informative ones.
val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
test_evaluator = [
    val_evaluator,
    [dict(type='NIQE'), dict(type='BRISQUE'), dict(type='PIQE')],
]

max_iters = 1200
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters, val_interval=400)
# The official shape (constant, then linear decay to zero) over
# iterations, for all three optimisers.
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0,
         begin=max_iters // 2, end=max_iters, by_epoch=False),
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=400, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
