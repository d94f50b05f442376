"""tracer: hop-by-hop traces of requests through Kubernetes ingress routing.

The Celery app (tracer/celery.py) is loaded by the Django app's ready() and found by `celery -A tracer`;
it is not imported here so that `tracer.engine` stays usable without Django or Celery.
"""
