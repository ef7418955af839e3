# DCD-GAN on the embedded demo data, on CPU in minutes: translate the
# unpaired rainy crops (data/demo/unpaired/rain/train/rainy) into clean ones
# (.../train/clean, other content); validate and test on the held-out pairs
# (data/demo/unpaired/rain/test: PSNR/SSIM and the colour cast dRGB against
# the clean targets; the rainy inputs alone with NIQE, BRISQUE, PIQE).
#   python tools/make_demo_data.py
#   python tools/demo.py --method dcdgan       (train, test, table, grid)
# Everything but size, data, schedule and the generators' global residual is
# dcdgan_rain800.py (the paper's recipe); each departure says why below;
# docs/methods/dcdgan.md#demo-on-the-embedded-data-cpu has the curves.
_base_ = ['./dcdgan_rain800.py']

# A small anti-aliased ResNet generator (16 channels, 5 blocks, so that
# layers 4, 8, 12, 16 are the same layers as in ResNet-9) and PatchGAN
# (16 channels): the anti-aliased networks run their first convolutions at
# full resolution, so they cost about twice CycleGAN's at equal width.
# global_residual (not in the paper): the generators start as the identity,
# so the short run is spent on removing rain, not on learning to copy the
# image (docs/models/resnet_generator.md).
model = dict(
    generator=dict(base_channels=16, num_blocks=5, global_residual=True),
    discriminator=dict(base_channels=16))

demo_root = 'data/demo/unpaired/rain'
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
        data_root=f'{demo_root}/train',
        data_prefix=dict(img='rainy', ref='clean'),
        pipeline=train_pipeline,
        name='demo_unpaired_rain2clean'))
heldout_set = dict(
    type='PairedImageDataset',
    data_root=f'{demo_root}/test',
    data_prefix=dict(img='input', gt='target'),
    pipeline={{_base_.paired_test_pipeline}},
    test_mode=True,
    name='demo_rain_heldout')
# The same rainy inputs, scored by the no-reference metrics alone (as a
# real rainy set is). Read as pairs only so that tools/test.py --targets and
# the demo's last row can score their clean versions with the same metrics.
heldout_noref_set = dict(heldout_set, name='demo_rain_heldout_noref')
val_dataloader = dict(num_workers=0,
                      dataset=dict(_delete_=True, **heldout_set))
test_dataloader = [
    dict(batch_size=1, num_workers=0, persistent_workers=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=heldout_set),
    dict(batch_size=1, num_workers=0, persistent_workers=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=heldout_noref_set),
]
# As configs/cyclegan/cyclegan_demo.py, so that the two compare.
val_evaluator = [dict(type='PSNR'), dict(type='SSIM'),
                 dict(type='ColourShift')]
test_evaluator = [
    val_evaluator,
    [dict(type='NIQE'), dict(type='BRISQUE'), dict(type='PIQE')],
]

max_iters = 1500
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters, val_interval=250)
# The official shape (constant, then linear decay to zero) over
# iterations, for all three optimisers.
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0,
         begin=max_iters // 2, end=max_iters, by_epoch=False),
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=500, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
