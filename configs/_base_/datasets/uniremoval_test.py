# Uni-Removal's test sets: real-world degraded images scored with BRISQUE
# and PIQE (Tables I-III, V: RTTS, SPA-Data, RealBlur-J) and the synthetic
# test sets with PSNR/SSIM (Table IV: SOTS, Rain1400, GoPro). One metric
# prefix per set (MultiTestLoop); docs/datasets.md for the layouts. A config
# uses them as test_dataloader = {{_base_.uniremoval_test_dataloader}} and
# test_evaluator = {{_base_.uniremoval_test_evaluator}}.
_ur_load = [dict(type='LoadImageFromFile', key='img'),
            dict(type='PackRestorationInputs')]
_ur_load_pair = [dict(type='LoadImageFromFile', key='img'),
                 dict(type='LoadImageFromFile', key='gt'),
                 dict(type='PackRestorationInputs')]
_ur_loader = dict(batch_size=1, num_workers=4, persistent_workers=False,
                  sampler=dict(type='DefaultSampler', shuffle=False))
uniremoval_real_test_sets = [
    dict(_ur_loader, dataset=dict(
        type='ImageFolderDataset', data_root='data/RESIDE/RTTS',
        data_prefix=dict(img='JPEGImages'), pipeline=_ur_load, test_mode=True,
        name='rtts')),
    # SPA-Data's real test set has targets; the paper scores it without.
    dict(_ur_loader, dataset=dict(
        type='SPADataset', data_root='data/SPA/Testing',
        pipeline=_ur_load_pair, test_mode=True, name='spa')),
    dict(_ur_loader, dataset=dict(
        type='RealBlurDataset', data_root='data/RealBlur',
        ann_file='RealBlur_J_test_list.txt', pipeline=_ur_load_pair,
        test_mode=True, name='realblur_j')),
]
uniremoval_synthetic_test_sets = [
    dict(_ur_loader, dataset=dict(
        type='RESIDEDataset', data_root='data/RESIDE/SOTS/outdoor',
        data_prefix=dict(img='hazy', gt='gt'), pipeline=_ur_load_pair,
        test_mode=True, name='sots')),
    dict(_ur_loader, dataset=dict(
        type='Rain1400Dataset', data_root='data/Rain1400/test',
        pipeline=_ur_load_pair, test_mode=True, name='rain1400')),
    dict(_ur_loader, dataset=dict(
        type='GoProDataset', data_root='data/GoPro/test',
        pipeline=_ur_load_pair, test_mode=True, name='gopro')),
]
_ur_no_reference = [dict(type='BRISQUE'), dict(type='PIQE')]
_ur_full_reference = [dict(type='PSNR'), dict(type='SSIM')]
uniremoval_test_dataloader = (uniremoval_real_test_sets +
                              uniremoval_synthetic_test_sets)
uniremoval_test_evaluator = [_ur_no_reference] * 3 + \
    [_ur_full_reference] * 3
