# FDR-Net, Table 4: deraining on DID-MDN (12,000 training, 1,200 test pairs,
# split from the release by tools/synthesize.py, see
# configs/_base_/datasets/didmdn.py), FDR-Net's recipe of Sec. 4.3.
#   python tools/train.py configs/fdrnet/fdrnet_derain_didmdn.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/fdrnet.py',
    '../_base_/datasets/didmdn.py', '../_base_/schedules/fdrnet_adam_step.py'
]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=9000, max_keep_ckpts=3, save_best='PSNR',
                    rule='greater'))
