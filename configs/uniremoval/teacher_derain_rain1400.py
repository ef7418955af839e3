# Uni-Removal's deraining teacher (III-B: "the structure of each teacher
# network remains the same"): MPRNet at the deraining widths (40/20/16,
# 3,637,249 parameters), like the dehazing and deblurring teachers and the
# student, trained on Rain1400 (IV-A1) with MPRNet's recipe (Charbonnier +
# 0.05 edge loss on all stages, Adam 2e-4, 250 epochs).
#   python tools/train.py configs/uniremoval/teacher_derain_rain1400.py
# configs/uniremoval/kt_mprnet.py reads work_dirs/teacher_derain_rain1400.
# MPRNet's own deraining model (Rain13K) is configs/mprnet/.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/rain1400.py',
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

# MPRNet's deraining evaluation (Deraining/evaluate_PSNR_SSIM.m): PSNR and
# SSIM on the Y channel of MATLAB's rgb2ycbcr, rounded to uint8.
# Validation follows MPRNet's deraining convention (Y channel of the
# rounded YCbCr). The test is Table IV's: the teacher's Rain1400 column
# is the students' (kt_mprnet.py: RGB), so one column holds one metric.
val_evaluator = [
    dict(type='PSNR', convert_to='y', round_y=True),
    dict(type='SSIM', convert_to='y', round_y=True),
]
test_evaluator = [dict(type='PSNR'), dict(type='SSIM')]

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3,
                    save_best='PSNR', rule='greater'))
log_processor = dict(by_epoch=True)
