"""tracer: hop-by-hop traces of requests through Kubernetes ingress routing."""

from .celery import app as celery_app

__all__ = ("celery_app",)
