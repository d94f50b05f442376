"""P5-P6: the location for the URI, then what the location answers in nginx's rewrite phase (ingress-nginx#0).

P5: location matching (#3.5), the catch-all's own /healthz and /nginx_status (#2.4), the controller
hop's description of the location, the body size limit (#8.6) and the trailing-slash 301 (#3.6).
P6, in configuration order: a denied location (#11.2), the CORS preflight (#9.6), a ``return`` of the
location's snippets (ingress-nginx#11.7), permanent/temporal redirects (#5.2) and rewrite-target (#4.1).
"""

from __future__ import annotations

from ..annotations import IngressAnnotations
from ..locations import match_location, near_misses
from ..misunderstandings import prefix_trailing_slash_301, regex_order_by_length, rewrite_without_capture_group
from ..model import Location, Server
from ..policies import check_body_size, check_cors_preflight
from ..redirects import Redirect, annotation_redirect, trailing_slash
from ..rewrite import apply_rewrite
from .context import LocationFacts
from .snippet_stage import location_return
from .state import RouteState


def choose_location(s: RouteState) -> int | None:
    """P5; sets ``s.loc``, ``s.ann`` and ``s.facts`` when a location is chosen. A status when P5 answers."""
    server = s.server
    assert server is not None
    req = s.req
    uri = s.uri
    match = match_location(server, uri)
    s.rules.append("ingress-nginx#3.5")
    for problem in match.problems:
        s.regex_problem(problem)
    if match.kind == "healthz":
        s.hop.decision = "server _ (catch-all), location /healthz"
        return s.respond(200, "/healthz on the catch-all server answers 200 with an empty body", "ingress-nginx#2.4")
    if match.kind == "nginx-status":
        if req.client_ip in ("127.0.0.1", "::1"):
            return s.respond(200, "/nginx_status answers localhost with stub_status", "ingress-nginx#2.4")
        return s.respond(403, "/nginx_status is only allowed from localhost", "ingress-nginx#2.4")
    loc = match.location
    if loc is None:
        s.cause = f"no location of server {server.hostname} matched {uri}"
        return s.respond(404, s.cause, "ingress-nginx#3.5")
    s.loc = loc
    ann = s.ann = loc.ann or s.ctx.blank
    s.facts = _describe_location(s, server, loc)
    s.near.extend(near_misses(server, uri, loc, candidates=s.ctx.near_miss_candidates(server, loc)))
    body = check_body_size(ann, s.config, req)
    if body is not None and body.status is not None:
        return s.respond_with(body)
    if match.kind == "slash-redirect":
        s.trace.add_diagnosis(prefix_trailing_slash_301(loc, uri))
        return s.redirect(trailing_slash(loc, req, ann, s.config))
    return None


def _describe_location(s: RouteState, server: Server, loc: Location) -> LocationFacts:
    """The controller hop's decision, objects and location diagnoses (memoised facts plus per-request checks)."""
    facts = s.ctx.location_facts(server, loc)
    how = s.server_how
    via = f" (wildcard for {s.host})" if how == "wildcard" else " (server-alias)" if how == "alias" else ""
    s.hop.decision = f"server {facts.name}{via}, {facts.directive}{facts.mode_suffix}"
    s.details["location"] = facts.directive
    if facts.location_note is not None:
        s.details["location_note"] = facts.location_note
    s.rules.extend(facts.rules)
    trace = s.trace
    for diag in facts.diagnoses_before:
        trace.add_diagnosis(diag)
    if server.regex_mode:
        order = regex_order_by_length(server, loc, s.uri)
        if order is not None:
            trace.add_diagnosis(order)
    for diag in facts.diagnoses_after:
        trace.add_diagnosis(diag)
    if facts.ingress_ref is not None:
        s.hop.objects.insert(0, dict(facts.ingress_ref))
        if facts.class_ref is not None:
            s.hop.objects.append(dict(facts.class_ref))
        if facts.annotations is not None:
            s.details["annotations"] = dict(facts.annotations)
        if facts.route is not None:
            trace.route = dict(facts.route)
    return facts


def rewrite_phase(s: RouteState, loc: Location, ann: IngressAnnotations) -> int | None:
    """P6 in configuration order; sets the upstream path. A status when the location answers itself."""
    req = s.req
    if ann.denied:
        s.cause = f"the location is denied because of a broken annotation on {ann.name}: {ann.denied}"
        return s.respond(503, s.cause, "ingress-nginx#11.2")
    preflight = check_cors_preflight(ann, req)
    if preflight is not None and preflight.status is not None:
        return s.respond_with(preflight)
    status = location_return(s)  # the snippet is written before the redirect and rewrite directives
    if status is not None:
        return status
    redirect = annotation_redirect(loc.ann, req, s.config)
    if redirect is not None:
        return s.redirect(redirect)
    s.upstream_path = req.request_uri
    rewrite = apply_rewrite(loc, s.uri, req, s.scheme)
    if rewrite is None:
        return None
    if rewrite.problem is not None:
        s.regex_problem(rewrite.problem)
    if rewrite.redirect is not None:
        return s.redirect(Redirect(302, rewrite.redirect, f"rewrite-target {ann.rewrite.target} is an absolute URL, "
                                   "so nginx's rewrite answers with a redirect", "ingress-nginx#4.1"))
    if not rewrite.note:
        s.rewritten = True
        s.rewritten_uri = rewrite.uri
        s.upstream_path = rewrite.upstream_path
        s.changes["path"] = {"before": req.request_uri, "after": rewrite.upstream_path}
        s.rules.append("ingress-nginx#4.1")
        diag = rewrite_without_capture_group(loc, s.uri, rewrite.uri)
        if diag is not None:
            s.trace.add_diagnosis(diag)
    return None
