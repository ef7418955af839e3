# FDR-Net on the demo's hybrid-distorted split (blur + noise + JPEG at
# RL-Restore's moderate level on 96x96 patches; tools/make_demo_data.py).
# The full model, loss (L1 + 1e-5 SVDO) and code path of the paper configs
# in a size that trains on a CPU in minutes: one phase of 32 channels (the
# paper's width, 3 FD-layers and 3 FA-layers), one ResBlock per process
# module and in the auxiliary branch (130,263 parameters). Results, timings
# and the comparison with DnCNN trained for the same time
# (configs/fdrnet/dncnn_demo.py): docs/methods/fdrnet.md.
#   python tools/make_demo_data.py
#   python tools/train.py configs/fdrnet/fdrnet_demo.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/fdrnet.py',
    '../_base_/datasets/demo_paired.py'
]
task = 'hybrid'
model = dict(
    generator=dict(channels=32, num_phases=1, num_process_blocks=1,
                   num_aux_blocks=1, reduction=8, num_lower_blocks=3))
train_dataloader = dict(
    batch_size=8,
    dataset=dict(data_root=f'data/demo/{task}/train', name=f'demo_{task}'))
val_dataloader = dict(
    dataset=dict(data_root=f'data/demo/{task}/test', name=f'demo_{task}'))
test_dataloader = val_dataloader

# A short run needs a faster start than the paper's 1e-4 step schedule:
# Adam 2e-3 with cosine annealing (2e-3 beat 1e-3 here; DnCNN's best was
# 1e-3, see the demo section of docs/methods/fdrnet.md).
max_iters = 700
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-3, betas=(0.9, 0.999), eps=1e-8))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_iters, save_best='PSNR', rule='greater'))
