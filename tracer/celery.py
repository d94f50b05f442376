"""Celery application; tasks live in tracer/tasks.py and take primary keys, never objects."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracer.settings")

app = Celery("tracer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tracer", "tracer.kube"])


@worker_ready.connect
def _serve_metrics(**_: Any) -> None:
    """TRACER_WORKER_METRICS_PORT: serve this worker's trace metrics over HTTP (workers in their own pods)."""
    port = os.environ.get("TRACER_WORKER_METRICS_PORT")
    if port:
        from tracer.metrics import serve_worker_metrics

        serve_worker_metrics(int(port))
