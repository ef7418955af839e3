# Table IV, row "+ ICL": the pixel loss and the image-grained contrastive
# loss (Eq. 4), no feature-grained loss. Otherwise as kt_mprnet.py.
#   python tools/train.py configs/uniremoval/kt_mprnet_icl.py
_base_ = ['./kt_mprnet.py']
model = dict(feature_loss=None)
