# Table 6, right: 16 channels with 3 FD-layers; 32 is the default
# (configs/fdrnet/fdrnet_did_hy.py).
_base_ = ['./fdrnet_did_hy.py']
model = dict(generator=dict(channels=16))
