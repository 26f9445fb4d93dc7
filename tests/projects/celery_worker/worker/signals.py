from celery.signals import worker_process_init

from .db import engine


@worker_process_init.connect
def dispose_pool(**kwargs):
    # Each forked worker must not share the parent's connections.
    engine.dispose(close=False)
