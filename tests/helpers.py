"""Small helpers shared by tests: tiny image folders written on the fly,
a free port for multi-process runs."""
import socket
import sys
from pathlib import Path

import cv2
import numpy as np


def smooth_image(rng: np.random.Generator, size: int) -> np.ndarray:
    """A smooth random RGB uint8 image (upsampled noise), easy to restore."""
    small = rng.integers(0, 256, (max(size // 8, 2), max(size // 8, 2), 3))
    return cv2.resize(small.astype(np.uint8), (size, size),
                      interpolation=cv2.INTER_CUBIC)


def write_paired_folder(root, count: int = 4, size: int = 32,
                        noise: float = 20.0, seed: int = 0,
                        img_dir: str = 'input', gt_dir: str = 'target'):
    """Write ``count`` noisy/clean PNG pairs under ``root/{input,target}``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    (root / img_dir).mkdir(parents=True, exist_ok=True)
    (root / gt_dir).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        clean = smooth_image(rng, size)
        noisy = np.clip(clean + rng.normal(0, noise, clean.shape), 0, 255)
        # OpenCV writes BGR; the files hold the RGB images above.
        cv2.imwrite(str(root / gt_dir / f'{i:03d}.png'), clean[..., ::-1])
        cv2.imwrite(str(root / img_dir / f'{i:03d}.png'),
                    noisy.astype(np.uint8)[..., ::-1])
    return root


#: Environment entries that hide every GPU from a subprocess, so the CPU path
#: (gloo DDP, bfloat16 CPU AMP) is what runs, on a GPU host too; and make the
#: launch scripts (tools/dist_train.sh) run the suite's own interpreter,
#: which may be an unactivated virtual environment's.
CPU_ONLY_ENV = {'CUDA_VISIBLE_DEVICES': '', 'PYTHON': sys.executable}


def png_files(folder) -> dict:
    """``{relative path: bytes}`` of every PNG under ``folder`` (to compare
    two generated trees byte for byte)."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(Path(folder).rglob('*.png'))}


def free_port() -> int:
    """A TCP port nothing listens on now (for torchrun's rendezvous): a fixed
    or pid-derived port can collide with another job's."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_image_folder(folder, count: int = 3, size: int = 32,
                       seed: int = 0):
    """Write ``count`` smooth RGB PNGs into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        cv2.imwrite(str(folder / f'{i:03d}.png'),
                    smooth_image(rng, size)[..., ::-1])
    return folder


def write_unpaired_tree(root, count: int = 3, size: int = 32):
    """The CycleGAN layout: ``root/{trainA,trainB,testA,testB}``."""
    root = Path(root)
    for seed, name in enumerate(('trainA', 'trainB', 'testA', 'testB')):
        write_image_folder(root / name, count, size, seed=seed)
    return root


#: tests/models/backbones/data: the official MPRNet's state-dict layout.
MPRNET_KEYS_FILE = (Path(__file__).parent / 'models' / 'backbones' / 'data' /
                    'mprnet_deraining_official_keys.txt')
#: (n_feat, scale_unetfeats, scale_orsnetfeats) of the released models.
MPRNET_WIDTHS = {'deraining': (40, 20, 16), 'denoising': (80, 48, 32),
                 'deblurring': (96, 48, 32)}


def official_mprnet_layout(variant: str) -> dict:
    """Key → shape of the official MPRNet of ``variant``.

    The key names and deraining shapes come from the recorded official
    layout; the other widths follow from how each dimension depends on
    (n, s, o) = (n_feat, scale_unetfeats, scale_orsnetfeats) in the release:
    n, n+s, n+2s, n+o, each also divided by 4 (channel attention), and 2n
    (the inputs of ``concat12``/``concat23``).
    """
    layout = {}
    for line in MPRNET_KEYS_FILE.read_text().splitlines():
        if line and not line.startswith('#'):
            name, shape = line.split()
            layout[name] = [int(s) for s in shape.split('x')]
    n, s, o = MPRNET_WIDTHS[variant]
    dims = {40: n, 60: n + s, 80: n + 2 * s, 56: n + o, 10: n // 4,
            15: (n + s) // 4, 20: (n + 2 * s) // 4, 14: (n + o) // 4,
            3: 3, 1: 1}
    out = {}
    for name, shape in layout.items():
        new = [dims[d] for d in shape]
        if name in ('concat12.weight', 'concat23.weight'):
            new[1] = 2 * n  # 80 = 2n here, not n + 2s
        out[name] = tuple(new)
    return out


def official_mprnet_state(variant: str, seed: int = 0) -> dict:
    """Seeded random weights of PyTorch's default scale for the official
    MPRNet of ``variant``, keyed as the release (one draw per key, in the
    recorded key order, so the same seed gives the same weights to any
    network with that layout: tests/data/make_mprnet_golden.py fills the
    official implementation with them)."""
    import torch
    gen = torch.Generator().manual_seed(seed)
    # One PReLU shared by every CAB: the release saves it under each name.
    prelu = 0.25 + 0.05 * torch.randn((1, ), generator=gen)
    state = {}
    for name, shape in official_mprnet_layout(variant).items():
        fan_in = max(1, int(np.prod(shape[1:])))
        state[name] = prelu.clone() if shape == (1, ) else \
            torch.randn(shape, generator=gen) / fan_in ** 0.5
    return state


def official_mprnet_file(path, variant: str, seed: int = 0,
                         module_prefix: bool = False) -> dict:
    """Write a file laid out as a released MPRNet (``{'state_dict': sd}``,
    keys ``module.``-prefixed if ``module_prefix``) with the weights of
    :func:`official_mprnet_state`; returns the bare state dict."""
    import torch
    state = official_mprnet_state(variant, seed)
    prefix = 'module.' if module_prefix else ''
    torch.save({'state_dict': {prefix + k: v for k, v in state.items()}},
               path)
    return state


def write_basicsr_lmdb(folder, db_path, compress_level: int = 1) -> list:
    """Pack the images of ``folder`` (flat) into ``db_path`` the way BasicSR
    1.4.2's ``make_lmdb_from_imgs`` lays a database out, written here with
    the ``lmdb`` package (not BasicSR's code): the key is the file name
    without its extension, the value the PNG-encoded image, and each
    ``meta_info.txt`` line starts with the key plus ``.png``
    (``astronaut_0000_0096.png (96,96,3) 1``). Returns the keys."""
    import lmdb
    folder, db_path = Path(folder), Path(db_path)
    files = sorted(p for p in folder.iterdir() if p.is_file())
    env = lmdb.open(str(db_path), map_size=1 << 26)
    lines, keys = [], []
    with env.begin(write=True) as txn:
        for path in files:
            img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            ok, buffer = cv2.imencode(
                '.png', img, [cv2.IMWRITE_PNG_COMPRESSION, compress_level])
            assert ok
            key = path.name[:-len(path.suffix)]
            txn.put(key.encode('ascii'), buffer.tobytes())
            h, w = img.shape[:2]
            c = 1 if img.ndim == 2 else img.shape[2]
            lines.append(f'{key}.png ({h},{w},{c}) {compress_level}\n')
            keys.append(key)
    env.close()
    (db_path / 'meta_info.txt').write_text(''.join(lines))
    return keys


def run_script(cwd, script, *args, env=None):
    """Run the Python script ``script`` (a path relative to ``cwd``, e.g.
    ``tools/infer.py``) as ``__main__`` in this process, in ``cwd`` with one
    PyTorch thread and the entries of ``env`` set in ``os.environ``, as
    ``subprocess.run([sys.executable, script, *args], cwd=cwd,
    capture_output=True, text=True)`` would run it, but without the
    interpreter's start-up and imports (4-5 s per run on the CI machine,
    which the tool tests add up). Returns the same
    :class:`subprocess.CompletedProcess`. A script whose behaviour depends on
    a fresh process (DDP, a killed run, import-time state) needs the real
    subprocess."""
    import io
    import subprocess
    stdout, stderr = io.StringIO(), io.StringIO()
    code = _run_as_main(cwd, script, args, env or {}, stdout, stderr)
    return subprocess.CompletedProcess(
        [script, *map(str, args)], code, stdout.getvalue(), stderr.getvalue())


def run_script_ok(cwd, script, *args, env=None) -> str:
    """:func:`run_script` of a run that must succeed: its output (stdout,
    then stderr), after asserting exit status 0 (showing the output's end
    otherwise)."""
    result = run_script(cwd, script, *args, env=env)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    return log


def run_tool_in_process(repo_root, script, args):
    """:func:`run_script` with stdout and stderr in one text: returns
    ``(exit status, output)``."""
    import io
    output = io.StringIO()
    code = _run_as_main(repo_root, script, args, {}, output, output)
    return code, output.getvalue()


def _run_as_main(cwd, script, args, env, stdout, stderr) -> int:
    """``script`` as ``__main__`` (see :func:`run_script`); its exit
    status."""
    import contextlib
    import os
    import runpy
    import sys
    import traceback

    import torch
    saved = sys.argv, os.getcwd(), torch.get_num_threads()
    saved_env = {key: os.environ.get(key) for key in env}
    sys.argv = [script] + [str(a) for a in args]
    os.chdir(cwd)
    os.environ.update({key: str(value) for key, value in env.items()})
    torch.set_num_threads(1)
    code = 0
    try:
        with contextlib.redirect_stdout(stdout), \
                contextlib.redirect_stderr(stderr):
            try:
                runpy.run_path(os.path.join(cwd, script), run_name='__main__')
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (
                    0 if stop.code is None else 1)
                if isinstance(stop.code, str):
                    print(stop.code, file=sys.stderr)
            except Exception:  # as the interpreter reports it: status 1
                traceback.print_exc()
                code = 1
    finally:
        sys.argv = saved[0]
        os.chdir(saved[1])
        torch.set_num_threads(saved[2])
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return code


def read_lmdb_image(db_path: str, key: str) -> np.ndarray:
    """Decode one value of an LMDB; uint8 as stored (BGR)."""
    from mmengine.fileio import LmdbBackend
    value = LmdbBackend(db_path).get(key)
    if value is None:
        raise KeyError(f'{key!r} is not in LMDB {db_path}')
    return cv2.imdecode(np.frombuffer(value, np.uint8), cv2.IMREAD_UNCHANGED)
