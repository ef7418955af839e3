# Demo of Table IV's "BKT" row: kt_mprnet_demo.py with the pixel loss only.
#   python tools/train.py configs/uniremoval/kt_mprnet_bkt_demo.py
_base_ = ['./kt_mprnet_demo.py']
model = dict(feature_loss=None, image_loss=None)
