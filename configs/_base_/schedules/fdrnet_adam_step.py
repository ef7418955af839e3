# FDR-Net's schedule (Sec. 4.3): Adam, learning rate 1e-4, multiplied by 0.8
# every 9,000 iterations, mini-batches of 28 (set in the dataset configs).
# The paper gives no iteration count, only "about 24 hours" on a 1080Ti. We
# stop after 30 decays (270,000 iterations, lr 1e-4 * 0.8^30 = 1.2e-7): later
# steps no longer move the weights. 9,000 iterations of 28 patches is about
# one pass over the 249,344 DIV2K training patches.
max_iters = 270000
decay_every = 9000

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=decay_every)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), eps=1e-8))
param_scheduler = [
    dict(type='StepLR', step_size=decay_every, gamma=0.8, by_epoch=False),
]
