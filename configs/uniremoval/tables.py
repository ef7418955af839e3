# Uni-Removal's tables (Zhang et al., 2023) in the paper's layouts, filled
# from the results files of this folder's configs:
#   python tools/make_table.py --spec configs/uniremoval/tables.py --list
#   python tools/make_table.py --spec configs/uniremoval/tables.py \
#       --table IV --work-dir work_dirs [--compare]
# A row not run yet shows "—" and the commands that fill it are listed
# under the table (toolbox/evaluation/table_spec.py: the format). The
# paper's values are as printed; its tables disagree in three places
# (RTTS Uni-Removal: Table I 25.029 / 30.874, Table V 24.029 / 28.874; SPA
# BRISQUE: Table II 40.489, Table V 30.689; RealBlur-J degraded PIQE:
# Table III 46.864, Table V 36.864): each table keeps its own.
# The -demo tables are Tables IV and V on the embedded demo data
# (tools/demo.py --method kt-ablation / da), with the demo's test sets in
# place of the paper's.

_not_here = 'not in the toolbox (the paper\'s value only, with --compare)'
_rtts = [('rtts/BRISQUE', 'BRISQUE'), ('rtts/PIQE', 'PIQE')]
_spa = [('spa/BRISQUE', 'BRISQUE'), ('spa/PIQE', 'PIQE')]
_blurj = [('realblur_j/BRISQUE', 'BRISQUE'), ('realblur_j/PIQE', 'PIQE')]
# The degraded inputs of every real-world test set, through the test
# configs' own pipelines and metrics.
_inputs = dict(config='configs/uniremoval/kt_mprnet_test_real.py',
               inputs=True)
_uni_removal = dict(config='configs/uniremoval/da_mprnet.py',
                    checkpoint='da_mprnet/epoch_40.pth')


def _competitor(label, paper):
    return dict(label=label, runs=[], note=_not_here, paper=paper)


tables = dict(
    I=dict(
        title='Table I: real-world dehazing on RTTS (BRISQUE, PIQE; lower '
        'is better)',
        columns=_rtts, digits=3,
        rows=[
            dict(label='Hazy', runs=[_inputs], paper=[37.011, 51.254]),
            _competitor('DA-Net', [32.456, 50.787]),
            _competitor('MAWR', [30.124, 45.633]),
            _competitor('MPR-Net', [30.241, 43.510]),
            _competitor('DehazeFlow', [26.059, 38.879]),
            dict(label='Uni-Removal (ours)', runs=[_uni_removal],
                 paper=[25.029, 30.874]),
        ]),
    II=dict(
        title='Table II: real-world deraining on SPA (BRISQUE, PIQE)',
        columns=_spa, digits=3,
        rows=[
            dict(label='Rainy', runs=[_inputs], paper=[68.025, 44.388]),
            _competitor('MPR-Net', [76.634, 46.763]),
            _competitor('MAWR', [54.721, 44.652]),
            _competitor('NLCL', [56.952, 43.286]),
            _competitor('DerainCycleGan', [59.281, 41.581]),
            dict(label='Uni-Removal (ours)', runs=[_uni_removal],
                 paper=[40.489, 35.786]),
        ]),
    III=dict(
        title='Table III: real-world deblurring on RealBlur-J (BRISQUE, '
        'PIQE)',
        columns=_blurj, digits=3,
        rows=[
            dict(label='Blurry', runs=[_inputs], paper=[56.414, 46.864]),
            _competitor('MAWR', [44.919, 43.636]),
            _competitor('XYDeblur', [70.258, 38.899]),
            _competitor('MPR-Net', [64.643, 36.165]),
            _competitor('DeblurGan-v2', [49.761, 32.591]),
            dict(label='Uni-Removal (ours)', runs=[_uni_removal],
                 paper=[39.966, 34.517]),
        ]),
    IV=dict(
        title='Table IV: knowledge transfer on SOTS, Rain1400, GoPro (PSNR, '
        'SSIM on RGB)',
        columns=[('sots/PSNR', 'SOTS PSNR'), ('sots/SSIM', 'SOTS SSIM'),
                 ('rain1400/PSNR', 'Rain1400 PSNR'),
                 ('rain1400/SSIM', 'Rain1400 SSIM'),
                 ('gopro/PSNR', 'GoPro PSNR'), ('gopro/SSIM', 'GoPro SSIM')],
        digits=3,
        rows=[
            # One teacher per test set, under the students' columns (each
            # teacher config tests its own set, named here).
            dict(label='Teacher', runs=[
                dict(config='configs/uniremoval/teacher_dehaze_ots.py',
                     checkpoint='teacher_dehaze_ots/epoch_250.pth',
                     test_set='sots'),
                dict(config='configs/uniremoval/teacher_derain_rain1400.py',
                     checkpoint='teacher_derain_rain1400/epoch_250.pth',
                     test_set='rain1400'),
                dict(config='configs/uniremoval/teacher_deblur_gopro.py',
                     checkpoint='teacher_deblur_gopro/epoch_3000.pth',
                     test_set='gopro'),
            ], paper=[31.770, 0.980, 32.622, 0.939, 31.059, 0.886]),
            dict(label='BKT', runs=[
                dict(config='configs/uniremoval/kt_mprnet_bkt.py',
                     checkpoint='kt_mprnet_bkt/epoch_400.pth')],
                 paper=[28.784, 0.964, 32.052, 0.924, 27.100, 0.831]),
            dict(label='+ ICL', runs=[
                dict(config='configs/uniremoval/kt_mprnet_icl.py',
                     checkpoint='kt_mprnet_icl/epoch_400.pth')],
                 paper=[28.387, 0.968, 32.141, 0.926, 28.445, 0.868]),
            dict(label='+ ICL + FCL', runs=[
                dict(config='configs/uniremoval/kt_mprnet.py',
                     checkpoint='kt_mprnet/epoch_400.pth')],
                 paper=[29.075, 0.971, 32.262, 0.928, 28.599, 0.872]),
        ]),
    V=dict(
        title='Table V: domain adaptation on RTTS, SPA, RealBlur-J '
        '(BRISQUE, PIQE)',
        columns=[('rtts/BRISQUE', 'RTTS BRISQUE'), ('rtts/PIQE', 'RTTS PIQE'),
                 ('spa/BRISQUE', 'SPA BRISQUE'), ('spa/PIQE', 'SPA PIQE'),
                 ('realblur_j/BRISQUE', 'BLUR-J BRISQUE'),
                 ('realblur_j/PIQE', 'BLUR-J PIQE')],
        digits=3,
        rows=[
            dict(label='Original degraded', runs=[_inputs],
                 paper=[37.011, 51.254, 68.025, 44.388, 56.414, 36.864]),
            dict(label='KT', runs=[
                dict(config='configs/uniremoval/kt_mprnet_test_real.py',
                     checkpoint='kt_mprnet/epoch_400.pth')],
                 paper=[34.271, 50.955, 38.391, 49.260, 39.062, 49.571]),
            dict(label='+ BDA', runs=[
                dict(config='configs/uniremoval/da_mprnet_bda.py',
                     checkpoint='da_mprnet_bda/epoch_40.pth')],
                 paper=[28.333, 36.225, 33.445, 40.576, 36.500, 38.651]),
            dict(label='+ BDA + EICL', runs=[
                dict(config='configs/uniremoval/da_mprnet_bda_eicl.py',
                     checkpoint='da_mprnet_bda_eicl/epoch_40.pth')],
                 paper=[25.961, 31.152, 32.057, 38.874, 35.478, 36.196]),
            dict(label='+ BDA + EICL + EFCL', runs=[_uni_removal],
                 paper=[24.029, 28.874, 30.689, 35.786, 34.966, 34.517]),
        ]),
    # ------------------------------------------------ the demo's tables
    **{'IV-demo': dict(
        title='Table IV on the demo data (tools/demo.py --method '
        'kt-ablation): PSNR, SSIM on the demo test splits',
        columns=[('demo_haze/PSNR', 'haze PSNR'),
                 ('demo_haze/SSIM', 'haze SSIM'),
                 ('demo_rain/PSNR', 'rain PSNR'),
                 ('demo_rain/SSIM', 'rain SSIM'),
                 ('demo_blur/PSNR', 'blur PSNR'),
                 ('demo_blur/SSIM', 'blur SSIM')],
        digits=3,
        rows=[
            dict(label='degraded input', runs=[dict(
                config='configs/uniremoval/kt_mprnet_demo.py',
                inputs=True)]),
            dict(label='Teacher', runs=[
                dict(config=f'configs/uniremoval/teacher_{task}_demo.py',
                     checkpoint=f'teacher_{task}_demo/iter_300.pth',
                     test_set=f'demo_{label}')
                for task, label in (('dehaze', 'haze'), ('derain', 'rain'),
                                    ('deblur', 'blur'))]),
            dict(label='BKT', runs=[dict(
                config='configs/uniremoval/kt_mprnet_bkt_demo.py',
                checkpoint='kt_mprnet_bkt_demo/iter_2000.pth')]),
            dict(label='+ ICL', runs=[dict(
                config='configs/uniremoval/kt_mprnet_icl_demo.py',
                checkpoint='kt_mprnet_icl_demo/iter_2000.pth')]),
            dict(label='+ ICL + FCL', runs=[dict(
                config='configs/uniremoval/kt_mprnet_demo.py',
                checkpoint='kt_mprnet_demo/iter_2000.pth')]),
        ]),
       'V-demo': dict(
        title='Table V on the demo data (tools/demo.py --method da): the '
        'held-out real-world-like test sets, three seeds per DA row',
        columns=[(f'real_{d}/{m}', f'real {d} {m}')
                 for d in ('haze', 'rain', 'blur')
                 for m in ('BRISQUE', 'PIQE', 'PSNR')],
        digits=2,
        rows=[
            dict(label='Original degraded', runs=[dict(
                config='configs/uniremoval/da_mprnet_demo.py',
                inputs=True)]),
            dict(label='KT', runs=[dict(
                config='configs/uniremoval/da_mprnet_demo.py',
                checkpoint='kt_mprnet_demo/iter_2000.pth',
                non_strict=True)]),
        ] + [
            dict(label=label, runs=[dict(
                config=f'configs/uniremoval/da_mprnet{suffix}_demo.py',
                checkpoint=f'da_mprnet{suffix}_demo_seed*/iter_100.pth')])
            for label, suffix in (('+ BDA', '_bda'),
                                  ('+ BDA + EICL', '_bda_eicl'),
                                  ('+ BDA + EICL + EFCL', ''))
        ] + [
            # What a perfect restoration scores: the hidden clean targets'
            # BRISQUE and PIQE (hazy inputs score *better* than them).
            dict(label='clean targets (no-reference scores)', runs=[dict(
                config='configs/uniremoval/da_mprnet_demo.py',
                targets=True)]),
        ])},
)
