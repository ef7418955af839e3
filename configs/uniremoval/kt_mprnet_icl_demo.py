# Demo of Table IV's "+ ICL" row: kt_mprnet_demo.py without FCL.
#   python tools/train.py configs/uniremoval/kt_mprnet_icl_demo.py
_base_ = ['./kt_mprnet_demo.py']
model = dict(feature_loss=None)
