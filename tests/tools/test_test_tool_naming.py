"""tools/test.py --name/--test-set (the option of tools/iqa.py): a one-set
config's keys name the set, so its row sits under the same columns as a
config with several sets."""
import json

from tests.tools.test_reliability import (TINY, paired_root,  # noqa: F401
                                          run_inprocess, save_model_of,
                                          tiny_options)


def test_set_name_prefixes_the_keys_of_a_single_set(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):  # noqa: F811
    ckpt = tmp_path / 'tiny.pth'
    save_model_of(TINY, ckpt)
    out = tmp_path / 'r.json'
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, ckpt, '--name', 'teacher', '--test-set', 'rain1400', '--out',
        out, '--cfg-options'] + tiny_options(paired_root), capsys,
        monkeypatch)
    assert code == 0, log[-3000:]
    record = json.loads(out.read_text())
    assert record['name'] == 'teacher'
    assert set(record['metrics']) == {'rain1400/PSNR', 'rain1400/SSIM'}


def test_set_name_is_refused_for_named_sets():
    """Several sets carry their datasets' names already: a set name for
    them is refused (tools/test.py turns it into a one-line error)."""
    import pytest

    from toolbox.evaluation.results import name_single_set
    with pytest.raises(ValueError, match='named already .*rain/PSNR'):
        name_single_set({'rain/PSNR': 30.0, 'haze/PSNR': 20.0}, 'x')


def test_inputs_row_scores_the_degraded_inputs(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):  # noqa: F811
    """--inputs: the input row through the config's own test sets and
    metrics, without a model; the same PSNR tools/iqa.py computes."""
    import numpy as np

    from toolbox.evaluation.folder_scoring import mean_scores, score_folder
    out = tmp_path / 'inputs.json'
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, '--inputs', '--test-set', 'rain', '--out', out,
        '--cfg-options'] + tiny_options(paired_root), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    record = json.loads(out.read_text())
    assert record['name'] == 'degraded input'
    scores = mean_scores(score_folder(
        str(paired_root / 'test' / 'input'), ['psnr'],
        ref_folder=str(paired_root / 'test' / 'target'), progress=False))
    assert np.isclose(record['metrics']['rain/PSNR'], scores['psnr'])
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, 'x.pth', '--inputs'], capsys, monkeypatch)
    assert code == 2 and 'one of the three' in log


def test_targets_row_scores_the_clean_targets_alone(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):  # noqa: F811
    """--targets: the clean targets with the no-reference metrics only
    (the reference row); a config without one is a one-line error."""
    import numpy as np

    from toolbox.evaluation.folder_scoring import mean_scores, score_folder
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, '--targets', '--cfg-options'] + tiny_options(paired_root),
        capsys, monkeypatch)
    assert code == 2 and 'no test set of' in log and 'BRISQUE' in log
    config = tmp_path / 'tiny_piqe.py'
    config.write_text(f"_base_ = ['{repo_root}/{TINY}']\n"
                      "test_evaluator = [dict(type='PSNR'), "
                      "dict(type='PIQE')]\n")
    out = tmp_path / 'targets.json'
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        config, '--targets', '--test-set', 'rain', '--out', out,
        '--cfg-options'] + tiny_options(paired_root), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    record = json.loads(out.read_text())
    assert record['name'] == 'clean targets'
    assert set(record['metrics']) == {'rain/PIQE'}
    scores = mean_scores(score_folder(str(paired_root / 'test' / 'target'),
                                      ['piqe'], progress=False))
    assert np.isclose(record['metrics']['rain/PIQE'], scores['piqe'])


def test_results_carry_conventions_and_a_table_never_mixes_them(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):  # noqa: F811
    """tools/test.py writes how each metric was computed; make_table.py
    refuses a column whose files computed it two ways (RGB and Y)."""
    ckpt = tmp_path / 'tiny.pth'
    save_model_of(TINY, ckpt)
    rgb, y = tmp_path / 'rgb.json', tmp_path / 'y.json'
    for out, extra in ((rgb, []), (y, ['test_evaluator.0.convert_to=y'])):
        code, log = run_inprocess(repo_root, 'tools/test.py', [
            TINY, ckpt, '--name', out.stem, '--test-set', 'rain', '--out',
            out, '--cfg-options'] + tiny_options(paired_root) + extra,
            capsys, monkeypatch)
        assert code == 0, log[-3000:]
    assert json.loads(rgb.read_text())['conventions'] == {
        'rain/PSNR': 'PSNR RGB crop0',
        'rain/SSIM': 'SSIM matlab-gaussian11 RGB crop0'}
    assert json.loads(y.read_text())['conventions']['rain/PSNR'] == \
        'PSNR Y crop0'
    code, log = run_inprocess(repo_root, 'tools/make_table.py', [rgb, y],
                              capsys, monkeypatch)
    assert code == 2
    assert (f"column rain/PSNR: {rgb} computes it as 'PSNR RGB crop0', {y} "
            "as 'PSNR Y crop0'") in log
