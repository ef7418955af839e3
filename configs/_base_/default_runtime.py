# Runtime defaults shared by every config of the toolbox.
default_scope = 'toolbox'

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # CPU-only runs switch to gloo themselves. timeout: seconds a collective
    # waits for the other ranks; a rank that hangs or dies then stops every
    # other one with an error instead of a hang (TOOLBOX_DIST_TIMEOUT wins).
    dist_cfg=dict(backend='nccl', timeout=1800),
)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # log_metric_by_epoch=False: validation metrics are logged at the
    # training iteration (MMEngine's default logs them at the epoch, 0 in
    # iteration-based training), the x axis of tools/analyze_logs.py and
    # TensorBoard.
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # by_epoch=False: iteration-based checkpoints, written atomically.
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000, max_keep_ckpts=3,
        save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # A NaN/inf loss term stops the run (naming the term, the iteration and
    # the last good checkpoint) before any checkpoint of non-finite weights
    # is written; on_non_finite='skip' skips such steps instead.
    non_finite=dict(type='NonFiniteLossHook', on_non_finite='stop'),
    # --resume continues bit-exactly: every checkpoint also holds each
    # rank's random states (Python, NumPy, PyTorch CPU/CUDA) and the image
    # pools, put back where the straight run stood; validation leaves the
    # training's random streams untouched (docs/reliability.md).
    exact_resume=dict(type='ExactResumeHook'),
    # Under DDP with num_workers=0 every rank would draw the same crops,
    # flips and unpaired domain-B images: ranks > 0 get their own Python
    # and NumPy seeds, derived from (seed, rank).
    rank_data_seed=dict(type='RankDataSeedHook'),
    # At every validation, an input | output | target grid of the first
    # num_images images of each validation set, written through the
    # visualizer (vis_data/vis_image/val_<iter>.png; docs/visualization.md).
    visualization=dict(type='ValImageGridHook', num_images=4),
)

log_processor = dict(type='LogProcessor', window_size=10, by_epoch=False)
# Scalars (vis_data/scalars.json, read by tools/analyze_logs.py) and images
# on disk; TensorBoard too as soon as it is installed (the backend switches
# itself off, with one log line, where it is not).
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='OptionalTensorboardVisBackend'),
]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

# Validation and testing over one or several named test sets; metric keys
# are prefixed with each test set's name when there are several.
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')
