# The baseline of the FDR-Net demo: the toolbox's DnCNN demo network
# (configs/demo/tiny_restorer.py: 6 layers of 32 channels, 38,755
# parameters, Adam 1e-3) on the same hybrid-distorted demo split, with the
# same batch, crops, L1 loss and cosine schedule as
# configs/fdrnet/fdrnet_demo.py, trained for the same wall-clock time:
# DnCNN is about 3x faster per iteration, so it runs 2,100 iterations to
# FDR-Net's 700 (measured side by side on 2 CPU cores, one thread each;
# docs/methods/fdrnet.md).
#   python tools/train.py configs/fdrnet/dncnn_demo.py
_base_ = ['../demo/tiny_restorer.py']
task = 'hybrid'
train_dataloader = dict(
    batch_size=8,
    dataset=dict(data_root=f'data/demo/{task}/train', name=f'demo_{task}'))
val_dataloader = dict(
    dataset=dict(data_root=f'data/demo/{task}/test', name=f'demo_{task}'))
test_dataloader = val_dataloader

max_iters = 2100
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_iters, save_best='PSNR', rule='greater'))
