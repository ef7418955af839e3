"""Which exceptions the tools print as a user's mistake."""
import os.path as osp

import toolbox
from toolbox.app.errors import is_user_error
from toolbox.user_errors import UserError


def syntax_error_in(filename):
    try:
        compile('x = (', filename, 'exec')
    except SyntaxError as error:
        return error
    raise AssertionError('compiled')


def test_a_config_that_does_not_parse_is_the_users(tmp_path):
    assert is_user_error(syntax_error_in(str(tmp_path / 'my_config.py')))
    assert is_user_error(UserError('x'))


def test_a_syntax_error_in_the_toolbox_itself_is_internal():
    # An edited install: the traceback is what its author needs (it was
    # printed as "error: .../norm.py, line 48: '(' was never closed").
    module = osp.join(osp.dirname(toolbox.__file__), 'models', 'layers',
                      'norm.py')
    assert not is_user_error(syntax_error_in(module))
