# Uni-Removal's deblurring teacher: MPRNet on GoPro (IV-A1) with MPRNet's
# deblurring recipe (3,000 epochs). The teachers share one structure
# (III-B: "the structure of each teacher network remains the same"), the
# deraining widths 40/20/16 of the student, so FCL compares features of one
# width. The official deblurring MPRNet is wider (96/48/32) and is
# configs/mprnet/mprnet_deblur_gopro.py, which loads model_deblurring.pth.
#   python tools/train.py configs/uniremoval/teacher_deblur_gopro.py
# configs/uniremoval/kt_mprnet.py reads work_dirs/teacher_deblur_gopro.
# Everything but the width is the release's recipe, inherited.
_base_ = ['../mprnet/mprnet_deblur_gopro.py']
model = dict(generator=dict(variant='deraining'))
