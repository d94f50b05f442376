"""Share links: /t/<token> shows a read-only trace pinned to the snapshot it ran on.

A revoked, unknown or foreign link answers 404 (never 403). A workspace-only link sends anonymous
visitors to the login page and answers 404 to signed-in outsiders.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tracer import page_cache
from tracer.models import ShareLink
from tracer.presenters import HopUrl, hop_context, trace_context

from .traces import hop_panel_response, trace_json_response, trace_md_response, trace_svg_response


def _get_link(request: HttpRequest, token: str) -> ShareLink | HttpResponse:
    link = (
        ShareLink.objects.select_related("trace__scenario", "trace__snapshot", "trace__workspace")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if link is None:
        raise Http404("no such link")
    if link.visibility == ShareLink.Visibility.WORKSPACE and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not link.can_view(request.user):
        raise Http404("no such link")
    return link


def _hop_url(token: str) -> HopUrl:
    return lambda r, i: reverse("tracer-share-hop", args=[token, r, i])


@require_GET
def share_view(request: HttpRequest, token: str) -> HttpResponse:
    link = _get_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    trace = link.trace
    ctx: dict[str, Any] = {"link": link, "trace": trace, "readonly": True, "selected_hop": None}
    if trace.state == trace.State.DONE:
        r, _, i = request.GET.get("hop", "").partition(".")
        if r.isdigit() and i.isdigit():
            ctx["selected_hop"] = hop_context(trace, int(r), int(i))
        # The link was checked above (revoked links 404 before the cache is asked); one entry per link, whose
        # token the result's links carry (tracer/page_cache.py).
        ctx["result_html"] = page_cache.result_html(
            request,
            trace,
            f"share:{token}",
            link.get_absolute_url(),
            lambda title_url: {**ctx, **trace_context(trace, _hop_url(token), title_url=title_url)},
            cache=ctx["selected_hop"] is None,
        )
    resp = render(request, "tracer/share.html", ctx)
    resp["X-Robots-Tag"] = "noindex"
    return resp


@require_GET
def share_hop(request: HttpRequest, token: str, r: int, i: int) -> HttpResponse:
    link = _get_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    return hop_panel_response(request, link.trace, r, i, readonly=True)


@require_GET
def share_download(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    link = _get_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    name = f"trace-{link.trace.id}"
    if fmt == "json":
        return trace_json_response(link.trace, name)
    if fmt == "svg":
        return trace_svg_response(request, link.trace, _hop_url(token), name)
    return trace_md_response(request, link.trace, request.build_absolute_uri(link.get_absolute_url()))
