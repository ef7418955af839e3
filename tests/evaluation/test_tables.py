import json

import pytest

from tests.helpers import run_script
from toolbox.evaluation.results import load_results
from toolbox.evaluation.tables import metrics_table, render_table


@pytest.fixture
def results(tmp_path):
    runs = {
        'BKT': {'sots/PSNR': 30.1234, 'sots/SSIM': 0.91,
                'rain1400/PSNR': 29.5},
        'BKT + ICL': {'sots/PSNR': 30.5, 'sots/SSIM': 0.92,
                      'rain1400/PSNR': 30.0, 'real/BRISQUE': 21.25},
    }
    paths = []
    for i, (name, metrics) in enumerate(runs.items()):
        path = tmp_path / f'r{i}.json'
        path.write_text(json.dumps(dict(name=name, metrics=metrics)))
        paths.append(str(path))
    return paths


def test_markdown_layout(results):
    table = render_table(load_results(results), 'md')
    lines = table.strip().split('\n')
    assert lines[0] == ('| method | sots PSNR ↑ | sots SSIM ↑ '
                        '| rain1400 PSNR ↑ | real BRISQUE (LIVE) ↓ |')
    assert lines[2] == '| BKT | 30.12 | 0.9100 | 29.50 | – |'
    assert lines[3] == '| BKT + ICL | 30.50 | 0.9200 | 30.00 | 21.25 |'


def test_csv_latex_and_metric_filter(results):
    records = load_results(results)
    csv_text = render_table(records, 'csv', metrics=['PSNR'])
    assert csv_text.split('\n')[0] == 'method,sots PSNR ↑,rain1400 PSNR ↑'
    latex = render_table(records, 'latex', metrics=['brisque'])
    assert r'real BRISQUE (LIVE) $\downarrow$ \\' in latex
    assert r'BKT + ICL & 21.25 \\' in latex


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='none.json'):
        load_results([str(tmp_path / 'none.json')])
    (tmp_path / 'x.json').write_text('{"name": "a"}')
    with pytest.raises(KeyError, match='x.json'):
        load_results([str(tmp_path / 'x.json')])


def test_cli(results, repo_root, tmp_path):
    out = tmp_path / 't.md'
    done = run_script(repo_root, 'tools/make_table.py', *results, '--out',
                      str(out))
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout == out.read_text()
    assert '| BKT |' in done.stdout


def test_unnamed_test_set_and_labels():
    records = [dict(name='run', metrics={'PSNR': 30.0, 'NIQE': 3.5})]
    lines = render_table(records, 'md').split('\n')
    assert lines[0] == '| method | PSNR ↑ | NIQE (LIVE) ↓ |'
    assert lines[2] == '| run | 30.00 | 3.5000 |'


def test_console_table_of_one_run_uses_the_same_renderer():
    text = metrics_table({'rain/PSNR': 30.0, 'rain/SSIM': 0.9,
                          'haze/PSNR': float('inf')})
    assert text.split('\n') == [
        'test set  PSNR     SSIM  ',
        '--------  -------  ------',
        'rain      30.0000  0.9000',
        'haze      inf            ',
    ]


def test_colour_cast_column_is_lower_is_better():
    from toolbox.evaluation.tables import render_table
    table = render_table([dict(name='a', metrics={'set/dRGB': 1.5})], 'md')
    assert '| method | set dRGB ↓ |' in table


def test_runs_of_one_name_merge_into_mean_and_spread(tmp_path, repo_root):
    from toolbox.evaluation.results import merge_runs
    records = [
        dict(name='DA', metrics={'rain/PSNR': 30.0, 'rain/PIQE': 40.0}),
        dict(name='KT', metrics={'rain/PSNR': 29.0}),
        dict(name='DA', metrics={'rain/PSNR': 31.0, 'rain/PIQE': 44.0}),
        dict(name='DA', metrics={'rain/PSNR': 32.0, 'rain/PIQE': 42.0}),
    ]
    merged = merge_runs(records)
    assert [r['name'] for r in merged] == ['DA', 'KT']
    assert merged[0]['runs'] == 3
    assert merged[0]['metrics']['rain/PSNR'] == pytest.approx(31.0)
    assert merged[0]['spread']['rain/PSNR'] == pytest.approx(1.0)  # ddof 1
    assert merged[0]['spread']['rain/PIQE'] == pytest.approx(2.0)
    assert merged[1] is records[1]
    lines = render_table(merged, 'md').split('\n')
    assert lines[2] == '| DA (3 runs) | 31.00 ± 1.00 | 42.00 ± 2.00 |'
    assert lines[3] == '| KT | 29.00 | – |'
    # tools/make_table.py merges files of the same name the same way.
    paths = []
    for i, record in enumerate(records):
        paths.append(tmp_path / f'{i}.json')
        paths[-1].write_text(json.dumps(record))
    done = run_script(repo_root, 'tools/make_table.py', *map(str, paths))
    assert done.returncode == 0, done.stderr[-4000:]
    assert '| DA (3 runs) | 31.00 ± 1.00 | 42.00 ± 2.00 |' in done.stdout
