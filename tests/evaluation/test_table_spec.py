"""Paper tables from specs (toolbox/evaluation/table_spec.py,
tools/make_table.py --spec), on hand-made results files."""
import json
from pathlib import Path

import pytest

from tests.helpers import run_script
from toolbox.evaluation.table_spec import (NOT_RUN, MixedConventions,
                                           SpecError, fill_rows, load_spec,
                                           missing_commands, plan_run,
                                           render_spec_table)

SPEC = '''
tables = dict(
    T=dict(
        title='Table T',
        columns=[('a/PSNR', 'A PSNR'), ('b/PSNR', 'B PSNR')],
        digits=2,
        rows=[
            dict(label='teacher', runs=[
                dict(config='configs/x/teacher_a.py', checkpoint='ta/it.pth',
                     test_set='a'),
                dict(config='configs/x/teacher_b.py', checkpoint='tb/it.pth',
                     test_set='b')],
                 paper=[30.0, 31.0]),
            dict(label='student', runs=[dict(
                config='configs/x/student.py',
                checkpoint='student_seed*/it.pth')], paper=[29.0, None]),
            dict(label='other', runs=[dict(config='configs/x/other.py',
                                           checkpoint='other/it.pth')]),
            dict(label='rival', runs=[], note='not in the toolbox',
                 paper=[28.0, 27.5]),
        ]),
)
'''


def _write(path, metrics, conventions=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    record = dict(name='x', metrics=metrics)
    if conventions:
        record['conventions'] = conventions
    path.write_text(json.dumps(record))


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / 'tables.py'
    path.write_text(SPEC)
    work = tmp_path / 'work'
    # Each teacher tests its own set, named with test_set.
    _write(work / 'ta' / 'results_teacher_a_a.json', {'a/PSNR': 30.5})
    _write(work / 'tb' / 'results_teacher_b_b.json', {'b/PSNR': 31.25})
    for seed, value in enumerate((28.0, 29.0, 30.0)):  # three seeds
        _write(work / f'student_seed{seed}' / 'results_student.json',
               {'a/PSNR': value, 'b/PSNR': 20.0})
    return str(path), str(work)


def test_rows_fill_from_their_runs_in_the_papers_layout(spec):
    path, work = spec
    table = load_spec(path)['T']
    rows = fill_rows(table, work)
    lines = render_spec_table(table, rows).splitlines()
    assert lines[0] == '| method | A PSNR ↑ | B PSNR ↑ |'
    # The teacher row: two configs, each under its own column.
    assert lines[2] == '| teacher | 30.50 | 31.25 |'
    # Three seeds: mean ± sample standard deviation.
    assert lines[3] == '| student | 29.00 ± 1.00 | 20.00 ± 0.00 |'
    assert lines[4] == f'| other | {NOT_RUN} | {NOT_RUN} |'
    assert lines[5] == f'| rival | {NOT_RUN} | {NOT_RUN} |'
    missing = missing_commands(rows)
    assert missing[0] == (
        f'other: python tools/test.py configs/x/other.py {work}/other/it.pth '
        f'--name other --out {work}/other/results_other.json')
    assert missing[1] == 'rival: not in the toolbox'


def test_compare_shows_the_papers_values_and_the_difference(spec):
    path, work = spec
    table = load_spec(path)['T']
    lines = render_spec_table(table, fill_rows(table, work),
                              compare=True).splitlines()
    assert '| teacher (paper) | 30.00 | 31.00 |' in lines
    assert '| teacher (ours − paper) | 0.50 | 0.25 |' in lines
    assert '| student (ours − paper) | 0.00 | – |' in lines
    assert '| rival (paper) | 28.00 | 27.50 |' in lines
    assert not any(line.startswith('| other (') for line in lines)


def test_one_column_never_mixes_two_conventions(spec):
    path, work = spec
    _write(Path(work) / 'ta' /
           'results_teacher_a_a.json', {'a/PSNR': 30.5},
           {'a/PSNR': 'PSNR Y'})
    _write(Path(work) / 'student_seed0' /
           'results_student.json', {'a/PSNR': 28.0}, {'a/PSNR': 'PSNR RGB'})
    with pytest.raises(MixedConventions, match=r"(?s)column a/PSNR: .*"
                       r"results_teacher_a_a.json computes it as 'PSNR Y'.*"
                       r"student_seed0.*'PSNR RGB'"):
        fill_rows(load_spec(path)['T'], work)


def test_bad_specs_are_named(tmp_path):
    path = tmp_path / 's.py'
    path.write_text('tables = dict(T=dict(columns=[("a/PSNR", "A")], rows=['
                    'dict(label="r", runs=[], paper=[1.0])]))')
    with pytest.raises(SpecError, match='row .r.: a row without runs needs '
                       'a note'):
        load_spec(str(path))
    path.write_text('tables = dict(T=dict(columns=[("a/PSNR", "A")], rows=['
                    'dict(label="r", runs=[dict(config="c.py")])]))')
    with pytest.raises(SpecError, match=r's.py: tables.T, row .r.: a run is'):
        load_spec(str(path))
    path.write_text('tables = dict(T=dict(columns=[("a/PSNR", "A")], rows=['
                    'dict(label="r", runs=[], note="n", paper=[1, 2])]))')
    with pytest.raises(SpecError, match='2 paper values for 1 columns'):
        load_spec(str(path))
    with pytest.raises(SpecError, match='not found'):
        load_spec(str(tmp_path / 'none.py'))


def test_input_rows_are_scored_by_the_tools():
    run = plan_run(dict(config='configs/u/kt.py', inputs=True), 'Hazy', 'w')
    assert run.command == ('python tools/test.py configs/u/kt.py --inputs '
                           '--name Hazy --out w/inputs/kt.json')
    run = plan_run(dict(folder='data/rtts', metrics=['brisque'],
                        test_set='rtts'), 'Hazy', 'w')
    assert run.command == ('python tools/iqa.py data/rtts --metrics brisque '
                           '--name Hazy --test-set rtts --out '
                           'w/inputs/rtts.json')
    # A one-set config's inputs: the set named in the keys, as its model's.
    run = plan_run(dict(config='configs/f/demo.py', inputs=True,
                        test_set='demo_hybrid'), 'degraded input', 'w')
    assert run.command == ('python tools/test.py configs/f/demo.py --inputs '
                           '--name "degraded input" --test-set demo_hybrid '
                           '--out w/inputs/demo_demo_hybrid.json')
    # The reference row: the clean targets, by the no-reference metrics.
    run = plan_run(dict(config='configs/u/da_demo.py', targets=True),
                   'clean targets', 'w')
    assert run.command == ('python tools/test.py configs/u/da_demo.py '
                           '--targets --name "clean targets" --out '
                           'w/targets/da_demo.json')


def test_uniremoval_table_iv_puts_the_teachers_under_the_student_columns(
        repo_root, tmp_path):
    """The shipped spec: Table IV's teacher row is three teacher configs,
    one test set each, in the columns of the students' three sets."""
    spec = f'{repo_root}/configs/uniremoval/tables.py'
    table = load_spec(spec)['IV']
    work = tmp_path / 'w'
    for run, value in zip(table['rows'][0]['runs'], (31.0, 32.0, 30.0)):
        planned = plan_run(run, 'Teacher', str(work))
        metrics = {f'{run["test_set"]}/PSNR': value,
                   f'{run["test_set"]}/SSIM': 0.9}
        _write(Path(planned.pattern), metrics)
    student = plan_run(table['rows'][3]['runs'][0], '+ ICL + FCL', str(work))
    _write(Path(student.pattern), {
        'sots/PSNR': 29.0, 'sots/SSIM': 0.97, 'rain1400/PSNR': 32.0,
        'rain1400/SSIM': 0.93, 'gopro/PSNR': 28.5, 'gopro/SSIM': 0.87})
    done = run_script(repo_root, 'tools/make_table.py', '--spec', spec,
                      '--table', 'IV', '--work-dir', str(work), '--compare')
    assert done.returncode == 0, done.stderr[-4000:]
    out = done.stdout
    assert ('| method | SOTS PSNR ↑ | SOTS SSIM ↑ | Rain1400 PSNR ↑ | '
            'Rain1400 SSIM ↑ | GoPro PSNR ↑ | GoPro SSIM ↑ |') in out
    assert '| Teacher | 31.000 | 0.900 | 32.000 | 0.900 | 30.000 | 0.900 |' \
        in out
    assert '| Teacher (paper) | 31.770 | 0.980 | 32.622 | 0.939 | 31.059 | ' \
        '0.886 |' in out
    assert '| + ICL + FCL (ours − paper) | -0.075 |' in out
    assert '| BKT | — |' in out and 'BKT: python tools/test.py ' in out


def test_cli_errors_are_one_line(repo_root, tmp_path):
    spec = f'{repo_root}/configs/uniremoval/tables.py'
    done = run_script(repo_root, 'tools/make_table.py', '--spec', spec,
                      '--table', 'VI')
    assert done.returncode == 2
    assert "has no table 'VI'; its tables: I, II, III, IV, V" in done.stderr
    assert 'Traceback' not in done.stderr
