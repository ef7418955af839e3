# FDR-Net's tables (Li et al., ECCV 2020) in the paper's layouts, filled
# from the results files of this folder's configs:
#   python tools/make_table.py --spec configs/fdrnet/tables.py --list
#   python tools/make_table.py --spec configs/fdrnet/tables.py \
#       --table 1 --work-dir work_dirs [--compare]
# A row not run yet shows "—" and the commands that fill it are listed
# under the table (toolbox/evaluation/table_spec.py: the format). The
# paper's values are as printed, with its row names (citations dropped)
# and its spellings, which differ between tables (DnCNN / Dncnn, SPANET).
#
# Layout: a spec's rows are methods and its columns test set × metric.
# Tables 2, 3, 4 and 6 are printed transposed (one column per method, one
# row per metric): here they are rows = methods, in the paper's left-to-
# right order. Table 6 is two such tables side by side (FD-layers 1-5,
# then channels 16-64 with 3 FD-layers): one table here, the FD-layer rows
# then the channel rows; its "3" and "32" columns are one model, the full
# fdrnet_did_hy.py, and both rows read its one results file.
#
# Rounding: Tables 1, 3-6 print PSNR with 2 decimals and SSIM with 4
# (Table 1) or 3: those tables leave `digits` out (PSNR 2, SSIM 4 places);
# Table 2 prints both with 4.
#
# SSIM conventions: the paper computes SSIM "in the same way with
# OP-Attention" (Tables 1, 2), "with SRN" (Table 3) and "with SPANET"
# (Table 4) without saying what that is; the configs' PSNR and SSIM are the
# toolbox's (docs/metrics.md), so a --compare difference includes that.
#
# Checkpoints: the configs' final iteration (270,000, the schedule of
# configs/_base_/schedules/fdrnet_adam_step.py), in the work folder named
# after the config. The one-set configs (DID-HY, GoPro, DID-MDN) name their
# test set with `test_set`, as the columns do; DIV2K's three levels are
# named mild, moderate, severe by HybridDistortionDataset.
#
# The 1-demo table is Table 1 on the embedded demo data (tools/demo.py
# --method fdrnet): the demo's hybrid split is blur + noise + JPEG at
# RL-Restore's moderate level, Table 1's "Moderate" column, with the
# demo's DnCNN and FDR-Net (configs/fdrnet/{dncnn,fdrnet}_demo.py).

_not_here = 'not in the toolbox (the paper\'s value only, with --compare)'


def _competitor(label, paper):
    return dict(label=label, runs=[], note=_not_here, paper=paper)


def _run(config, test_set=None):
    """The final checkpoint of configs/fdrnet/<config>.py, tested."""
    run = dict(config=f'configs/fdrnet/{config}.py',
               checkpoint=f'{config}/iter_270000.pth')
    if test_set:
        run['test_set'] = test_set
    return run


_div2k = [(f'{level}/{metric}', f'{name} {metric}')
          for level, name in (('mild', 'Mild (unseen)'),
                              ('moderate', 'Moderate'),
                              ('severe', 'Severe (unseen)'))
          for metric in ('PSNR', 'SSIM')]
_did_hy = [('did_hy/PSNR', 'PSNR'), ('did_hy/SSIM', 'SSIM')]

tables = dict(
    # ------------------------------------------------- hybrid distortion
    **{'1': dict(
        title='Table 1: DIV2K with hybrid distortions (blur + noise + '
        'JPEG; trained on moderate), PSNR and SSIM',
        columns=_div2k,
        rows=[
            # The toolbox's DnCNN trains with FDR-Net's recipe
            # (dncnn_div2k_hybrid.py); the paper's row is "the baseline in
            # previous work" (RL-Restore, OP-Attention).
            dict(label='DnCNN', runs=[_run('dncnn_div2k_hybrid')],
                 paper=[27.51, 0.7315, 26.50, 0.6650, 25.26, 0.5974]),
            _competitor('RL-Restore',
                        [28.04, 0.7313, 26.45, 0.6557, 25.20, 0.5915]),
            _competitor('OP-Attention',
                        [28.33, 0.7455, 27.07, 0.6787, 25.88, 0.6167]),
            dict(label='Ours', runs=[_run('fdrnet_div2k_hybrid')],
                 paper=[28.66, 0.7568, 27.24, 0.6846, 26.05, 0.6218]),
        ]),
       '2': dict(
        # Printed transposed: columns Dncnn, OP-Attention, ours; rows PSNR,
        # SSIM (4 decimals, the only table that prints them).
        title='Table 2: DID-HY (DID-MDN rain + blur + noise + JPEG), PSNR '
        'and SSIM',
        columns=_did_hy, digits=4,
        rows=[
            dict(label='Dncnn', runs=[_run('dncnn_did_hy', 'did_hy')],
                 paper=[22.1315, 0.5953]),
            _competitor('OP-Attention', [23.1768, 0.6269]),
            dict(label='ours', runs=[_run('fdrnet_did_hy', 'did_hy')],
                 paper=[24.9700, 0.6799]),
        ]),
       # ------------------------------------------- single distortions
       '3': dict(
        # Printed transposed. Inception_ResNet is DeblurGAN-v2 with its
        # Inception-ResNet-v2 backbone.
        title='Table 3: deblurring on GoPro, PSNR and SSIM',
        columns=[('gopro/PSNR', 'PSNR'), ('gopro/SSIM', 'SSIM')],
        rows=[
            _competitor('DeepDeblur', [29.23, 0.916]),
            _competitor('DeblurGan', [28.70, 0.927]),
            _competitor('SRN', [30.10, 0.932]),
            _competitor('Inception_ResNet', [29.55, 0.934]),
            dict(label='ours', runs=[_run('fdrnet_deblur_gopro', 'gopro')],
                 paper=[30.55, 0.938]),
        ]),
       '4': dict(
        # Printed transposed; "DID-MDN" is both the method and the data
        # set.
        title='Table 4: deraining on DID-MDN, PSNR and SSIM',
        columns=[('did_mdn/PSNR', 'PSNR'), ('did_mdn/SSIM', 'SSIM')],
        rows=[
            _competitor('DID-MDN', [27.95, 0.909]),
            _competitor('RESCAN', [29.95, 0.884]),
            _competitor('SPANET', [30.05, 0.934]),
            dict(label='ours',
                 runs=[_run('fdrnet_derain_didmdn', 'did_mdn')],
                 paper=[32.96, 0.951]),
        ]),
       # ------------------------------------------------------ ablations
       '5': dict(
        # The paper's Params column is not a metric of a results file:
        # tools/complexity.py fills it. The paper's counts: 1.66M, 1.62M,
        # 1.21M (the configs: 1,660,571, 1,672,787 and 1,210,283;
        # docs/methods/fdrnet.md#parameter-count).
        title='Table 5: FDM and the auxiliary module, on DID-HY (PSNR, '
        'SSIM)',
        columns=_did_hy,
        rows=[
            dict(label='FDM ✓ Aux. ✓', runs=[_run('fdrnet_did_hy', 'did_hy')],
                 paper=[24.97, 0.680]),
            dict(label='FDM × Aux. ✓',
                 runs=[_run('fdrnet_did_hy_no_fdm', 'did_hy')],
                 paper=[23.91, 0.646]),
            dict(label='FDM ✓ Aux. ×',
                 runs=[_run('fdrnet_did_hy_no_aux', 'did_hy')],
                 paper=[24.27, 0.653]),
        ]),
       '6': dict(
        # Printed as two transposed tables side by side ("DFlayers" 1-5,
        # "Channels" 16-64 with 3 FD-layers): the FD-layer rows, then the
        # channel rows; "DFlayers 3" and "Channels 32" are the full model.
        title='Table 6: FD-layers per FDM, and channels with 3 FD-layers, '
        'on DID-HY (PSNR, SSIM)',
        columns=_did_hy,
        rows=[
            dict(label=f'DFlayers {n}', runs=[_run(
                'fdrnet_did_hy' if n == 3 else f'fdrnet_did_hy_fd{n}',
                'did_hy')], paper=paper)
            for n, paper in ((1, [24.63, 0.666]), (2, [24.70, 0.668]),
                             (3, [24.97, 0.680]), (4, [24.98, 0.680]),
                             (5, [24.99, 0.681]))
        ] + [
            dict(label=f'Channels {c}', runs=[_run(
                'fdrnet_did_hy' if c == 32 else f'fdrnet_did_hy_c{c}',
                'did_hy')], paper=paper)
            for c, paper in ((16, [24.47, 0.659]), (32, [24.97, 0.680]),
                             (48, [24.98, 0.682]), (64, [25.00, 0.683]))
        ]),
       # ------------------------------------------------ the demo's table
       '1-demo': dict(
        title='Table 1 on the demo data (tools/demo.py --method fdrnet): '
        'blur + noise + JPEG at the moderate level, DnCNN and FDR-Net '
        'trained for the same time',
        columns=[('demo_hybrid/PSNR', 'Moderate (demo) PSNR'),
                 ('demo_hybrid/SSIM', 'Moderate (demo) SSIM')],
        rows=[
            dict(label='degraded input', runs=[dict(
                config='configs/fdrnet/fdrnet_demo.py', inputs=True,
                test_set='demo_hybrid')]),
            dict(label='DnCNN (2,100 it.)', runs=[dict(
                config='configs/fdrnet/dncnn_demo.py',
                checkpoint='dncnn_demo/iter_2100.pth',
                test_set='demo_hybrid')]),
            dict(label='FDR-Net (700 it.)', runs=[dict(
                config='configs/fdrnet/fdrnet_demo.py',
                checkpoint='fdrnet_demo/iter_700.pth',
                test_set='demo_hybrid')]),
        ])},
)
