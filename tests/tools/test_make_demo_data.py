"""tools/make_demo_data.py: same files as the library call, summary
printed (layout and seed determinism: tests/degradations)."""
import hashlib
import re
import subprocess
import sys

import pytest

from toolbox.degradations import demo_real_like, demo_set, demo_unpaired
from toolbox.degradations.demo_real_like import make_real_like
from toolbox.degradations.demo_set import make_demo_set
from toolbox.degradations.demo_stamp import (STAMP_SUFFIX, check_stamp,
                                             write_stamp)
from toolbox.degradations.demo_unpaired import make_unpaired_rain


def _digest(folder):
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob('*.png'))}


def test_cli_matches_library_and_prints_summary(tmp_path, repo_root):
    args = ['--size', '48', '--num-train', '3', '--num-test', '1',
            '--num-unpaired', '5', '--num-unpaired-test', '2', '--num-adapt',
            '2', '--num-clear', '3', '--num-adapt-test', '1', '--seed', '7']
    result = subprocess.run(
        [sys.executable, 'tools/make_demo_data.py', '--out',
         str(tmp_path / 'cli')] + args,
        cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert re.search(r'^rain/train +3 images$', result.stdout, re.M)
    assert re.search(r'^unpaired/rain/train/clean +5 images$',
                     result.stdout, re.M)
    assert re.search(r'^real_like/test/blur/target +1 images$',
                     result.stdout, re.M)
    make_demo_set(str(tmp_path / 'lib'), seed=7, size=48, num_train=3,
                  num_test=1, progress=False)
    make_unpaired_rain(str(tmp_path / 'lib'), seed=7, size=48, num_train=5,
                       num_test=2, progress=False)
    make_real_like(str(tmp_path / 'lib'), seed=7, size=48, num_adapt=2,
                   num_clear=3, num_test=1, progress=False)
    cli, lib = _digest(tmp_path / 'cli'), _digest(tmp_path / 'lib')
    assert cli == lib
    # each part is stamped with its data version and the arguments
    for module, part, size_args in (
            (demo_set, 'paired', dict(num_train=3, num_test=1)),
            (demo_unpaired, 'unpaired', dict(num_train=5, num_test=2)),
            (demo_real_like, 'real_like',
             dict(num_adapt=2, num_clear=3, num_test=1))):
        check = check_stamp(str(tmp_path / 'cli'), part, module.DATA_VERSION)
        assert check.current, check.reason
        assert check.stamp['arguments'] == dict(seed=7, size=48, **size_args)
    assert len(cli) > 3 * 2 * 4 + 5 * 2 + 2 * 2 + 3 * 2 + 3 + 3 * 2


@pytest.mark.parametrize('module, build', [
    (demo_set, lambda out: make_demo_set(out, size=48, num_train=3,
                                         num_test=1, progress=False)),
    (demo_unpaired, lambda out: make_unpaired_rain(
        out, size=48, num_train=5, num_test=2, progress=False)),
    (demo_real_like, lambda out: make_real_like(
        out, size=48, num_adapt=2, num_clear=3, num_test=1,
        progress=False)),
], ids=['paired', 'unpaired', 'real_like'])
def test_an_interrupted_build_leaves_no_stamp(module, build, tmp_path,
                                              monkeypatch):
    """The stamp is written after the last image, and an earlier one is
    withdrawn before the first, so a folder with a stamp is complete and
    tools/demo.py rebuilds one without."""
    part = {demo_set: 'paired', demo_unpaired: 'unpaired',
            demo_real_like: 'real_like'}[module]
    write_stamp(str(tmp_path), part, module.DATA_VERSION, {})  # a build before
    written = []

    def write_some(path, image):
        if len(written) == 4:
            raise KeyboardInterrupt
        written.append(path)

    monkeypatch.setattr(module, 'write_rgb', write_some)
    with pytest.raises(KeyboardInterrupt):
        build(str(tmp_path))
    assert len(written) == 4
    assert not list(tmp_path.glob('*' + STAMP_SUFFIX))
