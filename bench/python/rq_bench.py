"""Python RQ 1.13's side of `npm run bench`: enqueueing and reading results, run by
bench/run.mjs as a child process with /usr/bin/python3 (Debian's python3-rq).

Every command prints one JSON object on stdout.

  enqueue --url U --mode seq|bulk --n N [--warmup W]   time N enqueues (jobs of bench_tasks.noop)
  span --url U                                        the latest ended_at among finished jobs
"""
import argparse
import calendar
import json
import sys
import time

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

QUEUE = 'bench'
WARMUP_QUEUE = 'bench-warmup'
FUNC = 'bench_tasks.noop'
BATCH = 1000


def queue(url, name=QUEUE):
    return Queue(name, connection=Redis.from_url(url), serializer=JSONSerializer)


def enqueue_seq(q, n):
    for i in range(n):
        q.enqueue(FUNC, i)


def enqueue_bulk(q, n):
    for start in range(0, n, BATCH):
        q.enqueue_many([Queue.prepare_data(FUNC, args=(i,)) for i in range(start, min(n, start + BATCH))])


def cmd_enqueue(args):
    run = enqueue_seq if args.mode == 'seq' else enqueue_bulk
    if args.warmup > 0:
        run(queue(args.url, WARMUP_QUEUE), args.warmup)
    q = queue(args.url)
    q.connection.ping()  # connect before the clock starts, as the Node producers do
    start = time.perf_counter()
    run(q, args.n)
    return {'ms': (time.perf_counter() - start) * 1000, 'n': args.n}


def epoch_ms(moment):
    """RQ 1.13 stores naive UTC datetimes."""
    return calendar.timegm(moment.timetuple()) * 1000 + moment.microsecond / 1000


def finished_jobs(url):
    q = queue(url)
    ids = q.finished_job_registry.get_job_ids()
    jobs = []
    for start in range(0, len(ids), BATCH):
        jobs.extend(j for j in Job.fetch_many(ids[start:start + BATCH], connection=q.connection, serializer=JSONSerializer) if j)
    return jobs


def cmd_span(args):
    jobs = finished_jobs(args.url)
    return {'count': len(jobs), 'endMs': max((epoch_ms(job.ended_at) for job in jobs), default=None)}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest='command', required=True)
    enqueue = sub.add_parser('enqueue')
    enqueue.add_argument('--mode', choices=['seq', 'bulk'], required=True)
    enqueue.add_argument('--n', type=int, required=True)
    enqueue.add_argument('--warmup', type=int, default=0)
    sub.add_parser('span')
    for p in sub.choices.values():
        p.add_argument('--url', required=True)
    args = parser.parse_args()
    handler = {'enqueue': cmd_enqueue, 'span': cmd_span}[args.command]
    json.dump(handler(args), sys.stdout)


if __name__ == '__main__':
    main()
