# CycleGAN's official recipe (pytorch-CycleGAN-and-pix2pix defaults) on
# the CycleGAN folder layout data/unpaired/{trainA,trainB,testA,testB}:
# ResNet-9 / PatchGAN / LSGAN, λ_cycle 10, λ_identity 0.5, Adam 2e-4
# (0.5, 0.999), batch 1, load 286 / crop 256, 100 epochs at the initial
# rate then 100 with a linear decay to zero. docs/models/cyclegan.md
#   python tools/train.py configs/cyclegan/cyclegan_resnet9_unpaired.py
# (another root: --cfg-options train_dataloader.dataset.data_root=DIR
#  test_dataloader.dataset.data_root=DIR)
#   python tools/test.py configs/cyclegan/cyclegan_resnet9_unpaired.py \
#       work_dirs/cyclegan_resnet9_unpaired/epoch_200.pth
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/cyclegan_resnet9.py',
    '../_base_/datasets/unpaired_cyclegan.py'
]

n_epochs, n_epochs_decay = 100, 100
train_cfg = dict(type='EpochBasedTrainLoop',
                 max_epochs=n_epochs + n_epochs_decay)
# The official rule, factor(e) = 1 - max(0, e + 1 - n_epochs) /
# (n_epochs_decay + 1) for 0-based epoch e, is this LinearLR exactly: 1 up
# to epoch n_epochs - 1, then (200 - e) / 101, applied to both wrappers.
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0,
         begin=n_epochs - 1, end=n_epochs + n_epochs_decay, by_epoch=True),
]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(by_epoch=True, interval=5, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
