# FDR-Net, Table 3: deblurring on GoPro (2,103 training, 1,111 test pairs),
# FDR-Net's recipe of Sec. 4.3. The paper gives no crop size for GoPro; we
# keep its 63x63 patches (crop_size) and test on whole 1280x720 frames.
#   python tools/train.py configs/fdrnet/fdrnet_deblur_gopro.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/fdrnet.py',
    '../_base_/datasets/gopro.py', '../_base_/schedules/fdrnet_adam_step.py'
]
crop_size = 63
# Table 3: "the SSIM is computed in the same way with SRN". SRN's release
# (jiangsutx/SRN-Deblur) only writes the deblurred images; it has no
# PSNR/SSIM code to follow, so the toolbox's default, Wang's ssim.m on RGB
# (11x11 Gaussian), is kept: an assumption
# (docs/methods/fdrnet.md#how-each-table-measures).
train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PairedRandomCrop', crop_size=crop_size),
    dict(type='Flip', keys=['img', 'gt'], direction='horizontal'),
    dict(type='PackRestorationInputs'),
]
train_dataloader = dict(
    batch_size=28,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=9000, max_keep_ckpts=3, save_best='PSNR',
                    rule='greater'))
