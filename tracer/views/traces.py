"""Traces: submit a scenario, the trace page with its polling status partial, hop details, downloads, re-run."""

from __future__ import annotations

import json
import time
from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from tracer import page_cache
from tracer.forms import ScenarioForm, ShareForm
from tracer.models import ShareLink, Snapshot, Trace
from tracer.presenters import HopUrl, hop_context, trace_context
from tracer.queue import submit_trace
from tracer.request_spec import SpecError, clean_journey
from tracer.trace_filters import STATUS_CLASSES, TraceFilters, hosts_of

from .common import (
    AuthedRequest,
    base_context,
    current_workspace,
    get_snapshot_for_user,
    get_trace_for_user,
    require_write,
)

BROKER_DOWN = "Queued; the worker will run it when the broker is back."


def wait_for_finish(trace: Trace, budget_s: float, step_s: float = 0.025) -> None:
    """Wait up to ``budget_s`` for a trace queued less than 30 s ago to finish, checking its state every
    ``step_s``; reload it when it did. A long-queued trace (a broker outage, a busy worker) is not waited for."""
    if trace.is_finished or budget_s <= 0 or (timezone.now() - trace.queued_at).total_seconds() > 30:
        return
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        time.sleep(step_s)
        state = Trace.objects.filter(pk=trace.pk).values_list("state", flat=True).first()
        if state in (Trace.State.DONE, Trace.State.FAILED):
            trace.refresh_from_db()
            return


def _hop_url(trace: Trace) -> HopUrl:
    return lambda r, i: reverse("tracer-trace-hop", args=[trace.id, r, i])


def _announce(request: AuthedRequest, published: bool | None) -> None:
    """Nothing to flash: the page's status partial says queued, running or broker down, and is replaced by the
    result when it is done (a flash message would stay above the finished result)."""


@login_required
@require_http_methods(["GET", "POST"])
def trace_create(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    if request.method == "GET":  # reloading a form-error page, or a bookmarked URL: the form lives there
        return redirect(snapshot)
    require_write(request, snapshot.workspace)
    if request.POST.get("journey_document"):
        return _trace_journey_document(request, snapshot, request.POST["journey_document"])
    form = ScenarioForm(request.POST)
    if not form.is_valid():
        ctx = base_context(request, snapshot=snapshot, form=form)
        return render(request, "tracer/scenario_form.html", ctx, status=400)
    trace, published = submit_trace(
        snapshot=snapshot, request=form.request_spec(), options=form.options(), user=request.user
    )
    _announce(request, published)
    return redirect(trace)


def _trace_journey_document(request: AuthedRequest, snapshot: Snapshot, name: str) -> HttpResponse:
    """Trace a Journey document of the snapshot, with the engine's default options."""
    doc = snapshot.k8s_objects.filter(kind="Journey", name=name).values_list("body", flat=True).first()
    if not isinstance(doc, dict):
        raise Http404("no such Journey in this snapshot")
    try:
        spec = clean_journey(doc.get("spec"))
    except SpecError as exc:  # the loader validated it at upload; an engine upgrade may refuse it now
        messages.error(request, f"Journey {name}: {exc.field}: {exc.message}")
        return redirect(snapshot)
    trace, published = submit_trace(snapshot=snapshot, request=spec, options={}, user=request.user)
    _announce(request, published)
    return redirect(trace)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def trace_list(request: AuthedRequest) -> HttpResponse:
    """The workspace's traces, filtered (tracer/trace_filters.py). An htmx request (the filter form, the pager,
    the poll) gets the rows partial, which polls while a row on its page is queued or running; the first
    answer with none pending stops the poll (286)."""
    workspace = current_workspace(request)
    filters = TraceFilters.from_query(request.GET)
    traces = filters.apply(Trace.objects.filter(workspace=workspace).select_related("scenario", "snapshot"))
    page = Paginator(traces, 50).get_page(request.GET.get("page"))
    pending = any(not t.is_finished for t in page.object_list)
    ctx = base_context(request, page=page, filters=filters, pending=pending)
    if request.htmx:
        html = render(request, "tracer/trace_list.html#rows", ctx)
        return html if pending else HttpResponseStopPolling(html.content)
    ctx.update(
        status_classes=STATUS_CLASSES,
        hosts=hosts_of(workspace),
        snapshots=Snapshot.objects.filter(workspace=workspace).only("id", "name")[:200],
    )
    return render(request, "tracer/trace_list.html", ctx)


def _detail_context(request: AuthedRequest, trace: Trace, selected_hop: dict[str, Any] | None = None,
                    whole_page: dict[str, Any] | None = None) -> dict[str, Any]:
    ctx = base_context(request, trace=trace, readonly=False, broker_down=BROKER_DOWN, selected_hop=selected_hop,
                       **(whole_page or {}))
    if trace.state == Trace.State.DONE:
        # The result partial comes from the page cache (tracer/page_cache.py): rendered once per finished trace and
        # write permission; the rest of the page renders per request. A selected hop is rendered into it: not cached.
        ctx["result_html"] = page_cache.result_html(
            request,
            trace,
            "write" if ctx["can_write"] else "read",
            trace.get_absolute_url(),
            lambda title_url: {**ctx, **trace_context(trace, _hop_url(trace), title_url=title_url)},
            cache=selected_hop is None,
            keep_csrf_slot=bool(whole_page),
        )
    return ctx


def trace_detail(request: HttpRequest, trace_id: UUID) -> HttpResponse:
    """A repeat view of a finished trace by the same browser session comes from the page cache as it is; anything
    else goes through the log-in check and the view (tracer/page_cache.py)."""
    cached = page_cache.session_page(request, trace_id)
    if cached is not None:
        return HttpResponse(cached)
    return _trace_detail(cast(AuthedRequest, request), trace_id)  # login_required checks it


@login_required
@require_GET
def _trace_detail(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    # A finished trace's whole page from the cache, after the permission check; the lean query leaves out the
    # stored result and the snapshot, which only a page being rendered needs.
    lean = (Trace.objects.filter(pk=trace_id, workspace__memberships__user=request.user)
            .only("id", "state", "finished_at", "attempts", "name").first())
    cached = page_cache.cached_page(request, lean) if lean is not None else None
    if cached is not None:
        return HttpResponse(cached)
    trace = get_trace_for_user(request, trace_id)
    wait_for_finish(trace, settings.TRACER_PAGE_WAIT_SECONDS)
    selected_hop = None
    r, _, i = request.GET.get("hop", "").partition(".")
    if trace.state == Trace.State.DONE and r.isdigit() and i.isdigit():
        selected_hop = hop_context(trace, int(r), int(i))
    whole_page = page_cache.page_context(request, trace)
    ctx = _detail_context(request, trace, selected_hop, whole_page)
    ctx.update(
        # Only what the re-run menu shows: a snapshot's JSON columns (file lists, counts) can be large.
        snapshots=Snapshot.objects.filter(workspace=trace.workspace)
        .exclude(pk=trace.snapshot_id)
        .only("id", "name", "created_at")[:100],
        share_links=trace.share_links.filter(revoked_at__isnull=True),
        share_form=ShareForm(),
    )
    if whole_page:
        return HttpResponse(page_cache.store_page(request, trace, render_to_string("tracer/trace_detail.html", ctx,
                                                                                    request)))
    return render(request, "tracer/trace_detail.html", ctx)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def trace_status(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    """The polling partial: keeps polling while queued/running; the final one stops the poll (286).

    A young trace is waited for here a little (a short long-poll), so its result shows within a few tens of
    milliseconds of the worker storing it instead of up to a poll interval later."""
    trace = get_trace_for_user(request, trace_id)
    wait_for_finish(trace, settings.TRACER_STATUS_WAIT_SECONDS)
    html = render_to_string("tracer/trace_detail.html#status", _detail_context(request, trace), request=request)
    if trace.is_finished:
        return HttpResponseStopPolling(html)
    return HttpResponse(html)


@login_required
@require_GET
def trace_hop(request: AuthedRequest, trace_id: UUID, r: int, i: int) -> HttpResponse:
    return hop_panel_response(request, get_trace_for_user(request, trace_id), r, i, readonly=False)


def hop_panel_response(request: HttpRequest, trace: Trace, r: int, i: int, *, readonly: bool) -> HttpResponse:
    """Hop ``i`` of request ``r`` as its panel partial, from the page cache (one entry per page kind and hop);
    the caller has checked access (the workspace, or a share link)."""

    def panel() -> str | None:
        hop = hop_context(trace, r, i)
        ctx = {"h": hop, "snapshot": trace.snapshot, "readonly": readonly}
        return None if hop is None else render_to_string("tracer/trace_hop.html", ctx, request)

    html = page_cache.hop_html(trace, f"{'share' if readonly else 'own'}:{r}.{i}", panel)
    if html is None:
        raise Http404("no such hop")
    return HttpResponse(html)


def trace_json_response(trace: Trace, filename: str) -> HttpResponse:
    if trace.state != Trace.State.DONE:
        raise Http404("the trace has no result yet")
    resp = HttpResponse(
        json.dumps(trace.result, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    resp["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return resp


def trace_svg_response(request: HttpRequest, trace: Trace, hop_url: HopUrl, filename: str) -> HttpResponse:
    if trace.state != Trace.State.DONE:
        raise Http404("the trace has no result yet")
    ctx = trace_context(trace, hop_url)
    if not ctx["requests"]:
        raise Http404("the trace has no request")
    n = request.GET.get("request", "0")
    if ctx["journey"] and "request" not in request.GET:
        # A journey's diagram is its sequence; ?request=N still gives that request's own flow diagram.
        # Its arrows link to the trace page: the trace's own, or the share page (/t/<token>.svg -> /t/<token>).
        own = request.path == reverse("tracer-trace-svg", args=[trace.id])
        page = trace.get_absolute_url() if own else request.path.removesuffix(".svg")
        seq = {"result": trace.result, "standalone": True, "page_url": request.build_absolute_uri(page)}
        body = render_to_string("tracer/_journey_sequence.svg", seq, request=request)
    else:
        req = ctx["requests"][int(n)] if n.isdigit() and int(n) < len(ctx["requests"]) else ctx["requests"][0]
        body = render_to_string("tracer/diagram.svg", {"d": req["diagram"], "standalone": True}, request=request)
    resp = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{filename}.svg"'
    return resp


def trace_md_response(request: HttpRequest, trace: Trace, url: str) -> HttpResponse:
    if trace.state != Trace.State.DONE:
        raise Http404("the trace has no result yet")
    ctx = trace_context(trace, lambda r, i: "", title_url=url)
    resp = HttpResponse(ctx["markdown"], content_type="text/markdown; charset=utf-8")
    # A download, like the JSON and SVG ones (a browser would otherwise show the raw text inline).
    resp["Content-Disposition"] = f'attachment; filename="trace-{trace.id}.md"'
    return resp


@login_required
@require_GET
def trace_json(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    trace = get_trace_for_user(request, trace_id)
    return trace_json_response(trace, f"trace-{trace.id}")


@login_required
@require_GET
def trace_svg(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    trace = get_trace_for_user(request, trace_id)
    return trace_svg_response(request, trace, _hop_url(trace), f"trace-{trace.id}")


@login_required
@require_GET
def trace_md(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    trace = get_trace_for_user(request, trace_id)
    return trace_md_response(request, trace, request.build_absolute_uri(trace.get_absolute_url()))


@login_required
@require_POST
def trace_rerun(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    """Run the same scenario on another snapshot (or the same one again) of the trace's workspace; the new trace
    records this one as its original, and on another snapshot the two open side by side."""
    trace = get_trace_for_user(request, trace_id)
    require_write(request, trace.workspace)
    target_id = request.POST.get("snapshot") or str(trace.snapshot_id)
    try:
        target = Snapshot.objects.filter(workspace=trace.workspace, pk=UUID(target_id)).first()
    except ValueError:
        target = None
    if target is None:
        raise Http404("no such snapshot in this workspace")
    new, published = submit_trace(
        snapshot=target,
        request=trace.scenario.request,
        options=trace.scenario.options,
        user=request.user,
        scenario=trace.scenario,
    )
    Trace.objects.filter(pk=new.pk).update(before=trace)
    _announce(request, published)
    if target.pk != trace.snapshot_id:
        return redirect(reverse("tracer-trace-compare", args=[new.id]))
    return redirect(new)


@login_required
@require_POST
def share_create(request: AuthedRequest, trace_id: UUID) -> HttpResponse:
    trace = get_trace_for_user(request, trace_id)
    require_write(request, trace.workspace)
    form = ShareForm(request.POST)
    visibility = form.cleaned_data["visibility"] if form.is_valid() else ShareLink.Visibility.WORKSPACE
    if visibility == ShareLink.Visibility.PUBLIC and not request.POST.get("understood"):
        return render(request, "tracer/share_confirm.html", base_context(request, trace=trace))
    if visibility == ShareLink.Visibility.WORKSPACE:
        link = trace.share_link(request.user)
    else:
        link = ShareLink.objects.create(trace=trace, visibility=visibility, created_by=request.user)
    messages.success(request, f"Share link ready ({link.get_visibility_display().lower()}).")
    return redirect(f"{trace.get_absolute_url()}#share")


@login_required
@require_POST
def share_revoke(request: AuthedRequest, token: str) -> HttpResponse:
    link = (
        ShareLink.objects.select_related("trace")
        .filter(token=token, revoked_at__isnull=True, trace__workspace__memberships__user=request.user)
        .first()
    )
    if link is None:
        raise Http404("no such share link")
    require_write(request, link.trace.workspace)
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    messages.success(request, "Share link revoked; it now answers 404.")
    return redirect(f"{link.trace.get_absolute_url()}#share")
