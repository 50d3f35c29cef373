"""Runs Python RQ's own `rq worker` command in this process, to time it and read its peak RSS.

  run_worker.py REPORT_FILE rq-worker-arguments...

is `rq worker rq-worker-arguments...` (e.g. `--burst -w rq.worker.SimpleWorker -S
rq.serializers.JSONSerializer -u URL -P bench/python bench`). When the command ends, REPORT_FILE
gets {"startMs": wall clock just before the command started (imports done), "maxRssKb": this
process' peak RSS, "childrenMaxRssKb": the largest forked work horse's}.
"""
import atexit
import json
import resource
import sys
import time

from rq.cli import main

report_file = sys.argv[1]
start_ms = time.time() * 1000


@atexit.register
def report():
    with open(report_file, 'w') as out:
        json.dump({
            'startMs': start_ms,
            'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            'childrenMaxRssKb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        }, out)


main(['worker', *sys.argv[2:]], prog_name='rq')
