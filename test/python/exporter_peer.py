"""rq-exporter's metrics as Python computes them, for test/metrics.test.ts.

    /usr/bin/python3 exporter_peer.py PORT

prints Prometheus' text format as prometheus_client writes it, for the metric families that
mdawar/rq-exporter 3.x exposes, computed with the definitions it uses, through Debian's RQ 1.13:
rq_workers{name,state,queues} 1 per worker of Worker.all, rq_workers_success_total,
rq_workers_failed_total, rq_workers_working_time_total {name,queues} from the worker's counts,
and rq_jobs{queue,status} for each queue of Queue.all: the queue's length and each registry's
size without cleaning it (RQ 1.13 has no get_job_count(cleanup=False): a ZCARD of its key).

Then rq-ts' job statistics, read from rq:stats:<queue> as docs/observability.md describes the
hash (run:<le>:<function> and wait:<le>:<function> counts per bucket, run_sum and wait_sum,
retries, timeouts, abandoned), written with prometheus_client's own histogram and counter
families: rq_job_run_time_seconds, rq_job_wait_time_seconds, rq_job_retries_total,
rq_job_timeouts_total, rq_jobs_abandoned_total, {queue,function}; a family without samples is left out.
"""
import sys

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString
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
        yield from job_statistics(Queue.all(connection=connection))


BUCKETS = ['0.001', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '300', '1800', '+Inf']


def job_statistics(queues):
    labels = ['queue', 'function']
    run = HistogramMetricFamily('rq_job_run_time_seconds', 'Seconds RQ jobs ran (rq-ts workers)', labels=labels)
    wait = HistogramMetricFamily('rq_job_wait_time_seconds', 'Seconds RQ jobs waited from enqueued to started (rq-ts workers)', labels=labels)
    counters = {
        'retries': CounterMetricFamily('rq_job_retries', 'RQ job executions retried (rq-ts workers)', labels=labels),
        'timeouts': CounterMetricFamily('rq_job_timeouts', 'RQ job executions ended by their timeout (rq-ts workers)', labels=labels),
        'abandoned': CounterMetricFamily('rq_jobs_abandoned', 'RQ jobs found abandoned by their worker (rq-ts sweeps)', labels=labels),
    }
    for queue in queues:
        fields = {k.decode(): float(v) for k, v in connection.hgetall('rq:stats:' + queue.name).items()}
        functions = {}
        for field, value in fields.items():
            kind, _, rest = field.partition(':')
            stats = None
            if kind in ('run', 'wait'):
                le, _, function = rest.partition(':')
                stats = functions.setdefault(function, {})
                stats.setdefault(kind, [0.0] * len(BUCKETS))[BUCKETS.index(le)] += value
            elif kind in ('run_sum', 'wait_sum', 'retries', 'timeouts', 'abandoned'):
                stats = functions.setdefault(rest, {})
                stats[kind] = stats.get(kind, 0.0) + value
        for function in sorted(functions):
            stats = functions[function]
            for kind, family in (('run', run), ('wait', wait)):
                if kind in stats:
                    total, buckets = 0.0, []
                    for le, count in zip(BUCKETS, stats[kind]):
                        total += count
                        buckets.append((le if le == '+Inf' else floatToGoString(float(le)), total))
                    family.add_metric([queue.name, function], buckets, stats.get(kind + '_sum', 0.0))
            for kind, family in counters.items():
                family.add_metric([queue.name, function], stats.get(kind, 0.0))
    for family in (run, wait, *counters.values()):
        if family.samples:
            yield family


registry = CollectorRegistry()
registry.register(Collector())
sys.stdout.write(generate_latest(registry).decode())
