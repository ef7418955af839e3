# Uni-Removal's dehazing teacher: MPRNet on RESIDE OTS, tested on SOTS-outdoor.
# There is no official dehazing MPRNet; the deraining widths are used so that
# all teachers share the student's feature widths (Uni-Removal's feature
# contrast compares them directly).
#   python tools/train.py configs/mprnet/mprnet_dehaze_ots.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/reside_ots.py',
    '../_base_/schedules/mprnet_adam_cosine.py'
]
model = dict(generator=dict(variant='deraining'))
