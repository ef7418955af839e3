# FDR-Net, Table 2 (and the full model of the Table 5/6 ablations): DID-HY,
# DID-MDN's rain plus blur, noise and JPEG at 512x512 (made with
# tools/synthesize.py, see configs/_base_/datasets/did_hy.py), FDR-Net's
# recipe of Sec. 4.3 on 63x63 random crops.
#   python tools/train.py configs/fdrnet/fdrnet_did_hy.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/fdrnet.py',
    '../_base_/datasets/did_hy.py', '../_base_/schedules/fdrnet_adam_step.py'
]
# Table 2 states "the SSIM is computed in the same way with OP-Attention":
# its test script (sg-nm/Operation-wise-attention-network, test.py) calls
# skimage's compare_ssim(output, target, data_range=1, multichannel=True) on
# the network's float output clipped to [0, 1], not rounded to 8 bits: a 7x7
# uniform window with sample covariance, the mean over R, G, B. Tables 5
# and 6 give the full model Table 2's 0.680, so their configs (which
# inherit this one) measure the same way. PSNR as everywhere else
# (docs/methods/fdrnet.md#how-each-table-measures).
val_evaluator = [
    dict(type='PSNR'),
    dict(type='SSIM', variant='skimage', round_to_uint8=False),
]
test_evaluator = val_evaluator
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=9000, max_keep_ckpts=3, save_best='PSNR',
                    rule='greater'))
