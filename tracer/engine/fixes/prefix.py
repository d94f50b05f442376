"""An app that lives at / behind a path prefix: the prefix not stripped, its redirects and assets escaping it.

These are the first three failures of report 000 (OpenVSCode behind /vscode). Each finding is checked
against what the app's profile would answer, so a fix is offered only where it changes the outcome.
Rules: ingress-nginx#4.1 (rewrite-target replaces the whole URI), #8.3 (proxy-redirect-from/to),
#3.5 (location matching), browser#B1 (a redirect's Location is resolved against the request URL).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..result import Diagnosis, RequestTrace
from .context import FixContext, add, answered_by_controller, failed, path_of, query_of
from .ingress_edit import RoutedPath, annotations_patch, merge_ingress, new_ingress_beside


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


def prefix_not_stripped(ctx: FixContext, rt: RequestTrace) -> None:
    """The app answered 404 to the path with the Ingress prefix on it, and would answer the stripped path."""
    at = ctx.routed(rt)
    if rt.status != 404 or at is None or at.strips_prefix or not at.prefix or rt.controller != "ingress-nginx":
        return
    upstream = str((rt.upstream or {}).get("path") or "")
    if not upstream.startswith(at.prefix) or ctx.app_hop_details(rt) is None:
        return
    rest = upstream[len(at.prefix):]
    stripped = rest if rest.startswith("/") else "/" + rest
    status = ctx.app_would_answer(rt, stripped)
    if status is None or status == 404:
        return
    regex = f"{at.prefix}(/|$)(.*)"
    entry = {**at.entry, "path": regex, "pathType": "ImplementationSpecific"}
    body = {**annotations_patch({"use-regex": "true", "rewrite-target": "/$2"}), "spec": {"rules": at.rules_with(entry)}}
    summary = f'{at.label()}: path {at.path} -> {regex} with use-regex "true" and rewrite-target /$2'
    add(rt, Diagnosis(
        "PREFIX_NOT_STRIPPED", "error",
        f"The app behind {at.label()} got {upstream.partition('?')[0]} with the prefix {at.prefix} still on it and "
        f"answered 404; it serves {stripped.partition('?')[0]} (its profile answers {status}). ingress-nginx passes "
        "the path unchanged unless rewrite-target says otherwise.",
        f"Strip the prefix: match {regex} and rewrite to /$2, so {at.prefix}/x reaches the app as /x.",
        "ingress-nginx#4.1", [at.ref()], [merge_ingress(at, body, summary).to_dict()],
    ))


def _entry_of(ctx: FixContext, rt: RequestTrace) -> RoutedPath | None:
    at = ctx.routed(rt)
    return at if at is not None and at.strips_prefix and at.prefix else None


def redirect_escapes_prefix(ctx: FixContext, rt: RequestTrace) -> None:
    """The app behind a stripped prefix redirected to a path outside it, and the browser's next request failed."""
    if (rt.step or {}).get("cause") != "redirect" or not failed(rt):
        return
    parent = ctx.parent(rt)
    at = _entry_of(ctx, parent) if parent is not None else None
    if parent is None or at is None or ctx.app_hop_details(parent) is None or _under(path_of(rt), at.prefix):
        return
    location = str(parent.response_headers.get("location") or "")
    if location.startswith("/") and not location.startswith("//"):
        src, dst = "/", at.prefix + "/"
    else:
        parts = urlsplit(location)
        if not parts.scheme or not parts.netloc:
            return
        src = f"{parts.scheme}://{parts.netloc}/"
        dst = f"{parts.scheme}://{parts.netloc}{at.prefix}/"
    body = annotations_patch({"proxy-redirect-from": src, "proxy-redirect-to": dst})
    summary = f"{at.label()}: proxy-redirect-from {src}, proxy-redirect-to {dst}"
    add(rt, Diagnosis(
        "REDIRECT_ESCAPES_PREFIX", "error",
        f"The app behind {at.label()} redirected to {location}, outside the prefix {at.prefix} it is served under "
        f"(it does not know about the prefix), so the browser asked for {path_of(rt)}, which this request shows "
        "failing. ingress-nginx passes the Location header unchanged by default.",
        f"Map the app's redirects back under the prefix: proxy-redirect-from {src} and proxy-redirect-to {dst} "
        f"(a Location starting with {src} is rewritten to start with {dst}).",
        "ingress-nginx#8.3", [at.ref()], [merge_ingress(at, body, summary).to_dict()],
    ))


def first_segment(path: str) -> str:
    seg = path.lstrip("/").split("/", 1)[0]
    return "/" + seg if seg else "/"


def assets_outside_prefix(ctx: FixContext, rt: RequestTrace) -> None:
    """A page served under a prefix loads assets from another path, which no rule routes to the app."""
    if (rt.step or {}).get("cause") not in ("asset", "websocket") or not answered_by_controller(rt):
        return
    page = ctx.page_of(rt)
    at = _entry_of(ctx, page) if page is not None else None
    if page is None or at is None or _under(path_of(rt), at.prefix):
        return
    # Only the first such request of the page gets the diagnosis: one new Ingress covers them all.
    siblings = [r for r in ctx.requests if ctx.page_of(r) is page and r is not rt and r.step and rt.step
                and r.step["index"] < rt.step["index"] and answered_by_controller(r)]
    if siblings:
        return
    segment = first_segment(path_of(rt))
    name = f"{at.obj.name}-assets"
    summary = f"new Ingress {at.obj.namespace}/{name}: {segment} (Prefix) -> the same backend, path unchanged"
    patch = new_ingress_beside(at, name, segment, "Prefix", summary)
    query = query_of(rt)
    shown = path_of(rt) + ("?" + query if query else "")
    add(rt, Diagnosis(
        "ASSETS_OUTSIDE_PREFIX", "error",
        f"The page served under {at.prefix} loads {shown} from outside that prefix (root-relative URLs in the app's "
        f"page); no rule routes {segment} to the app, so the controller answers {rt.status} itself.",
        f"Route the app's own asset path to it unchanged: a second Ingress for {segment} (Prefix) to the same "
        "Service, without rewrite-target (rewrite-target applies to every path of an Ingress).",
        "ingress-nginx#3.5", [at.ref()], [patch.to_dict()],
    ))
