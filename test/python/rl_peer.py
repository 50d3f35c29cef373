"""The Python side of rq-ts' test against RQ master's RateLimit (test/rate-limit-rq-master.test.ts).

RQ 1.13 (Debian's python3-rq) has no rate limits; RQ master has them (announced for 2.11). This
peer runs with an RQ master checkout first on PYTHONPATH (the test says where), and Debian's
python3-redis:

    /usr/bin/python3 rl_peer.py PORT COMMAND 'JSON'

prints one JSON document. Commands:
    enqueue  {"jobs": [{"func", "args", "key", "concurrency"}]} -> {"ids": [...], "statuses": [...]}
    work     {"queues": [...]}: a burst worker (RQ's Worker, JSONSerializer) -> {"version"}
    cleanup  {}: RQ's maintenance of every rate limit (RateLimitRegistry.cleanup) -> {}
Jobs are written with RQ's JSONSerializer, as rq-ts reads them.
"""
import json
import sys

from redis import Redis
import rq
from rq import Queue, Worker
from rq.rate_limit import RateLimit, RateLimitRegistry
from rq.serializers import JSONSerializer

port, command, payload = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
redis = Redis(port=port)

if command == 'enqueue':
    queue = Queue('default', connection=redis, serializer=JSONSerializer)
    jobs = [queue.enqueue(spec['func'], *spec.get('args', []), rate_limit=RateLimit(key=spec['key'], concurrency=spec['concurrency'])) for spec in payload['jobs']]
    result = {'ids': [job.id for job in jobs], 'statuses': [job.get_status() for job in jobs]}
elif command == 'work':
    queues = [Queue(name, connection=redis, serializer=JSONSerializer) for name in payload['queues']]
    Worker(queues, connection=redis, serializer=JSONSerializer).work(burst=True)
    result = {'version': rq.VERSION}
elif command == 'cleanup':
    for registry in RateLimitRegistry.all(connection=redis):
        registry.cleanup()
    result = {}
else:
    raise SystemExit(f'unknown command {command}')
print(json.dumps(result))
