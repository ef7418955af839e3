# FDR-Net, Table 1: DIV2K with hybrid distortions (RL-Restore's protocol:
# Gaussian blur + Gaussian noise + JPEG; train on moderate, test on mild,
# moderate and severe; 63x63 patches), Adam 1e-4 x0.8 every 9,000
# iterations, batch 28 (Sec. 4.3). Build the data first (docs/degradations.md):
#   python tools/synthesize.py --clean data/DIV2K/DIV2K_train_HR \
#       --subset 0:750 --out data/div2k_hybrid/train/moderate \
#       --kind hybrid --level moderate
#   (and --subset 750:800 for test/{mild,moderate,severe})
#   python tools/train.py configs/fdrnet/fdrnet_div2k_hybrid.py
#   python tools/test.py configs/fdrnet/fdrnet_div2k_hybrid.py CKPT \
#       --out r.json
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/fdrnet.py',
    '../_base_/datasets/div2k_hybrid.py',
    '../_base_/schedules/fdrnet_adam_step.py'
]
# The patches are already 63x63: no crop (the base pipeline flips and
# transposes). 9,000 iterations of 28 patches are about one epoch.
train_dataloader = dict(batch_size=28,
                        sampler=dict(type='InfiniteSampler', shuffle=True))
# Table 1 states "the SSIM is computed in the same way with OP-Attention":
# its test script (sg-nm/Operation-wise-attention-network, test.py) calls
# skimage's compare_ssim(output, target, data_range=1, multichannel=True) on
# the network's float output clipped to [0, 1], not rounded to 8 bits: a 7x7
# uniform window with sample covariance, the mean over R, G, B (the same
# for each test level). PSNR as everywhere else
# (docs/methods/fdrnet.md#how-each-table-measures).
val_evaluator = [
    dict(type='PSNR'),
    dict(type='SSIM', variant='skimage', round_to_uint8=False),
]
test_evaluator = val_evaluator
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=9000, max_keep_ckpts=3,
                    save_best='moderate/PSNR', rule='greater'))
