"""RQ: queues, job entry points, periodic jobs, the worker and the in-process worker."""
