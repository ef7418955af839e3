# FDR-Net, Table 4: deraining on DID-MDN (12,000 training, 1,200 test pairs,
# split from the release by tools/synthesize.py, see
# configs/_base_/datasets/didmdn.py), FDR-Net's recipe of Sec. 4.3.
#   python tools/train.py configs/fdrnet/fdrnet_derain_didmdn.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/fdrnet.py',
    '../_base_/datasets/didmdn.py', '../_base_/schedules/fdrnet_adam_step.py'
]
# Table 4: "the SSIM is computed in the same way with SPANET". SPANet's test
# (stevewongv/SPANet, main.py run_test) calls skimage's
# compare_ssim(pred, gt, multichannel=True) on float32 images in [0, 1]
# (the prediction clipped, not rounded) without data_range, which
# scikit-image of the time set to 2, its range of float images: L = 510 on
# the 8-bit scale (docs/methods/fdrnet.md#how-each-table-measures).
val_evaluator = [
    dict(type='PSNR'),
    dict(type='SSIM', variant='skimage', data_range=510,
         round_to_uint8=False),
]
test_evaluator = val_evaluator
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=9000, max_keep_ckpts=3, save_best='PSNR',
                    rule='greater'))
