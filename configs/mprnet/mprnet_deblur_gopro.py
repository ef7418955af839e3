# MPRNet's own deblurring model (Zamir et al., CVPR 2021; swz30/MPRNet,
# Deblurring/): the deblurring widths (96/48/32, 20,127,073 parameters),
# trained on GoPro with the released recipe (Charbonnier + 0.05 edge loss on
# all three stages, Adam 2e-4, 3 warm-up epochs then cosine to 1e-6, 3,000
# epochs, batch 16, 256² crops, eight flips/rotations), PSNR/SSIM on RGB.
#
# The released weights (model_deblurring.pth) load unchanged:
#   python tools/test.py configs/mprnet/mprnet_deblur_gopro.py \
#       pretrained/model_deblurring.pth
#   python tools/infer.py configs/mprnet/mprnet_deblur_gopro.py \
#       --checkpoint pretrained/model_deblurring.pth --input blurry/ \
#       --output deblurred/
# Training:
#   python tools/train.py configs/mprnet/mprnet_deblur_gopro.py
# Data layout (docs/datasets.md): data/GoPro/{train,test}/<scene>/{blur,sharp}.
# Uni-Removal's deblurring teacher (40/20/16, as its other teachers and its
# student) is configs/uniremoval/teacher_deblur_gopro.py.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/gopro.py', '../_base_/schedules/mprnet_adam_cosine.py'
]
model = dict(generator=dict(variant='deblurring'))

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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_epochs = 3000
warmup_epochs = 3
train_cfg = dict(max_epochs=max_epochs, val_interval=100)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, T_max=max_epochs - warmup_epochs,
         convert_to_iter_based=True),
]

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=100, max_keep_ckpts=3,
                    save_best='PSNR', rule='greater'))
log_processor = dict(by_epoch=True)
