"""P11: the response on its way out, and the finished trace (ingress-nginx#6.7, #9.6, #8.8, #14.4).

custom-http-errors may replace the status with the error backend's answer; CORS and HSTS headers
are added, then the snippets' response headers (ingress-nginx#11.5); the controller hop is completed and
followed by the auth hop and the Service, Endpoints and Pod hops of the upstream that answered. A
``return 444`` of a snippet leaves no HTTP status: nginx closed the connection (ingress-nginx#11.7).
"""

from __future__ import annotations

from ....profiles import merge_headers, profile_pod_hop
from ....result import RequestTrace
from ....services import backend_hops
from ..backends import INTERNAL_DEFAULT
from ..misunderstandings import not_found_vs_unavailable
from ..policies import cors_response_headers, hsts_header
from .snippet_stage import describe as describe_snippets
from .snippet_stage import response_headers as snippet_response_headers
from .state import RouteState

MAX_NEAR_MISSES = 8


def finish(s: RouteState, status: int) -> RequestTrace:
    """P11 on the answer of the first stage that answered, then the complete trace."""
    ctx = s.ctx
    ann = s.ann
    answer = s.answer
    intercepted = False
    # P11: custom-http-errors replace the response with the error backend's (#6.7).
    if (status >= 400 and s.loc is not None and not (s.closed or s.own_body)
            and ctx.backends.intercepts(status, ann, generated=s.generated)):
        intercepted = True
        error_ref = ctx.backends.error_backend(ann)
        original = status
        if error_ref is not None:
            status = 200
            where = f"{error_ref} (its own status; 200 without an app profile)"
        else:
            status = 404
            where = f"the built-in default backend {INTERNAL_DEFAULT}, which answers 404"
        s.details["custom_http_errors"] = (
            f"{original} is in custom-http-errors: re-served by {where} with X-Code: {original}"
        )
        s.hop.summary += f"; custom-http-errors: {original} replaced by {status}"
        s.rules.append("ingress-nginx#6.7")
        s.trace.upstream = None if error_ref is None else {
            "host": s.req.host_header, "path": "/",
            "headers": s.error_headers(original, s.backend.ref if s.backend else None, s.loc),
        }
    if answer is not None and not answer.refused and not intercepted:
        # The app's own headers (after proxy_redirect / proxy_cookie_*), and its page for the journey runner.
        merge_headers(s.headers, answer.headers)
        s.trace.page = answer.page()
    if s.loc is not None and ann is not None and ann.cors.enabled and status < 500:  # no CORS headers when off
        for k, v in cors_response_headers(ann, s.req).items():
            s.headers.setdefault(k.lower(), v)
    if s.req.scheme == "https":
        hsts = hsts_header(s.config)
        if hsts is not None:
            s.headers["strict-transport-security"] = hsts
            s.rules.append("ingress-nginx#8.8")
    if not s.closed:
        snippet_response_headers(s, status, intercepted=intercepted)
    describe_snippets(s)
    if status in (404, 503) and s.cause:
        refs = [s.hop.objects[0]] if s.hop.objects else []
        diag = not_found_vs_unavailable(status, s.cause, refs)
        if diag is not None:
            s.trace.add_diagnosis(diag)
    # The controller hop's final fields, then the hops behind it.
    trace = s.trace
    if status >= 300:  # the upgrade was refused or redirected: no socket opened, none to time out (#14.5)
        trace.diagnoses = [d for d in trace.diagnoses if d.code != "WEBSOCKET_IDLE_TIMEOUT"]
    trace.status = status
    trace.response_headers = {**s.headers}
    hop = s.hop
    hop.status = status
    if s.closed:  # return 444: no response at all
        trace.status = hop.status = None
        trace.error = "reset"
        trace.response_headers = {}
    server = s.server
    if not hop.decision and server is not None:
        name = "_ (catch-all)" if server.is_catch_all else server.hostname
        hop.decision = f"server {name}"
    near = s.near
    hop.near_misses = [*dict.fromkeys(near)][:MAX_NEAR_MISSES] if near else []
    hop.changes = s.changes
    hop.details = s.details
    hop.rules = [*dict.fromkeys(s.rules)]
    hops = [hop, *s.auth_hops] if s.auth_hops else [hop]
    backend = s.backend
    outcome = hop.outcome
    if backend is not None and s.loc is not None and (
        outcome == "forward" or outcome == "refused" or status == 503 or not s.generated
    ):
        pick = backend.pick
        picked = pick.endpoint if outcome != "refused" else None
        hops += backend_hops(pick.resolution, picked, via=pick.via, status=status)
        if answer is not None and hops[-1].component == "pod":
            profile_pod_hop(hops[-1], answer)
    trace.hops = hops
    return trace
