"""Targets of the child processes in tests/app/test_side_by_side.py (a
child imports its target by name, so they live in a module)."""
import os
import signal
import sys
import time

from toolbox.user_errors import UserError


def report(tag, position=0):
    """What the child saw: its tag, bar row, thread setting, start, end."""
    start = time.time()
    time.sleep(0.5)
    print(f'log line of {tag}')
    return dict(tag=tag, position=position,
                threads=os.environ.get('OMP_NUM_THREADS'), start=start,
                end=time.time())


def user_mistake(position=0):
    raise UserError('configs/x.py: no such file')


def bug(position=0):
    raise ZeroDivisionError('division by zero in the model')


def exit_status(code, position=0):
    sys.exit(code)


def killed(position=0):
    os.kill(os.getpid(), signal.SIGKILL)


def sleeper(seconds, marker, position=0):
    time.sleep(seconds)
    open(marker, 'w').close()  # only if nobody stopped it
