# MPRNet's own deraining model (Zamir et al., CVPR 2021; swz30/MPRNet,
# Deraining/): the deraining widths (40/20/16, 3,637,249 parameters),
# trained on Rain13K with the released recipe (Charbonnier + 0.05 edge loss
# on all three stages, Adam 2e-4, 3 warm-up epochs then cosine to 1e-6,
# 250 epochs, batch 16, 256² crops, eight flips/rotations), tested on the
# Rain1400 test set with PSNR/SSIM on the Y channel (the release's
# evaluate_PSNR_SSIM.m).
#
# The released weights (model_deraining.pth, keys `module.`-prefixed) load
# unchanged:
#   python tools/test.py configs/mprnet/mprnet_derain_rain13k.py \
#       pretrained/model_deraining.pth
#   python tools/infer.py configs/mprnet/mprnet_derain_rain13k.py \
#       --checkpoint pretrained/model_deraining.pth --input rainy/ \
#       --output derained/
# Training:
#   python tools/train.py configs/mprnet/mprnet_derain_rain13k.py
# Data layouts (docs/datasets.md): data/Rain13K/train/{input,target} (the
# release's Datasets/train), data/Rain1400/test/{rainy_image,ground_truth}.
# Uni-Removal's deraining teacher is configs/uniremoval/.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/paired_train_pipeline.py',
    '../_base_/schedules/mprnet_adam_cosine.py'
]
model = dict(generator=dict(variant='deraining'))

# The release's augmentation: random crops and all eight flips/rotations.
train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PairedRandomCrop', crop_size=256),
    dict(type='Flip', keys=['img', 'gt'], direction='horizontal'),
    dict(type='Flip', keys=['img', 'gt'], direction='vertical'),
    dict(type='RandomTranspose', keys=['img', 'gt']),
    dict(type='PackRestorationInputs'),
]
test_pipeline = {{_base_.test_pipeline}}

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PairedImageDataset',
        data_root='data/Rain13K/train',
        data_prefix=dict(img='input', gt='target'),
        pipeline=train_pipeline,
        name='rain13k'))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='Rain1400Dataset',
        data_root='data/Rain1400/test',
        pipeline=test_pipeline,
        test_mode=True,
        name='rain1400'))
test_dataloader = val_dataloader

# The release's deraining evaluation (Deraining/evaluate_PSNR_SSIM.m): PSNR
# and SSIM on the Y channel of MATLAB's rgb2ycbcr, rounded to uint8.
val_evaluator = [
    dict(type='PSNR', convert_to='y', round_y=True),
    dict(type='SSIM', convert_to='y', round_y=True),
]
test_evaluator = val_evaluator

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3,
                    save_best='PSNR', rule='greater'))
log_processor = dict(by_epoch=True)
