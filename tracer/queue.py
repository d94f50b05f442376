"""The trace queue: putting traces on the Celery queue, and telling a live worker's claim from a dead one's.

The web side stores a queued trace and publishes ``run_trace`` after the commit; the worker side
(tracer/tasks.py) claims rows and sweeps up what was never published or was abandoned. Publishing goes
by task name through the Celery app, so this module needs neither the task code nor the worker.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracer.celery import app

from .models import Scenario, Trace

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import Snapshot

logger = logging.getLogger(__name__)

# The name tracer/tasks.py registers the task under; a worker knows it, the web process need not.
RUN_TRACE_TASK = "tracer.tasks.run_trace"
# Publishing fails with these when the broker is unreachable.
PUBLISH_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    kombu.exceptions.KombuError,
    redis.exceptions.RedisError,
    OSError,
)


# -- worker liveness -----------------------------------------------------------------------------------


def worker_id(task_id: str | None = None) -> str:
    """``host:pid:task``: what a worker writes into ``Trace.claimed_by``."""
    return f"{socket.gethostname()}:{os.getpid()}:{task_id or '-'}"


def process_is_dead(claimed_by: str) -> bool:
    """True when ``claimed_by`` names a process on this host that no longer exists.

    Claims from other hosts (or in another form) are never judged dead here; they age out instead.
    """
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def release_if_abandoned(trace_id: Any, running_before: datetime | None = None) -> bool:
    """Put a running trace back to queued when its worker is gone: a dead local process, or a claim
    older than ``running_before``. Conditional on the claim seen, so a live takeover is never undone."""
    row = Trace.objects.filter(pk=trace_id, state=Trace.State.RUNNING).values("claimed_by", "started_at").first()
    if row is None:
        return False
    stale = running_before is not None and row["started_at"] is not None and row["started_at"] < running_before
    if not (stale or (row["claimed_by"] and process_is_dead(row["claimed_by"]))):
        return False
    return bool(
        Trace.objects.filter(
            pk=trace_id, state=Trace.State.RUNNING, claimed_by=row["claimed_by"], started_at=row["started_at"]
        ).update(state=Trace.State.QUEUED, claimed_by="")
    )


# -- publishing ----------------------------------------------------------------------------------------


def publish_trace(trace_id: Any) -> bool:
    """Send the task to the broker; False (nothing raised) when the broker is down: the sweep sends it later."""
    Trace.objects.filter(pk=trace_id, state=Trace.State.QUEUED).update(enqueued_at=timezone.now())
    try:
        app.send_task(RUN_TRACE_TASK, args=(str(trace_id),))
    except PUBLISH_ERRORS as exc:
        logger.warning("could not publish trace %s: %s", trace_id, exc)
        Trace.objects.filter(pk=trace_id, state=Trace.State.QUEUED).update(enqueued_at=None)
        return False
    return True


def submit_trace(
    *,
    snapshot: Snapshot,
    request: dict[str, Any],
    options: dict[str, Any],
    user: User | None,
    scenario: Scenario | None = None,
) -> tuple[Trace, bool | None]:
    """Store the scenario (unless given) and a queued trace; publish the task after commit.

    Returns the trace and whether publishing worked (None when the commit is still pending, as inside a
    test transaction). A failed publish leaves the trace queued for the sweep.
    """
    published: list[bool] = []

    def send(trace_id: Any) -> None:
        published.append(publish_trace(trace_id))

    with transaction.atomic():
        if scenario is None:
            scenario = Scenario.objects.create(
                workspace=snapshot.workspace, request=request, options=options, created_by=user
            )
        trace = Trace.objects.create(
            workspace=snapshot.workspace, scenario=scenario, snapshot=snapshot, created_by=user
        )
        transaction.on_commit(lambda: send(trace.pk))
    return trace, (published[0] if published else None)


def requeue_stale_traces(now: datetime | None = None, limit: int = 500) -> int:
    """Re-enqueue traces stuck in queued (never or long ago published) or running (worker gone).

    Returns how many were published. Stops at the first publish failure (broker still down).
    """
    now = now or timezone.now()
    queued_before = now - timedelta(seconds=settings.TRACER_STALE_SECONDS)
    running_before = now - timedelta(seconds=settings.TRACER_RUNNING_STALE_SECONDS)
    running = Trace.objects.filter(state=Trace.State.RUNNING).values_list("pk", flat=True)[:limit]
    ids: list[Any] = [pk for pk in running if release_if_abandoned(pk, running_before)]
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
