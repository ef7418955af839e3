"""toolbox/progress.py: bars on a terminal, silence in logs and pipes."""
import io

from toolbox.progress import progress_bar


class FakeTerminal(io.StringIO):

    def isatty(self):
        return True


def test_bar_only_on_a_terminal():
    log = io.StringIO()
    assert list(progress_bar(range(3), file=log, desc='x')) == [0, 1, 2]
    assert log.getvalue() == ''  # redirected output: no bar
    terminal = FakeTerminal()
    assert list(progress_bar(range(3), file=terminal, desc='x')) == [0, 1, 2]
    assert '3/3' in terminal.getvalue()
    off = FakeTerminal()
    list(progress_bar(range(3), file=off, enabled=False))
    assert off.getvalue() == ''


def test_manual_bar_with_total():
    terminal = FakeTerminal()
    with progress_bar(total=4, initial=1, file=terminal) as bar:
        bar.update(3)
    assert '4/4' in terminal.getvalue()
