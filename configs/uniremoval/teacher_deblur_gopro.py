# Uni-Removal's deblurring teacher: MPRNet on GoPro (IV-A1) with MPRNet's
# deblurring recipe (3,000 epochs). The teachers share one structure
# (III-B: "the structure of each teacher network remains the same"), the
# deraining widths 40/20/16 of the student, so FCL compares features of one
# width. The official deblurring MPRNet is wider (96/48/32) and is
# configs/mprnet/mprnet_deblur_gopro.py, which loads model_deblurring.pth.
#   python tools/train.py configs/uniremoval/teacher_deblur_gopro.py
# configs/uniremoval/kt_mprnet.py reads work_dirs/teacher_deblur_gopro.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/gopro.py', '../_base_/schedules/mprnet_adam_cosine.py'
]
model = dict(generator=dict(variant='deraining'))

# MPRNet's augmentation: random crops and all eight flips/rotations.
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
