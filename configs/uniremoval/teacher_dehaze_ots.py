# Uni-Removal's dehazing teacher: MPRNet on RESIDE OTS, tested on
# SOTS-outdoor (IV-A1), with MPRNet's recipe (250 epochs). There is no
# official dehazing MPRNet; the teachers share one structure (III-B), the
# deraining widths (40/20/16), which is also the student's.
#   python tools/train.py configs/uniremoval/teacher_dehaze_ots.py
# configs/uniremoval/kt_mprnet.py reads work_dirs/teacher_dehaze_ots.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/reside_ots.py',
    '../_base_/schedules/mprnet_adam_cosine.py'
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

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3,
                    save_best='PSNR', rule='greater'))
log_processor = dict(by_epoch=True)
