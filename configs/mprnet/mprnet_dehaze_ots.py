# Uni-Removal's dehazing teacher: MPRNet on RESIDE OTS, tested on
# SOTS-outdoor, with MPRNet's recipe (250 epochs).
# There is no official dehazing MPRNet; the deraining widths (40/20/16) are
# used so that the teachers share the student's feature widths.
#   python tools/train.py configs/mprnet/mprnet_dehaze_ots.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/reside_ots.py',
    '../_base_/schedules/mprnet_adam_cosine.py'
]
model = dict(generator=dict(variant='deraining'))

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3,
                    save_best='PSNR', rule='greater'))
log_processor = dict(by_epoch=True)
