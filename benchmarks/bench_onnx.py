"""ONNX Runtime against PyTorch float32: export check and inference time.

    python benchmarks/bench_onnx.py [--size 128] [--threads 1] \
        [--models MPRNet FDR-Net ...] [--steps 3] [--warmup 1] \
        [--write docs/benchmarks.md]

Every network ``tools/infer.py`` runs, built from its paper config with
random weights (timings do not depend on their values), is exported as
``tools/export.py`` exports it (:func:`toolbox.apis.export.export_model`:
opset 18, dynamic sizes, padding in the graph) and then, on one random
``1×3×S×S`` input in the network's range, timed in turn step by step
(medians, ``_timing.interleaved_medians``): PyTorch float32 (``no_grad``,
the network of ``ExportableNetwork``, padding included) and ONNX Runtime
(CPU provider, the exported file), both with ``--threads`` intra-op
threads. Also: the export's time, the file's size and the largest
difference ONNX Runtime - PyTorch on the check photo (grey levels), and
the same on this input. Run through ``benchmarks/run_all.py`` (``--only
onnx``) too.
"""
import argparse
import os
import tempfile
import time

import numpy as np
import torch

# benchmarks/: the script's folder is first on sys.path.
from _report import write_section  # noqa: E402
from _timing import (interleaved_medians, machine_line,  # noqa: E402
                     markdown_table, uptime_line)

#: name, config (the released / paper networks).
INFERENCE_MODELS = [
    ('MPRNet deraining', 'configs/mprnet/mprnet_derain_rain13k.py'),
    ('MPRNet deblurring', 'configs/mprnet/mprnet_deblur_gopro.py'),
    ('Uni-Removal student', 'configs/uniremoval/kt_mprnet.py'),
    ('FDR-Net', 'configs/fdrnet/fdrnet_did_hy.py'),
    ('DnCNN', 'configs/fdrnet/dncnn_did_hy.py'),
    ('CycleGAN', 'configs/cyclegan/cyclegan_resnet9_unpaired.py'),
    ('DCD-GAN', 'configs/dcdgan/dcdgan_rain800.py'),
]


def _row(name, config, args, folder):
    from mmengine.config import Config

    from bench_models import _random_weights
    from toolbox.apis import init_model
    from toolbox.apis.export import ExportableNetwork, export_model
    from toolbox.deploy.onnx_runtime import OnnxRestorer
    cfg = Config.fromfile(config)
    _random_weights(cfg.model)  # no teacher or VGG files needed
    torch.manual_seed(0)
    model = init_model(cfg)
    network = model.inference_network()
    params = sum(p.numel() for p in network.parameters())
    out = os.path.join(folder, 'model.onnx')
    start = time.perf_counter()
    report = export_model(model, out)
    export_s = time.perf_counter() - start
    meta = report.metadata
    wrapper = ExportableNetwork(network, meta.pad_size_divisor,
                                meta.pad_mode).eval()
    restorer = OnnxRestorer(out, threads=args.threads)
    x = torch.rand(1, 3, args.size, args.size)
    if meta.value_range == '[-1,1]':
        x = x * 2 - 1
    feed = x.numpy()

    def pytorch():
        with torch.no_grad():
            return wrapper(x)

    def onnxruntime():
        return restorer.run(feed)

    scale = 255.0 if meta.value_range == '[0,1]' else 127.5
    diff = float(np.abs(onnxruntime() - pytorch().numpy()).max()) * scale
    times = interleaved_medians(dict(pytorch=pytorch,
                                     onnxruntime=onnxruntime), 'cpu',
                                args.warmup, args.steps)
    return [name, f'{params / 1e6:.2f} M', f'{export_s:.0f}',
            f'{report.size_bytes / 1e6:.1f}', f'{meta.max_abs_diff:.1e}',
            f'{diff:.1e}', f'{1e3 * times["pytorch"]:.0f}',
            f'{1e3 * times["onnxruntime"]:.0f}',
            f'{times["pytorch"] / times["onnxruntime"]:.2f}×']


def run(args) -> str:
    """The markdown table (after a line on the machine and settings)."""
    torch.set_num_threads(args.threads)
    machine = machine_line('cpu')  # its load average: at the start
    wanted = [(n, c) for n, c in INFERENCE_MODELS
              if not args.models or any(m.lower() in n.lower()
                                        for m in args.models)]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, config in wanted:
            rows.append(_row(name, config, args, folder))
            print(' | '.join(rows[-1]), flush=True)
    header = ['network', 'parameters', 'export (s)', 'file (MB)',
              'check photo: max diff (grey levels)',
              f'{args.size}²: max diff', 'PyTorch fp32 (ms)',
              'ONNX Runtime (ms)', 'ORT speed-up']
    align = ['---'] + ['---:'] * (len(header) - 1)
    import onnxruntime
    return (f'{machine}; onnxruntime {onnxruntime.__version__} '
            f'(CPUExecutionProvider, {args.threads} intra-op thread(s)); '
            f'1×3×{args.size}² input, medians of {args.steps} runs after '
            f'{args.warmup} warm-up, in turn; random weights.\n\n' +
            markdown_table(header, rows, align) +
            f'\n\n*{uptime_line()} at the end.*')


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--models', nargs='*',
                        help='only networks whose name contains one of these')
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--write', metavar='MARKDOWN',
                        help='put the table between the bench_onnx markers')
    args = parser.parse_args()
    if args.write:
        args.write = os.path.abspath(args.write)
    # Configs are paths in the repository: run from its root.
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    table = run(args)
    print(table)
    if args.write:
        write_section(args.write, 'bench_onnx', table)


if __name__ == '__main__':
    main()
