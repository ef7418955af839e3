"""configs/uniremoval/teacher_*.py: Uni-Removal's teachers, one structure.

III-B: "The structure of each teacher network remains the same" (and the
student "shares the same structure as each teacher network"), so every
teacher config builds the KT config's student network, and the KT configs
read the work dirs these configs train into.
"""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'configs', 'uniremoval')
SETS = {
    'kt_mprnet.py': {'haze': 'teacher_dehaze_ots.py',
                     'rain': 'teacher_derain_rain1400.py',
                     'blur': 'teacher_deblur_gopro.py'},
    'kt_mprnet_demo.py': {'haze': 'teacher_dehaze_demo.py',
                          'rain': 'teacher_derain_demo.py',
                          'blur': 'teacher_deblur_demo.py'},
}


def test_every_teacher_config_is_used_by_a_kt_config():
    names = {osp.basename(p)
             for p in glob.glob(osp.join(ROOT, 'teacher_*.py'))}
    assert names == {n for teachers in SETS.values()
                     for n in teachers.values()}


@pytest.mark.parametrize('kt_config', sorted(SETS))
def test_teachers_share_the_students_structure(kt_config):
    kt = Config.fromfile(osp.join(ROOT, kt_config))
    student = dict(kt.model.student)
    student.pop('init_cfg', None)  # the demo student starts as the identity
    for label, name in SETS[kt_config].items():
        teacher = Config.fromfile(osp.join(ROOT, name))
        generator = dict(teacher.model.generator)
        assert generator == student, (name, generator, student)
        assert kt.model.teachers[label].model == student
        # tools/train.py's default work dir is work_dirs/<config name>
        assert kt.model.teachers[label].checkpoint == \
            f'work_dirs/{osp.splitext(name)[0]}'
        # trained on [0,1] images, as the KT config converts for them
        assert teacher.model.data_preprocessor.value_range == \
            kt.model.teachers[label].value_range == '[0,1]'
