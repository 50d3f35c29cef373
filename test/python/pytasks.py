"""Job functions for the Python RQ 1.13 workers of rq-ts' interoperability tests (test/interop.test.ts).

rq-ts registers functions under the same dotted names (pytasks.add...), so a job of these names
runs on either side: which one ran it is told by what it returns or writes.
"""
import time

from rq import get_current_job


def add(x, y=0):
    return x + y


def fail(message):
    raise ValueError(message)


def set_meta(key, value):
    job = get_current_job()
    job.meta[key] = value
    job.save_meta()
    return 'python'


def whoami():
    return 'python'


def flaky():
    """Succeeds in Python; rq-ts' function of this name fails."""
    return 'python'


def slow(seconds):
    time.sleep(seconds)
    return 'slept'


def echo(*args, **kwargs):
    return {'args': list(args), 'kwargs': kwargs}
