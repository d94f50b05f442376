"""Snapshots: list, upload, detail (objects by kind, filters, its Journeys), one object's YAML, diff of two
snapshots."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from tracer.compare import outcome_changes
from tracer.forms import ScenarioForm
from tracer.models import Snapshot, Trace
from tracer.object_page import NAME_CHARS, full_yaml, object_url, shorten, yaml_page
from tracer.presenters import diff_snapshots
from tracer.profile_edit import profiles_context
from tracer.route_status import route_status
from tracer.snapshot_routes import routes_view, url_suggestions
from tracer.translating import implementations
from tracer.uploads import store_upload

from .common import AuthedRequest, base_context, current_workspace, get_snapshot_for_user, require_write

OBJECTS_PER_PAGE = 100
JOURNEYS_SHOWN = 50


@login_required
@require_GET
def snapshot_list(request: AuthedRequest) -> HttpResponse:
    workspace = current_workspace(request)
    snapshots = Snapshot.objects.filter(workspace=workspace).select_related("created_by")
    page = Paginator(snapshots, 50).get_page(request.GET.get("page"))
    return render(request, "tracer/snapshot_list.html", base_context(request, page=page))


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: AuthedRequest) -> HttpResponse:
    ctx = base_context(request, errors=[], name="", pasted="", namespace="")
    require_write(request, ctx["workspace"])
    if request.method == "POST":
        name = request.POST.get("name", "")
        pasted = request.POST.get("pasted", "")
        namespace = request.POST.get("namespace", "")
        outcome = store_upload(
            workspace=ctx["workspace"],
            user=request.user,
            files=request.FILES.getlist("files"),
            pasted=pasted,
            name=name,
            namespace=namespace,
        )
        if outcome.snapshot is not None:
            messages.success(
                request, f"Snapshot “{outcome.snapshot.name}” stored: {outcome.snapshot.object_count} objects."
            )
            if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                # upload.js navigates itself; following a redirect would consume the message above.
                return JsonResponse({"url": outcome.snapshot.get_absolute_url()}, status=201)
            return redirect(outcome.snapshot)
        ctx.update(errors=outcome.errors, name=name, pasted=pasted, namespace=namespace)
        return render(request, "tracer/upload.html", ctx, status=400)
    return render(request, "tracer/upload.html", ctx)


def detail_context(request: AuthedRequest, snapshot: Snapshot, *, partial: bool = False) -> dict[str, Any]:
    """The snapshot page's context (only the object list's part when ``partial``)."""
    kind = request.GET.get("kind", "")
    namespace = request.GET.get("namespace", "")
    q = request.GET.get("q", "").strip()
    objects = snapshot.k8s_objects.defer("body").order_by("kind", "namespace", "name")
    if kind:
        objects = objects.filter(kind=kind)
    if namespace:
        objects = objects.filter(namespace=namespace)
    if q:
        objects = objects.filter(Q(name__icontains=q) | Q(file__icontains=q))
    page = Paginator(objects, OBJECTS_PER_PAGE).get_page(request.GET.get("page"))
    ctx = base_context(
        request,
        snapshot=snapshot,
        page=page,
        kind=kind,
        namespace=namespace,
        q=q,
        namespaces=list(snapshot.k8s_objects.order_by("namespace").values_list("namespace", flat=True).distinct()),
    )
    if partial:
        return ctx
    ctx.update(
        **profiles_context(snapshot),
        form=ScenarioForm(initial=ScenarioForm.initial_from_query(request.GET), url_suggestions=url_suggestions(snapshot)),
        routes=routes_view(snapshot, request.GET),
        route_status=route_status(snapshot) if snapshot.source != Snapshot.Source.IMPORT else [],
        traces=Trace.objects.filter(snapshot=snapshot).select_related("scenario")[:20],
        implementations=implementations(),
        others=Snapshot.objects.filter(workspace=snapshot.workspace).exclude(pk=snapshot.pk)[:50],
        journeys=[
            {"name": name, "spec": body.get("spec") if isinstance(body.get("spec"), dict) else {}}
            for name, body in snapshot.k8s_objects.filter(kind="Journey").order_by("name").values_list("name", "body")[
                :JOURNEYS_SHOWN
            ]
        ],
    )
    return ctx


@login_required
@require_GET
@vary_on_headers("HX-Request")
def snapshot_detail(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    ctx = detail_context(request, snapshot, partial=bool(request.htmx))
    if request.htmx:
        return render(request, "tracer/snapshot_detail.html#objects", ctx)
    return render(request, "tracer/snapshot_detail.html", ctx)


@login_required
@require_GET
def snapshot_object(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    snapshot = get_snapshot_for_user(request, snapshot_id)
    by_id = request.GET.get("id", "")
    if by_id:  # a key too long for a URL (tracer.object_page.object_url)
        obj = get_object_or_404(snapshot.k8s_objects, pk=int(by_id) if by_id.isdigit() else -1)
    else:
        obj = get_object_or_404(
            snapshot.k8s_objects,
            group=request.GET.get("group", ""),
            kind=request.GET.get("kind", ""),
            namespace=request.GET.get("namespace", ""),
            name=request.GET.get("name", ""),
        )
    if request.GET.get("download"):
        resp = HttpResponse(full_yaml(obj.body), content_type="text/yaml; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="{obj.kind.lower()[:40] or "object"}-{obj.pk}.yaml"'
        return resp
    start = request.GET.get("from", "1")
    page = yaml_page(obj.body, int(start) if start.isdigit() else 1)
    here = object_url(obj)
    ctx = base_context(
        request, snapshot=snapshot, obj=obj, lines=page.lines, page=page, name_short=shorten(obj.name),
        name_cut=len(obj.name) > NAME_CHARS, here=here, sep="&" if "?" in here else "?",
    )
    return render(request, "tracer/snapshot_object.html", ctx)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def snapshot_diff(request: AuthedRequest, snapshot_id: UUID) -> HttpResponse:
    """The objects two snapshots differ in; with ``outcomes=1`` also the saved scenarios whose outcome differs
    (run here, within a budget; htmx asks for that section on its own once the page is shown)."""
    snapshot = get_snapshot_for_user(request, snapshot_id)
    others = Snapshot.objects.filter(workspace=snapshot.workspace).exclude(pk=snapshot.pk)
    other_id = request.GET.get("other", "")
    other = None
    diff = None
    outcomes = None
    if other_id:
        try:
            other = others.filter(pk=UUID(other_id)).first()
        except ValueError:
            other = None
        if other is None:
            return render(
                request,
                "tracer/snapshot_diff.html",
                base_context(
                    request, snapshot=snapshot, others=others[:100], error="Choose a snapshot of this workspace."
                ),
                status=404,
            )
        if request.GET.get("outcomes"):
            outcomes = outcome_changes(snapshot, other)
            if request.htmx:
                ctx = base_context(request, snapshot=snapshot, other=other, outcomes=outcomes,
                                   can_write=snapshot.workspace.can_write(request.user))
                return render(request, "tracer/snapshot_diff.html#outcomes", ctx)
        diff = diff_snapshots(snapshot, other)
    return render(
        request,
        "tracer/snapshot_diff.html",
        base_context(request, snapshot=snapshot, other=other, others=others[:100], diff=diff, outcomes=outcomes,
                     can_write=snapshot.workspace.can_write(request.user)),
    )
