# MPRNet's own denoising model (Zamir et al., CVPR 2021; swz30/MPRNet,
# Denoising/): the denoising widths (80/48/32, 15,741,025 parameters),
# trained on SIDD with the released recipe: Charbonnier loss alone, summed
# over the three stages, Adam 2e-4 (weight decay 1e-8), 3 warm-up epochs
# then cosine towards 1e-6 with the release's period (80 - 3 + 40 epochs),
# 80 epochs, batch 16, 128² crops of the 256² training patches, eight
# flips/rotations; PSNR/SSIM on RGB.
# Not reproduced: the release's MixUp of training pairs after epoch 5 and
# its clamping of the outputs to [0, 1] inside the loss.
#
# The released weights (model_denoising.pth) load unchanged:
#   python tools/test.py configs/mprnet/mprnet_denoise_sidd.py \
#       pretrained/model_denoising.pth
#   python tools/infer.py configs/mprnet/mprnet_denoise_sidd.py \
#       --checkpoint pretrained/model_denoising.pth --input noisy/ \
#       --output denoised/
# Training:
#   python tools/train.py configs/mprnet/mprnet_denoise_sidd.py
# Data layout (docs/datasets.md): data/SIDD/{train,val}/{input,target}, as
# the release reads them (its generate_patches_SIDD.py writes 256² training
# patches; name its `groundtruth` folder `target`, or set
# data_prefix=dict(img='input', gt='groundtruth')).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/paired_train_pipeline.py',
    '../_base_/schedules/mprnet_adam_cosine.py'
]
model = dict(
    generator=dict(variant='denoising'),
    losses=[dict(type='CharbonnierLoss', eps=1e-3, loss_weight=1.0)])

train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PairedRandomCrop', crop_size=128),
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
        data_root='data/SIDD/train',
        data_prefix=dict(img='input', gt='target'),
        pipeline=train_pipeline,
        name='sidd_train'))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PairedImageDataset',
        data_root='data/SIDD/val',
        data_prefix=dict(img='input', gt='target'),
        pipeline=test_pipeline,
        test_mode=True,
        name='sidd'))
test_dataloader = val_dataloader

max_epochs = 80
warmup_epochs = 3
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
optim_wrapper = dict(optimizer=dict(weight_decay=1e-8))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    # The release's CosineAnnealingLR(T_max=NUM_EPOCHS - warmup + 40): the
    # rate has not reached 1e-6 when training stops.
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True,
         begin=warmup_epochs, end=max_epochs,
         T_max=max_epochs - warmup_epochs + 40, convert_to_iter_based=True),
]

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=1, max_keep_ckpts=3,
                    save_best='PSNR', rule='greater'))
log_processor = dict(by_epoch=True)
