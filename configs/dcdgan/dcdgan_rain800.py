# DCD-GAN (Chen et al., CVPR 2022) on Rain800 (Table 2: 700 training
# pairs used unpaired, Test100 for PSNR/SSIM), as in the paper: Eq. (6)
# with the colour cycle (3), contrastive (2), adversarial (4, hinge as
# released) and frequency (5) losses; 300 + 300 epochs, batch 1, load 512
# / crop 256; lr 1e-4 (G, D), 1e-3 (heads). docs/methods/dcdgan.md
#   python tools/train.py configs/dcdgan/dcdgan_rain800.py
#   python tools/test.py configs/dcdgan/dcdgan_rain800.py \
#       work_dirs/dcdgan_rain800/epoch_600.pth --out r_rain800.json
#   python tools/infer.py configs/dcdgan/dcdgan_rain800.py \
#       --checkpoint work_dirs/dcdgan_rain800/epoch_600.pth \
#       --input RAINY_DIR --output OUT_DIR --tile 512
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/dcdgan_resnet9.py',
    '../_base_/datasets/unpaired_derain_dcdgan.py',
    '../_base_/schedules/dcdgan_600e.py'
]

data_root = 'data/dcdgan/Rain800'
test_set = dict(type='PairedImageDataset', data_root=data_root,
                data_prefix=dict(img='testA', gt='testB'),
                pipeline={{_base_.paired_test_pipeline}}, test_mode=True,
                name='test100')
train_dataloader = dict(dataset=dict(data_root=data_root,
                                     name='rain800_unpaired'))
val_dataloader = dict(batch_size=1, num_workers=2, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=test_set)
# Table 1 (PSNR/SSIM on the paired test set) and Table 3 (NIQE/BRISQUE on
# real rainy photographs), metrics prefixed with each set's name.
test_dataloader = [
    val_dataloader,
    dict(val_dataloader, dataset={{_base_.real_rain_set}}),
]

default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
