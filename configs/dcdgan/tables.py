# DCD-GAN's tables (Chen et al., CVPR 2022) in the paper's layouts, filled
# from the results files of this folder's configs:
#   python tools/make_table.py --spec configs/dcdgan/tables.py --list
#   python tools/make_table.py --spec configs/dcdgan/tables.py \
#       --table 4 --work-dir work_dirs [--compare]
# A row not run yet shows "—" and the commands that fill it are listed
# under the table (toolbox/evaluation/table_spec.py: the format). The
# paper's values are as printed ("/" is None), with its row names
# (citations dropped) and its spellings, which differ between tables
# (Table 1 "SIRR", Table 3 and the text "SSIR", for the same method [36]).
#
# Table 2 lists the data sets (training and test sizes), not results: it
# has no spec table. Its sets are the configs and test sets below: Rain800
# (dcdgan_rain800.py, test100), DID-Data (dcdgan_diddata.py, test1200),
# DDN-Data (dcdgan_ddndata.py, test1400), SPA-Data (dcdgan_spadata.py,
# test1000).
#
# Layout: a spec's rows are methods and its columns test set × metric.
# Tables 3-6 are printed transposed (one column per method, one row of
# metrics): here they are rows = methods, in the paper's left-to-right
# order. Table 4 is printed as two such lines of three models each; the
# rows follow them in reading order.
#
# Table 4's column headings lost their symbols in our copy of the paper
# ("w/o | w/o | w *", "w/o | w/o | Ours"). The labels are a reading: the
# four losses in the order the paper introduces them (contrastive Eq. 2,
# colour cycle Eq. 3, adversarial Eq. 4, frequency Eq. 5) and "w L_cyc"
# for the ordinary cycle loss in place of Eq. (3) (the text: "the last
# column of Tab. 4 ... the replacement of color cycle-consistency loss"),
# as docs/methods/dcdgan.md#ablations-tables-46 reads them. Which value
# belongs to which loss cannot be told from our copy.
#
# Rounding: the paper prints PSNR with 2 decimals and SSIM with 3; the
# tables leave `digits` out (PSNR 2, SSIM 4 places), but Table 3 (NIQE
# and BRISQUE with 3) sets digits=3.
#
# Checkpoints: each config's final epoch (600, configs/_base_/schedules/
# dcdgan_600e.py), in the work folder named after the config. Every DCD-GAN
# config tests two named sets (its paired test set and real_rain), so no
# run needs `test_set`. PSNR/SSIM are on the Y channel (the configs'
# convention; the paper does not say); NIQE/BRISQUE are LIVE's releases
# (docs/metrics.md) on data/dcdgan/real_rain, not the paper's 30
# unreleased photographs: Table 3's values do not compare directly.
#
# CycleGAN is in the toolbox (configs/cyclegan/), but no config trains it
# on these data sets: its paper rows have no runs.
#
# The demo table is Tables 1 and 3 on the embedded demo data (tools/demo.py
# --method dcdgan): CycleGAN and DCD-GAN, 1,500 iterations each, on the
# held-out demo pairs (PSNR, SSIM, dRGB) and the same rainy inputs without
# references (NIQE, BRISQUE, PIQE); and, as a bound rather than a method,
# the DCD-GAN demo's generator trained with pairs for the same iterations
# (configs/demo/gan_demo_paired_probe.py), and CycleGAN with DCD-GAN's
# anti-aliased generator (configs/demo/cyclegan_antialias_probe.py).

_not_here = 'not in the toolbox (the paper\'s value only, with --compare)'
_no_cyclegan_config = (
    'CycleGAN is in the toolbox (configs/cyclegan/) but no config trains '
    'it on these data sets (the paper\'s value only, with --compare)')


def _competitor(label, paper, note=_not_here):
    return dict(label=label, runs=[], note=note, paper=paper)


def _run(config):
    """The final checkpoint of configs/dcdgan/<config>.py, tested."""
    return dict(config=f'configs/dcdgan/{config}.py',
                checkpoint=f'{config}/epoch_600.pth')


_test100 = [('test100/PSNR', 'PSNR'), ('test100/SSIM', 'SSIM')]
_full = _run('dcdgan_rain800')

tables = dict(
    **{'1': dict(
        title='Table 1: synthetic (Test100, Test1200, Test1400) and '
        'real-world (Test1000) deraining, PSNR and SSIM',
        columns=[(f'{name.lower()}/{metric}', f'{name} {metric}')
                 for name in ('Test100', 'Test1200', 'Test1400',
                              'Test1000')
                 for metric in ('PSNR', 'SSIM')],
        rows=[
            # Prior-based methods
            _competitor('DSC', [18.56, 0.599, 24.24, 0.827, 27.31, 0.837,
                                34.95, 0.941]),
            _competitor('GMM', [20.46, 0.730, 25.66, 0.817, 26.87, 0.808,
                                34.30, 0.942]),
            # Paired / supervised methods
            _competitor('DDN', [21.16, 0.732, 27.93, 0.853, 28.00, 0.873,
                                34.70, 0.934]),
            _competitor('DID-MDN', [21.89, 0.795, 29.66, 0.899, 26.38,
                                    0.835, 34.68, 0.930]),
            _competitor('RESCAN', [24.09, 0.841, 32.25, 0.907, 32.03,
                                   0.917, 34.71, 0.937]),
            _competitor('SPANet', [24.37, 0.861, 30.05, 0.934, 29.83,
                                   0.904, 35.13, 0.944]),
            # Semi-supervised methods
            _competitor('SIRR', [None, None, 30.57, 0.910, 30.01, 0.907,
                                 34.85, 0.936]),
            _competitor('Syn2Real', [23.74, 0.799, None, None, None, None,
                                     None, None]),
            # Unpaired / without paired supervised methods
            _competitor('CycleGAN', [21.92, 0.683, 24.17, 0.729, 24.34,
                                     0.776, 31.59, 0.896],
                        _no_cyclegan_config),
            _competitor('RR-GAN', [23.51, 0.757, None, None, None, None,
                                   None, None]),
            _competitor('DerainCycleGAN', [24.30, 0.854, None, None, None,
                                           None, 35.20, 0.950]),
            # One model per data set, each under its own test set.
            dict(label='Ours', runs=[
                _full, _run('dcdgan_diddata'), _run('dcdgan_ddndata'),
                _run('dcdgan_spadata')],
                 paper=[25.61, 0.813, 32.46, 0.937, 31.65, 0.918, 35.30,
                        0.943]),
        ]),
       '3': dict(
        # Printed transposed. The paper does not say which training set
        # its model for real photographs had: here the Rain800 model.
        title='Table 3: real rainy photographs, NIQE and BRISQUE (lower '
        'is better)',
        columns=[('real_rain/NIQE', 'NIQE'),
                 ('real_rain/BRISQUE', 'BRISQUE')],
        digits=3,
        rows=[
            _competitor('RESCAN', [4.571, 25.446]),
            _competitor('SPANet', [4.317, 20.220]),
            _competitor('SSIR', [4.263, 27.418]),
            _competitor('Syn2Real', [4.354, 15.920]),
            _competitor('CycleGAN', [4.689, 23.801], _no_cyclegan_config),
            dict(label='Ours', runs=[_full], paper=[4.032, 13.311]),
        ]),
       # ------------------------------------- ablations, Rain800 / Test100
       '4': dict(
        title='Table 4: the losses, on Test100 (PSNR, SSIM)',
        columns=_test100,
        rows=[
            dict(label=label, runs=[_run(f'dcdgan_rain800_{ablation}')],
                 paper=paper)
            for label, ablation, paper in (
                ('w/o L_con', 'wo_contrastive', [24.03, 0.754]),
                ('w/o L_cc', 'wo_color_cycle', [25.08, 0.782]),
                ('w L_cyc', 'plain_cycle', [25.32, 0.795]),
                ('w/o L_adv', 'wo_adversarial', [22.84, 0.731]),
                ('w/o L_fre', 'wo_frequency', [25.40, 0.799]))
        ] + [
            dict(label='Ours', runs=[_full], paper=[25.61, 0.813]),
        ]),
       '5': dict(
        title='Table 5: the negatives of the contrastive loss, on Test100 '
        '(PSNR, SSIM)',
        columns=_test100,
        rows=[
            dict(label='internal only',
                 runs=[_run('dcdgan_rain800_internal_negatives')],
                 paper=[25.47, 0.815]),
            dict(label='external only',
                 runs=[_run('dcdgan_rain800_external_negatives')],
                 paper=[25.09, 0.798]),
            dict(label='Ours (internal+external)', runs=[_full],
                 paper=[25.61, 0.813]),
        ]),
       '6': dict(
        title='Table 6: the clean exemplars (backward cycle), on Test100 '
        '(PSNR, SSIM)',
        columns=_test100,
        rows=[
            dict(label='w/o backward cycle',
                 runs=[_run('dcdgan_rain800_wo_backward_cycle')],
                 paper=[24.15, 0.776]),
            dict(label='Ours (forward+backward cycle)', runs=[_full],
                 paper=[25.61, 0.813]),
        ]),
       # ------------------------------------------------ the demo's table
       'demo': dict(
        title='Tables 1 and 3 on the demo data (tools/demo.py --method '
        'dcdgan): the held-out demo pairs, and their rainy inputs alone',
        columns=[('demo_rain_heldout/PSNR', 'held-out PSNR'),
                 ('demo_rain_heldout/SSIM', 'SSIM'),
                 ('demo_rain_heldout/dRGB', 'dRGB'),
                 ('demo_rain_heldout_noref/NIQE', 'NIQE'),
                 ('demo_rain_heldout_noref/BRISQUE', 'BRISQUE'),
                 ('demo_rain_heldout_noref/PIQE', 'PIQE')],
        rows=[
            dict(label='degraded input', runs=[dict(
                config='configs/dcdgan/dcdgan_demo.py', inputs=True)]),
            dict(label='CycleGAN (demo)', runs=[dict(
                config='configs/cyclegan/cyclegan_demo.py',
                checkpoint='cyclegan_demo/iter_1500.pth')]),
            dict(label='DCD-GAN (demo)', runs=[dict(
                config='configs/dcdgan/dcdgan_demo.py',
                checkpoint='dcdgan_demo/iter_1500.pth')]),
            dict(label="probe: DCD-GAN's generator trained with pairs (L1)",
                 runs=[dict(config='configs/demo/gan_demo_paired_probe.py',
                            checkpoint='gan_demo_paired_probe/'
                            'iter_1500.pth')]),
            dict(label="probe: CycleGAN with DCD-GAN's anti-aliased "
                 'generator',
                 runs=[dict(config='configs/demo/cyclegan_antialias_probe.py',
                            checkpoint='cyclegan_antialias_probe/'
                            'iter_1500.pth')]),
            # What a perfect restoration scores on the no-reference columns.
            dict(label='clean targets (no-reference scores)', runs=[dict(
                config='configs/dcdgan/dcdgan_demo.py', targets=True)]),
        ])},
)
