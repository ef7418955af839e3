# MPRNet's schedule (swz30/MPRNet, training.yml + train.py): Adam(0.9, 0.999,
# eps 1e-8), lr 2e-4, linear warm-up for 3 epochs, then cosine annealing to
# 1e-6 at the last epoch. Epoch-based, updated every iteration.
# Configs that change max_epochs also set param_scheduler (its end/T_max are
# computed here). Checkpoint/logging hooks live in the configs (a schedule
# base must not repeat keys of default_runtime.py).
max_epochs = 250
warmup_epochs = 3

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=10)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.999), eps=1e-8))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, T_max=max_epochs - warmup_epochs,
         convert_to_iter_based=True),
]
