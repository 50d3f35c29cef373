"""The Python RQ 1.13 side of rq-ts' interoperability tests (test/interop.test.ts).

    /usr/bin/python3 peer.py PORT COMMAND 'JSON'

prints one JSON document. Commands:
    enqueue   {"jobs": [{"queue", "func", "args", "kwargs", "job_id", "meta", "ttl", "result_ttl",
              "failure_ttl", "at_front", "retry": {"max", "interval"}, "depends_on": [ids],
              "enqueue_in": seconds, "pickle": true}]} -> {"ids": [...]}
    read      {"ids": [...]} -> {id: {"status", "return_value", "latest_type", "exc_info",
              "exc_last_line" (exc_info.splitlines()[-1], what Python's tools show), "meta",
              "origin", "worker_name", "retries_left"}}
    registries {"queues": [...]} -> {queue: {"queued", "started", "finished", "failed",
              "deferred", "scheduled", "canceled"}}
    stop_job  {"job_id"}: send_stop_job_command;  shutdown {"name"}: send_shutdown_command
Every job is written with RQ's JSONSerializer, except with "pickle": true (RQ's default, pickle).
"""
import json
import sys
from datetime import timedelta

from redis import Redis
from rq import Queue, Retry
from rq.command import send_shutdown_command, send_stop_job_command
from rq.job import Job
from rq.registry import (CanceledJobRegistry, DeferredJobRegistry, FailedJobRegistry,
                         FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry)
from rq.serializers import JSONSerializer

port, command, payload = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
redis = Redis(port=port)


def enqueue(spec):
    queue = Queue(spec.get('queue', 'default'), connection=redis, serializer=None if spec.get('pickle') else JSONSerializer)
    options = {key: spec[key] for key in ('job_id', 'meta', 'ttl', 'result_ttl', 'failure_ttl', 'at_front') if key in spec}
    if 'retry' in spec:
        options['retry'] = Retry(max=spec['retry']['max'], interval=spec['retry'].get('interval', 0))
    if 'depends_on' in spec:
        options['depends_on'] = spec['depends_on']
    args, kwargs = spec.get('args', []), spec.get('kwargs', {})
    if 'enqueue_in' in spec:
        return queue.enqueue_in(timedelta(seconds=spec['enqueue_in']), spec['func'], *args, **kwargs, **options)
    return queue.enqueue(spec['func'], *args, **kwargs, **options)


def read(job_id):
    job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    latest = job.latest_result()
    return {
        'status': job.get_status(), 'return_value': job.return_value(), 'latest_type': latest.type.name if latest else None,
        'exc_info': job.exc_info, 'exc_last_line': job.exc_info.splitlines()[-1] if job.exc_info else None, 'meta': job.meta, 'origin': job.origin, 'worker_name': job.worker_name,
        'retries_left': job.retries_left,
    }


def registries(name):
    queue = Queue(name, connection=redis, serializer=JSONSerializer)
    return {
        'queued': queue.get_job_ids(),
        'started': StartedJobRegistry(queue=queue).get_job_ids(),
        'finished': FinishedJobRegistry(queue=queue).get_job_ids(),
        'failed': FailedJobRegistry(queue=queue).get_job_ids(),
        'deferred': DeferredJobRegistry(queue=queue).get_job_ids(),
        'scheduled': ScheduledJobRegistry(queue=queue).get_job_ids(),
        'canceled': CanceledJobRegistry(queue=queue).get_job_ids(),
    }


if command == 'enqueue':
    result = {'ids': [enqueue(spec).id for spec in payload['jobs']]}
elif command == 'read':
    result = {job_id: read(job_id) for job_id in payload['ids']}
elif command == 'registries':
    result = {name: registries(name) for name in payload['queues']}
elif command == 'stop_job':
    send_stop_job_command(redis, payload['job_id'])
    result = {}
elif command == 'shutdown':
    send_shutdown_command(redis, payload['name'])
    result = {}
else:
    raise SystemExit('unknown command ' + command)
print(json.dumps(result, default=str))
