"""tools/make_demo_data.py: same files as the library call, summary
printed (layout and seed determinism: tests/degradations)."""
import hashlib
import re
import subprocess
import sys

from toolbox.degradations.demo_real_like import make_real_like
from toolbox.degradations.demo_set import make_demo_set
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
    assert len(cli) > 3 * 2 * 4 + 5 * 2 + 2 * 2 + 3 * 2 + 3 + 3 * 2
