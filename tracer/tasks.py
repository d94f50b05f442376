"""Celery tasks. They take ids, claim the row with a conditional UPDATE, and store results on the row.

Delivery is at-least-once (acks_late + reject_on_worker_lost, Redis visibility timeout), so every task is
idempotent: a duplicate finds the trace claimed or finished and returns. Engine errors are results (a failed
trace with the message), never retried; only transient database/broker errors are retried with backoff.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from datetime import timedelta
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready, worker_shutting_down
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections
from django.db.models import Q
from django.utils import timezone

from .models import Trace, _local_process_is_dead

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
# Publishing fails with these when the broker is unreachable.
PUBLISH_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    kombu.exceptions.KombuError,
    redis.exceptions.RedisError,
    OSError,
)


def worker_id(task_id: str | None = None) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{task_id or '-'}"


def execute_trace(trace_id: str, worker: str) -> dict[str, Any]:
    """The task body: claim, run the engine, store the outcome. Safe to call twice."""
    from tracer.engine import TracerError

    from .runner import run_engine

    trace = Trace.objects.select_related("scenario", "snapshot").filter(pk=trace_id).first()
    if trace is None:
        return {"trace": str(trace_id), "skipped": "gone"}
    if not trace.claim(worker):
        return {"trace": str(trace_id), "skipped": "claimed or finished"}
    try:
        delay = settings.TRACER_TASK_DELAY_SECONDS
        if delay > 0:
            time.sleep(delay)  # test hook: lets an integration test kill the worker mid-task
        started = time.perf_counter()
        result = run_engine(trace)
        engine_ms = round((time.perf_counter() - started) * 1000, 3)
    except TracerError as exc:
        trace.fail(worker, str(exc))
        return {"trace": str(trace_id), "state": "failed"}
    except SoftTimeLimitExceeded:
        trace.fail(worker, f"the engine did not finish within {settings.CELERY_TASK_SOFT_TIME_LIMIT} s")
        return {"trace": str(trace_id), "state": "failed"}
    except TRANSIENT_ERRORS:
        with contextlib.suppress(*TRANSIENT_ERRORS):
            trace.release(worker)  # if this fails too, the sweep takes it over once the database is back
        raise
    except Exception as exc:
        # An engine bug: retrying would fail the same way. Keep the message for the user and the log.
        logger.exception("trace %s failed", trace_id)
        trace.fail(worker, f"internal error in the engine: {type(exc).__name__}: {exc}")
        return {"trace": str(trace_id), "state": "failed"}
    trace.finish(worker, result, engine_ms)
    return {"trace": str(trace_id), "state": "done"}


@shared_task(
    bind=True,
    name="tracer.tasks.run_trace",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    serializer="json",
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    max_retries=8,
)
def run_trace(self: Any, trace_id: str) -> dict[str, Any]:
    try:
        return execute_trace(trace_id, worker_id(self.request.id))
    except TRANSIENT_ERRORS as exc:
        # Exponential backoff: 1, 2, 4 ... 60 s.
        raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc


def publish_trace(trace_id: Any) -> bool:
    """Send the task to the broker; False when the broker is down (the sweep sends it later)."""
    Trace.objects.filter(pk=trace_id, state=Trace.State.QUEUED).update(enqueued_at=timezone.now())
    try:
        run_trace.apply_async(args=[str(trace_id)])
    except PUBLISH_ERRORS as exc:
        logger.warning("could not publish trace %s: %s", trace_id, exc)
        Trace.objects.filter(pk=trace_id, state=Trace.State.QUEUED).update(enqueued_at=None)
        return False
    return True


def requeue_stale_traces(now: Any = None, limit: int = 500) -> int:
    """Re-enqueue traces stuck in queued (never or long ago published) or running (worker gone).

    Returns how many were published. Stops at the first publish failure (broker still down).
    """
    now = now or timezone.now()
    queued_before = now - timedelta(seconds=settings.TRACER_STALE_SECONDS)
    running_before = now - timedelta(seconds=settings.TRACER_RUNNING_STALE_SECONDS)
    ids: list[Any] = []
    for row in Trace.objects.filter(state=Trace.State.RUNNING).values("pk", "claimed_by", "started_at")[:limit]:
        abandoned = (row["started_at"] is not None and row["started_at"] < running_before) or (
            row["claimed_by"] and _local_process_is_dead(row["claimed_by"])
        )
        if abandoned:
            released = Trace.objects.filter(
                pk=row["pk"], state=Trace.State.RUNNING, claimed_by=row["claimed_by"], started_at=row["started_at"]
            ).update(state=Trace.State.QUEUED, claimed_by="")
            if released:
                ids.append(row["pk"])
    ids += list(
        Trace.objects.filter(state=Trace.State.QUEUED)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=queued_before))
        .exclude(pk__in=ids)
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )
    published = 0
    for pk in ids:
        if not publish_trace(pk):
            break
        published += 1
    if published:
        logger.warning("requeued %d stale trace(s)", published)
    return published


@shared_task(name="tracer.tasks.requeue_stale_traces_task", ignore_result=True)
def requeue_stale_traces_task() -> int:
    return requeue_stale_traces()


# -- worker start: one sweep now, then periodically in a background thread ------------------------------

_sweeper_stop = threading.Event()


def _sweep_forever(interval: float) -> None:
    while not _sweeper_stop.wait(interval):
        try:
            close_old_connections()
            requeue_stale_traces()
        except Exception:  # never let the sweeper die; the next pass tries again
            logger.exception("stale-trace sweep failed")
        finally:
            close_old_connections()


@worker_ready.connect
def _on_worker_ready(**kwargs: Any) -> None:
    try:
        requeue_stale_traces()
    except Exception:
        logger.exception("stale-trace sweep at worker start failed")
    finally:
        close_old_connections()
    interval = settings.TRACER_SWEEP_INTERVAL
    if interval > 0:
        _sweeper_stop.clear()
        threading.Thread(target=_sweep_forever, args=(interval,), name="tracer-sweeper", daemon=True).start()


@worker_shutting_down.connect
def _on_worker_shutdown(**kwargs: Any) -> None:
    _sweeper_stop.set()
