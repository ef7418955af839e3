# kt_mprnet.py with the other reading of IV-A2's trade-off weights:
# λ_f = 0.1 (FCL) and λ_i = 0.5 (ICL) instead of 0.5 and 0.1. III-B gives
# FCL "a small trade-off weight", which fits 0.1 better; the default keeps
# the order in which IV-A2 lists the values (docs/methods/uniremoval.md).
#   python tools/train.py configs/uniremoval/kt_mprnet_swapped_weights.py
_base_ = ['./kt_mprnet.py']
model = dict(feature_loss=dict(loss_weight=0.1),
             image_loss=dict(loss_weight=0.5))
