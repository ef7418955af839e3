# Table IV, row "BKT": basic knowledge transfer, the pixel loss of Eq. (1)
# alone (no MGCL). Same data, teachers and schedule as kt_mprnet.py.
#   python tools/train.py configs/uniremoval/kt_mprnet_bkt.py
_base_ = ['./kt_mprnet.py']
model = dict(feature_loss=None, image_loss=None)
