# Your first model on your own image pairs (docs/get_started.md): a small
# MPRNet (16/8/8 features, 2 CABs per ORB: the network of the Uni-Removal
# demo teachers) with MPRNet's losses, on 64x64 crops, batch 4.
# Each root holds input/ (degraded) and target/ (clean) images with the
# same file names (PairedImageDataset, docs/datasets.md). Copy this file
# next to itself, change the two roots, and train:
#   cp configs/demo/paired_folders.py configs/demo/my_pairs.py
#   python tools/train.py configs/demo/my_pairs.py
# As committed it trains on the demo's rain split (python tools/demo.py or
# tools/make_demo_data.py builds data/demo): 300 iterations, about a
# minute on 2 CPU cores, 26.1 -> 29.1 dB PSNR.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/demo_paired.py'
]

train_root = 'data/demo/rain/train'  # your training pairs: input/, target/
test_root = 'data/demo/rain/test'  # your test pairs: input/, target/

# Real photographs need many more iterations (and, on a GPU, the released
# widths: configs/mprnet/); the schedule follows max_iters.
max_iters = 300

model = dict(
    generator=dict(variant=None, n_feat=16, scale_unetfeats=8,
                   scale_orsnetfeats=8, num_cab=2))
train_dataloader = dict(
    batch_size=4, dataset=dict(data_root=train_root, name='my_pairs_train'))
val_dataloader = dict(dataset=dict(data_root=test_root, name='my_pairs'))
test_dataloader = val_dataloader

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=3e-3, betas=(0.9, 0.999), eps=1e-8))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=20,
         end=max_iters, T_max=max_iters - 20),
]
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=max_iters))
