"""Celery application; tasks live in tracer/tasks.py and take primary keys, never objects."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracer.settings")

app = Celery("tracer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tracer", "tracer.kube"])

