import os

from celery import Celery

app = Celery("worker", broker=os.environ.get("BROKER_URL", "redis://localhost:6379/0"))
app.conf.task_acks_late = True
app.autodiscover_tasks(["worker"])
