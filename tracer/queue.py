"""The trace queue: putting traces on the Celery queue, and telling a live worker's claim from a dead one's.

The web side stores a queued trace and publishes ``run_trace`` after the commit; the worker side
(tracer/tasks.py) claims rows and sweeps up what was never published or was abandoned. Publishing goes
by task name through the Celery app, so this module needs neither the task code nor the worker.

Fairness is Celery routing: each workspace's traces go to one of ``traces.0 .. traces.{N-1}`` (a stable hash of
the workspace), which the worker consumes in turn, so one workspace's burst waits behind itself, not in front of
the others. Traces that may run for their whole budget (a snapshot flagged for unbounded regexes at load, or one
whose trace already used its budget up) go to ``traces.heavy``, served by a worker of its own, so they never hold
the slots that light traces use (settings: CELERY_TASK_QUEUES).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import zlib
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
from .models import Snapshot as SnapshotRow

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


# -- routing ------------------------------------------------------------------------------------------

# Written by the engine's load-time check (tracer/engine/regex_risk.py) at the start of its warnings' messages.
REGEX_RISK_PREFIX = "unbounded regex"
HEAVY_MARK = "tracer:heavy-snapshot:{}"
HEAVY_MARK_SECONDS = 30 * 24 * 3600
_flagged: dict[str, bool] = {}  # snapshot pk -> flagged at load; snapshots never change, so this never goes stale
_FLAGGED_MAX = 4096
_redis_lock = threading.Lock()
_redis_client: redis.Redis | None = None


def workspace_queue(workspace_id: Any) -> str:
    """The fair queue of a workspace: a hash that is the same in every process (not Python's salted hash)."""
    return f"traces.{zlib.crc32(str(workspace_id).encode()) % settings.TRACER_TRACE_QUEUES}"


def _redis() -> redis.Redis | None:
    """A client of the broker's Redis for the heavy marks (short timeouts: a mark is a hint, never worth a wait)."""
    global _redis_client
    url = str(settings.CELERY_BROKER_URL)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    with _redis_lock:
        if _redis_client is None:
            _redis_client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return _redis_client


def flagged_at_load(warnings: Any) -> bool:
    """Whether a snapshot's stored load warnings flag a regex that cannot be bounded."""
    return isinstance(warnings, list) and any(
        isinstance(w, dict) and str(w.get("message", "")).startswith(REGEX_RISK_PREFIX) for w in warnings
    )


def mark_heavy(snapshot_id: Any) -> None:
    """Remember that a trace on this snapshot used its whole budget: its next traces go to the heavy queue."""
    client = _redis()
    if client is None:
        return
    try:
        client.set(HEAVY_MARK.format(snapshot_id), 1, ex=HEAVY_MARK_SECONDS)
    except redis.exceptions.RedisError as exc:
        logger.warning("could not mark snapshot %s heavy: %s", snapshot_id, exc)


def _marked_heavy(snapshot_id: Any) -> bool:
    client = _redis()
    if client is None:
        return False
    try:
        return bool(client.exists(HEAVY_MARK.format(snapshot_id)))
    except redis.exceptions.RedisError:
        return False  # the broker is down: publishing fails anyway and the sweep routes it again later


def snapshot_is_heavy(snapshot_id: Any, warnings: Any = None) -> bool:
    """Flagged at load (``warnings``: the row's, when the caller has them) or marked after a trace used its budget."""
    key = str(snapshot_id)
    flagged = _flagged.get(key)
    if flagged is None:
        if warnings is None:
            warnings = SnapshotRow.objects.filter(pk=snapshot_id).values_list("warnings", flat=True).first()
        flagged = flagged_at_load(warnings)
        if len(_flagged) >= _FLAGGED_MAX:
            _flagged.clear()
        _flagged[key] = flagged
    return flagged or _marked_heavy(snapshot_id)


def queue_for(workspace_id: Any, snapshot_id: Any, warnings: Any = None) -> str:
    return settings.TRACER_HEAVY_QUEUE if snapshot_is_heavy(snapshot_id, warnings) else workspace_queue(workspace_id)


def queue_for_trace(trace_id: Any) -> str | None:
    """The queue a stored trace belongs on now (None: the trace is gone)."""
    row = Trace.objects.filter(pk=trace_id).values("workspace_id", "snapshot_id").first()
    if row is None:
        return None
    return queue_for(row["workspace_id"], row["snapshot_id"])


def move_if_heavy(trace_id: Any, delivered_to: str | None) -> bool:
    """On the worker, before claiming: a trace delivered on a light queue whose snapshot became heavy after it was
    published goes to the heavy queue instead. True when it was moved (the caller then drops this delivery)."""
    if not delivered_to or delivered_to == settings.TRACER_HEAVY_QUEUE:
        return False
    row = Trace.objects.filter(pk=trace_id, state=Trace.State.QUEUED).values("snapshot_id").first()
    if row is None or not snapshot_is_heavy(row["snapshot_id"]):
        return False
    try:
        app.send_task(RUN_TRACE_TASK, args=(str(trace_id),), queue=settings.TRACER_HEAVY_QUEUE)
    except PUBLISH_ERRORS:
        return False  # run it here rather than risk losing it
    return True


# -- publishing ----------------------------------------------------------------------------------------


def publish_trace(trace_id: Any, queue: str | None = None) -> bool:
    """Send the task to the broker; False (nothing raised) when the broker is down: the sweep sends it later.
    ``queue``: where it goes (by default looked up: tracer.queue.queue_for_trace)."""
    Trace.objects.filter(pk=trace_id, state=Trace.State.QUEUED).update(enqueued_at=timezone.now())
    try:
        app.send_task(RUN_TRACE_TASK, args=(str(trace_id),), queue=queue or queue_for_trace(trace_id))
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
    queue = queue_for(snapshot.workspace_id, snapshot.pk, snapshot.warnings)

    def send(trace_id: Any) -> None:
        published.append(publish_trace(trace_id, queue))

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
