"""rq-exporter's metrics as Python computes them, for test/metrics.test.ts.

    /usr/bin/python3 exporter_peer.py PORT

prints Prometheus' text format as prometheus_client writes it, for the metric families that
mdawar/rq-exporter 3.x exposes, computed with the definitions it uses, through Debian's RQ 1.13:
rq_workers{name,state,queues} 1 per worker of Worker.all, rq_workers_success_total,
rq_workers_failed_total, rq_workers_working_time_total {name,queues} from the worker's counts,
and rq_jobs{queue,status} for each queue of Queue.all: the queue's length and each registry's
size without cleaning it (RQ 1.13 has no get_job_count(cleanup=False): a ZCARD of its key).
"""
import sys

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from redis import Redis
from rq import Queue, Worker

connection = Redis(port=int(sys.argv[1]))


class Collector:
    def collect(self):
        workers = GaugeMetricFamily('rq_workers', 'RQ workers', labels=['name', 'state', 'queues'])
        success = CounterMetricFamily('rq_workers_success', 'RQ workers success count', labels=['name', 'queues'])
        failed = CounterMetricFamily('rq_workers_failed', 'RQ workers fail count', labels=['name', 'queues'])
        working = CounterMetricFamily('rq_workers_working_time', 'RQ workers spent seconds', labels=['name', 'queues'])
        for worker in Worker.all(connection=connection):
            queues = ','.join(worker.queue_names())
            workers.add_metric([worker.name, worker.get_state(), queues], 1)
            success.add_metric([worker.name, queues], worker.successful_job_count)
            failed.add_metric([worker.name, queues], worker.failed_job_count)
            working.add_metric([worker.name, queues], worker.total_working_time)
        yield workers
        yield success
        yield failed
        yield working
        jobs = GaugeMetricFamily('rq_jobs', 'RQ jobs by state', labels=['queue', 'status'])
        for queue in Queue.all(connection=connection):
            registries = {
                'started': queue.started_job_registry, 'finished': queue.finished_job_registry,
                'failed': queue.failed_job_registry, 'deferred': queue.deferred_job_registry,
                'scheduled': queue.scheduled_job_registry,
            }
            jobs.add_metric([queue.name, 'queued'], queue.count)
            for status, registry in registries.items():
                jobs.add_metric([queue.name, status], connection.zcard(registry.key))
        yield jobs


registry = CollectorRegistry()
registry.register(Collector())
sys.stdout.write(generate_latest(registry).decode())
