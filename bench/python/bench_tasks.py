"""The job functions of the benchmark, for Python RQ workers: `bench_tasks.noop`, the name the
Node systems use too, so a Python worker could run jobs rq-ts enqueued."""


def noop(*args, **kwargs):
    """Does nothing: the benchmark measures the queue, not the job."""
    return None
