# CycleGAN on the embedded demo data, on CPU in a few minutes: translate
# the unpaired "real-world-like" rainy photos (data/demo/real/rain) into
# clean ones (data/demo/real/clean); validate rain -> clean on the paired
# demo rain test split (PSNR/SSIM against the clean targets); tools/test.py
# also scores the real-world-like rain without references (BRISQUE, PIQE).
#   python tools/make_demo_data.py
#   python tools/train.py configs/cyclegan/cyclegan_demo.py
#   python tools/test.py configs/cyclegan/cyclegan_demo.py \
#       work_dirs/cyclegan_demo/iter_1500.pth
# Everything but size, data and schedule is the official recipe
# (cyclegan_resnet9_unpaired.py); docs/models/cyclegan.md.
_base_ = ['./cyclegan_resnet9_unpaired.py']

# A small ResNet generator (32 channels, 4 blocks) and discriminator.
model = dict(
    generator=dict(base_channels=32, num_blocks=4),
    discriminator=dict(base_channels=32))

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
paired_test_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PackRestorationInputs'),
]
train_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=f'{demo_root}/real',
        data_prefix=dict(img='rain', ref='clean'),
        pipeline=train_pipeline,
        name='demo_real_rain2clean'))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PairedImageDataset',
        data_root=f'{demo_root}/rain/test',
        data_prefix=dict(img='input', gt='target'),
        pipeline=paired_test_pipeline,
        test_mode=True,
        name='demo_rain'))
val_evaluator = [dict(type='PSNR'), dict(type='SSIM')]
# tools/test.py: the paired split (PSNR/SSIM against the clean targets) and
# the unpaired real-world-like rain (no-reference scores; NIQE is left out:
# on 96² images it is nearly constant, see docs/models/cyclegan.md).
test_dataloader = [
    val_dataloader,
    dict(val_dataloader, dataset=dict(
        type='ImageFolderDataset',
        data_root=f'{demo_root}/real/rain',
        pipeline=[dict(type='LoadImageFromFile', key='img'),
                  dict(type='PackRestorationInputs')],
        test_mode=True, name='demo_real_rain')),
]
test_evaluator = [val_evaluator, [dict(type='BRISQUE'), dict(type='PIQE')]]

max_iters = 1500
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters, val_interval=500)
# The official shape (constant, then linear decay to zero) over iterations.
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0,
         begin=max_iters // 2, end=max_iters, by_epoch=False),
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=500, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
