"""What each hop did with a request (its ``verdict``) and which hop decided the answer (``decided_by``).

A hop's ``status`` is what it passes back towards the client, so on a 503 every hop in front of the controller
carries 503 too; the verdict says which of them produced it. It is computed once the hops of a request are
final (the Engine after routing, the journey runner after it changed a request), from the hops alone:

- ``forwarded``: the hop passed the request on (and the answer back);
- ``answered``: the hop produced the answer itself (ingress-nginx's own 404 or 503, the pod's answer);
- ``redirected``: the hop answered with a redirect (RFC 9110 section 15.4);
- ``dropped``: the connection ended here below HTTP (timeout, refused, reset, TLS error, a closed WebSocket);
- ``assumed``: what the hop answered is assumed, not known (a pod without an app profile, an assumed auth
  service, a controller that is not simulated).
"""

from __future__ import annotations

from .result import Hop, RequestTrace
from .services.hops import split_app_assumption

FORWARDED, ANSWERED, REDIRECTED, DROPPED, ASSUMED = "forwarded", "answered", "redirected", "dropped", "assumed"
VERDICTS = (FORWARDED, ANSWERED, REDIRECTED, DROPPED, ASSUMED)
# Outcomes below HTTP: the connection ends at this hop.
L4_OUTCOMES = frozenset({"timeout", "refused", "reset", "tls-error", "websocket-closed"})
# The redirection statuses that carry a Location to follow (RFC 9110 sections 15.4.2-15.4.9); 300 and 304 are not.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def _answer_assumed(hop: Hop) -> bool:
    """The hop's answer is an assumption: an assumed hop, or a pod whose app no profile describes."""
    if hop.confidence == "assumed":
        return True
    return hop.component == "pod" and split_app_assumption(hop.summary)[1] != ""


def hop_verdict(hop: Hop, dropped_further_in: bool) -> str:
    """The verdict of one hop; ``dropped_further_in``: a hop deeper in the path ended the connection below HTTP.

    A hop whose connection to the next one failed reports that failure too (ingress-nginx's 502 when kube-proxy
    refuses, dataplane#R21): the drop is the deeper hop's, this one answered with its own status.
    """
    outcome = hop.outcome
    if outcome in L4_OUTCOMES:
        if not dropped_further_in:
            return DROPPED
        return ANSWERED if hop.status is not None else FORWARDED
    if outcome == "unknown":
        return ASSUMED
    if outcome == "forward":
        return FORWARDED
    if _answer_assumed(hop):
        return ASSUMED
    if outcome == "redirect" or hop.status in REDIRECT_STATUSES:
        return REDIRECTED
    return ANSWERED


def deciding_hop(hops: list[Hop]) -> int | None:
    """The index of the hop whose decision determined the answer, from the hops' verdicts.

    The first hop that dropped the connection, when one did: what the client gets follows from it, whatever
    answered behind it (a WebSocket a load balancer cuts after the pod accepted it). Otherwise the first hop, from
    the client, that did not forward: the one that produced the answer. Hops behind it are the lookups it made
    (ingress-nginx reads a Service's endpoints itself, dataplane#R31) or the auth service it asked. When every
    hop forwarded, the last one generated the answer.
    """
    if not hops:
        return None
    verdicts = [h.verdict for h in hops]
    if DROPPED in verdicts:
        return verdicts.index(DROPPED)
    return next((i for i, v in enumerate(verdicts) if v != FORWARDED), len(hops) - 1)


def assign_verdicts(rt: RequestTrace) -> RequestTrace:
    """Set every hop's ``verdict`` and the request's ``decided_by``; again after a change, with the same result."""
    dropped_further_in = False
    for hop in reversed(rt.hops):
        hop.verdict = hop_verdict(hop, dropped_further_in)
        dropped_further_in = dropped_further_in or hop.outcome in L4_OUTCOMES
    rt.decided_by = deciding_hop(rt.hops)
    return rt
