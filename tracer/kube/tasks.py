"""Celery task behind the pull page: run a pull for a configured context and store the snapshot.

Delivery is at-least-once (acks_late); a duplicate delivery finds the job claimed or finished and returns.
Pull errors are results (a failed job with the one-line message), never retried: a wrong context or a
missing RBAC rule fails the same way the next time.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import close_old_connections

from tracer import page_cache

from . import jobs
from .pull import PullError, pull_objects

logger = logging.getLogger(__name__)

SOFT_TIME_LIMIT = 10 * 60
SECRET_MODES = ("metadata", "tls", "none")


def run_pull_job(job_id: str) -> dict[str, Any]:
    """The task body, callable without Celery. Safe to call twice."""
    from django.contrib.auth import get_user_model

    from tracer.engine import TracerError
    from tracer.models import Workspace

    from .store import store_pull

    job = jobs.get(job_id)
    if job is None:
        return {"job": job_id, "skipped": "gone"}
    if job.get("state") in jobs.TERMINAL or not jobs.claim(job_id):
        return {"job": job_id, "skipped": "claimed or finished"}

    def fail(message: str) -> dict[str, Any]:
        jobs.update(job_id, state="failed", message=message)
        return {"job": job_id, "state": "failed"}

    context = str(job.get("context") or "")
    # Re-checked here: the record is the only input, and only configured contexts may be used.
    if context not in jobs.configured_contexts():
        return fail(f"context {context!r} is not configured for pulls (TRACER_KUBE_CONTEXTS)")
    secrets = job.get("secrets") if job.get("secrets") in SECRET_MODES else "metadata"
    user_id, workspace_id = job.get("user_id"), job.get("workspace_id")
    user = get_user_model().objects.filter(pk=user_id).first() if isinstance(user_id, int) else None
    workspace = Workspace.objects.filter(pk=workspace_id).first() if isinstance(workspace_id, str) else None
    if user is None or workspace is None or not workspace.is_member(user):
        return fail("the workspace is gone or you are no longer a member")
    jobs.update(job_id, state="running", message="Connecting")

    def progress(message: str, done: int, total: int) -> None:
        jobs.update(job_id, message=message, done=done, total=total)

    try:
        in_cluster = context == jobs.IN_CLUSTER
        result = pull_objects(
            kubeconfig=None if in_cluster else jobs.configured_kubeconfig(),
            context=None if in_cluster else context,
            namespaces=list(job.get("namespaces") or []) or None,
            include_tls=secrets == "tls",
            include_secrets=secrets != "none",
            in_cluster=in_cluster,
            progress=progress,
        )
        jobs.update(job_id, message="Storing the snapshot")
        snap = store_pull(result, workspace=workspace, user=user, name=str(job.get("name") or ""))
        page_cache.bump_generation()  # trace pages list the workspace's snapshots (their re-run menu)
    except PullError as exc:
        return fail(str(exc))
    except TracerError as exc:
        return fail(f"cannot store the snapshot: {exc}")
    except SoftTimeLimitExceeded:
        return fail(f"the pull did not finish within {SOFT_TIME_LIMIT // 60} minutes")
    except Exception as exc:
        logger.exception("pull job %s failed", job_id)
        return fail(f"internal error: {type(exc).__name__}: {exc}")
    jobs.update(
        job_id,
        state="done",
        message=f"Stored {snap.object_count} objects",
        snapshot_id=str(snap.id),
        warnings=result.warnings,
        counts=result.counts,
    )
    return {"job": job_id, "state": "done", "snapshot": str(snap.id)}


@shared_task(
    name="tracer.kube.tasks.pull_snapshot",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    serializer="json",
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=SOFT_TIME_LIMIT + 60,
)
def pull_snapshot(pull_job_id: str) -> dict[str, Any]:
    try:
        return run_pull_job(pull_job_id)
    finally:
        close_old_connections()
