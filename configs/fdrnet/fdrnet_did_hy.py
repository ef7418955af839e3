# FDR-Net, Table 2 (and the full model of the Table 5/6 ablations): DID-HY,
# DID-MDN's rain plus blur, noise and JPEG at 512x512 (made with
# tools/synthesize.py, see configs/_base_/datasets/did_hy.py), FDR-Net's
# recipe of Sec. 4.3 on 63x63 random crops.
#   python tools/train.py configs/fdrnet/fdrnet_did_hy.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/fdrnet.py',
    '../_base_/datasets/did_hy.py', '../_base_/schedules/fdrnet_adam_step.py'
]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=9000, max_keep_ckpts=3, save_best='PSNR',
                    rule='greater'))
