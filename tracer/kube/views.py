"""Pull page: choose a configured context, enqueue the task, follow its progress (htmx polling)."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tracer.queue import PUBLISH_ERRORS
from tracer.views.common import AuthedRequest, base_context, current_workspace, require_write

from . import jobs
from .forms import PullForm

logger = logging.getLogger(__name__)
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def _job_for_user(request: AuthedRequest, job_id: str) -> dict[str, Any]:
    """The job record, or 404 when it is unknown, expired or someone else's (never 403)."""
    job = jobs.get(job_id) if _JOB_ID.match(job_id) else None
    if job is None or job.get("user_id") != request.user.pk:
        raise Http404("no such pull")
    return job


def _progress_context(job_id: str, job: dict[str, Any]) -> dict[str, Any]:
    total = int(job.get("total") or 0)
    done = int(job.get("done") or 0)
    return {
        "job_id": job_id,
        "job": job,
        "percent": 100 if job.get("state") == "done" else (done * 100 // total if total else 0),
        "finished": job.get("state") in jobs.TERMINAL,
    }


@login_required
@require_http_methods(["GET", "POST"])
def pull_form(request: AuthedRequest) -> HttpResponse:
    require_write(request, current_workspace(request))
    form = PullForm(request.POST or None)
    ctx = base_context(request, form=form, contexts=jobs.configured_contexts(), publish_error="")
    if request.method == "POST" and form.is_valid():
        from .tasks import pull_snapshot

        job_id = jobs.create(
            user_id=request.user.pk,
            workspace_id=str(current_workspace(request).pk),
            context=form.cleaned_data["context"],
            namespaces=form.cleaned_data["namespaces"],
            secrets=form.cleaned_data["secrets"],
            name=form.cleaned_data["name"],
        )
        try:
            pull_snapshot.apply_async(args=(job_id,))
        except PUBLISH_ERRORS as exc:  # broker down: say so on the form instead of a 500
            logger.warning("could not publish pull job %s: %s", job_id, exc)
            jobs.update(job_id, state="failed", message="the task queue is unavailable; try again shortly")
            ctx["publish_error"] = "The task queue is unavailable; try again shortly."
            return render(request, "tracer/kube/pull_form.html", ctx, status=503)
        return redirect("tracer-kube-pull-job", job_id=job_id)
    return render(request, "tracer/kube/pull_form.html", ctx, status=400 if form.is_bound else 200)


@login_required
@require_GET
def pull_job(request: AuthedRequest, job_id: str) -> HttpResponse:
    job = _job_for_user(request, job_id)
    return render(request, "tracer/kube/pull_job.html", base_context(request, **_progress_context(job_id, job)))


@login_required
@require_GET
def pull_progress(request: AuthedRequest, job_id: str) -> HttpResponse:
    job = _job_for_user(request, job_id)
    return render(request, "tracer/kube/_pull_progress.html", _progress_context(job_id, job))
