"""Pull jobs started from the UI: configured contexts and the progress record the task and the page share.

A job is one record (a JSON-serialisable dict) at ``tracer:pull:<job id>``; no model, as pulls are
short-lived and their result is a Snapshot row. It lives in Redis (``REDIS_URL``), which web and worker
already share for Celery; setting ``TRACER_PULL_CACHE`` to a cache alias uses that Django cache instead
(tests use the local-memory cache).
"""

from __future__ import annotations

import os
import uuid
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache

IN_CLUSTER = "in-cluster"
JOB_TTL = 24 * 3600
# A claim outlives any pull (the task's time limit) but not the broker's redelivery of a lost task.
CLAIM_TTL = 15 * 60
TERMINAL = ("done", "failed")


def configured_contexts() -> list[str]:
    """Contexts the UI may pull from: settings.TRACER_KUBE_CONTEXTS, else env TRACER_KUBE_CONTEXTS (comma-separated).

    The name ``in-cluster`` means the service account of the pod tracer runs in.
    """
    value = getattr(settings, "TRACER_KUBE_CONTEXTS", None)
    if value is None:
        value = os.environ.get("TRACER_KUBE_CONTEXTS", "")
    names = value.split(",") if isinstance(value, str) else list(value)
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def configured_kubeconfig() -> str | None:
    return getattr(settings, "TRACER_KUBECONFIG", None) or os.environ.get("KUBECONFIG") or None


def _identity_key(key: str, key_prefix: str, version: Any) -> str:
    return key  # the record is exactly at tracer:pull:<id>, readable with redis-cli


@cache
def _redis_store(url: str) -> BaseCache:
    return RedisCache(url, {"KEY_FUNCTION": _identity_key, "TIMEOUT": JOB_TTL})


def store() -> BaseCache:
    alias = getattr(settings, "TRACER_PULL_CACHE", None)
    return caches[alias] if alias else _redis_store(settings.REDIS_URL)


def _key(job_id: str) -> str:
    return f"tracer:pull:{job_id}"


def create(*, user_id: int, workspace_id: str, context: str, namespaces: list[str], secrets: str, name: str) -> str:
    """Record a queued job and return its id. ``secrets`` is ``metadata``, ``tls`` or ``none``."""
    job_id = uuid.uuid4().hex
    store().set(
        _key(job_id),
        {
            "state": "queued",
            "done": 0,
            "total": 0,
            "message": "Waiting for a worker",
            "snapshot_id": None,
            "warnings": [],
            "counts": {},
            "user_id": user_id,
            "workspace_id": str(workspace_id),
            "context": context,
            "namespaces": namespaces,
            "secrets": secrets,
            "name": name,
        },
        JOB_TTL,
    )
    return job_id


def get(job_id: str) -> dict[str, Any] | None:
    value = store().get(_key(job_id))
    return value if isinstance(value, dict) else None


def update(job_id: str, **fields: Any) -> dict[str, Any] | None:
    """Merge fields into the record. Only the one worker holding the claim writes, so no lock is needed."""
    job = get(job_id)
    if job is None:
        return None
    job.update(fields)
    store().set(_key(job_id), job, JOB_TTL)
    return job


def claim(job_id: str) -> bool:
    """True for the first delivery of the task; a duplicate delivery (acks_late) gets False."""
    return bool(store().add(f"{_key(job_id)}:claim", 1, CLAIM_TTL))
