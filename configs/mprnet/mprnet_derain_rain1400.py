# Uni-Removal's deraining teacher: MPRNet (deraining variant, 3.64 M
# parameters) trained on Rain1400 with MPRNet's recipe.
#   python tools/train.py configs/mprnet/mprnet_derain_rain1400.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/rain1400.py', '../_base_/schedules/mprnet_adam_cosine.py'
]
model = dict(generator=dict(variant='deraining'))
