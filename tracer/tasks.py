"""Celery tasks. They take ids, claim the row with a conditional UPDATE, and store results on the row.

Delivery is at-least-once (acks_late + reject_on_worker_lost, Redis visibility timeout), so every task is
idempotent: a duplicate finds the trace claimed or finished and returns. Engine errors are results (a failed
trace with the message), never retried; only transient database/broker errors are retried with backoff.
Publishing and the stale-trace sweep live in tracer/queue.py; this module runs them on the worker.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready, worker_shutting_down
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from .metrics import observe_outcome
from .models import Trace
from .queue import RUN_TRACE_TASK, mark_heavy, move_if_heavy, release_if_abandoned, requeue_stale_traces, worker_id

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def execute_trace(trace_id: str, worker: str) -> dict[str, Any]:
    """The task body: claim, run the engine, store the outcome. Safe to call twice."""
    from tracer.engine import TracerError

    from .runner import run_engine

    trace = Trace.objects.select_related("scenario", "snapshot").filter(pk=trace_id).first()
    if trace is None:
        return {"trace": str(trace_id), "skipped": "gone"}
    release_if_abandoned(trace.pk)  # the process that claimed it was killed on this host: take over at once
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
    if any(r.get("error") == "budget-exceeded" for r in result.get("requests") or []):
        mark_heavy(trace.snapshot_id)  # its snapshot's next traces go to the heavy queue (tracer/queue.py)
    return {"trace": str(trace_id), "state": "done"}


@shared_task(
    bind=True,
    name=RUN_TRACE_TASK,
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
        if move_if_heavy(trace_id, (self.request.delivery_info or {}).get("routing_key")):
            return {"trace": str(trace_id), "moved": settings.TRACER_HEAVY_QUEUE}
        return observe_outcome(trace_id, execute_trace(trace_id, worker_id(self.request.id)))  # tracer/metrics.py
    except TRANSIENT_ERRORS as exc:
        # Exponential backoff: 1, 2, 4 ... 60 s.
        raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc


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
