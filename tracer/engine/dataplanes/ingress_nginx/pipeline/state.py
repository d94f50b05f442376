"""One request's progress through the pipeline: what was chosen so far, the hop being built, and how a
stage answers (respond, redirect, or a policy outcome).

Every stage function reads and writes one ``RouteState``; the first stage that answers returns the
status, and response_stage.finish turns the state into the RequestTrace.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ....profiles import Answer
from ....regexes import RegexProblem
from ....request import Request
from ....result import Diagnosis, Hop, RequestTrace
from ....services import BackendResolution
from ..annotations import IngressAnnotations
from ..backends import Pick
from ..model import BackendRef, Location, Server
from ..policies import PolicyOutcome
from ..redirects import Redirect
from .context import LocationFacts, RouteContext


@dataclass(slots=True)
class ChosenBackend:
    """The upstream the request ends up proxied to."""

    ref: BackendRef
    pick: Pick
    canary: bool = False


class RouteState:
    """One request on its way through the stages: create one per request."""

    __slots__ = (
        "ann",
        "answer",
        "auth_hops",
        "backend",
        "cause",
        "changes",
        "closed",
        "config",
        "ctx",
        "details",
        "extra_upstream_headers",
        "facts",
        "generated",
        "hdrs",
        "headers",
        "hop",
        "host",
        "key",
        "loc",
        "near",
        "own_body",
        "req",
        "rewritten",
        "rewritten_uri",
        "rules",
        "scheme",
        "server",
        "server_how",
        "snippet_notes",
        "trace",
        "upstream_path",
        "uri",
    )

    def __init__(self, ctx: RouteContext, request: Request) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.req = request
        self.trace = RequestTrace(request=request.to_dict(), controller="ingress-nginx")
        self.rules: list[str] = []
        self.near: list[str] = []
        self.changes: dict[str, Any] = {}
        self.details: dict[str, Any] = {}
        # response_stage.finish sets status, near_misses and rules.
        self.hop = Hop(
            component="controller",
            name=ctx.name,
            summary="",
            objects=[*ctx.config_refs],
            changes=self.changes,
            details=self.details,
        )
        self.auth_hops: list[Hop] = []
        self.headers: dict[str, str] = {}  # response headers, lower-case names
        self.host = request.server_name  # computed once: the Host header without port, lower-case
        # lower-cased name -> value, first occurrence wins
        self.hdrs = {k.lower(): v for k, v in reversed(request.headers)} if request.headers else {}
        self.key = f"{request.method} {self.host}{request.request_uri} {request.client_ip}"
        self.scheme = request.scheme  # $pass_access_scheme once P2 has run
        self.uri = ""  # the normalised $uri
        self.server: Server | None = None
        self.server_how = ""
        self.loc: Location | None = None
        self.ann: IngressAnnotations | None = None
        self.facts: LocationFacts | None = None
        self.upstream_path = ""
        self.rewritten = False
        self.backend: ChosenBackend | None = None
        self.generated = True  # the status was produced by nginx itself (matters for custom-http-errors)
        self.cause = ""  # why a 404/503 happened, for NOT_FOUND_VS_UNAVAILABLE
        self.extra_upstream_headers: dict[str, str] = {}
        self.answer: Answer | None = None  # the pod's answer from its AppProfile (app_stage)
        # Snippet directives (snippet_stage): $uri after rewrite-target, what the hop says about the snippets,
        # a "return 444" (nginx closes the connection) and a "return code text" (a body of its own, so no
        # error_page replaces it).
        self.rewritten_uri: str | None = None
        self.snippet_notes: dict[str, list[str]] | None = None
        self.closed = False
        self.own_body = False

    # -- answers -------------------------------------------------------------------------------------

    def respond(self, status: int, summary: str, rule: str, *, outcome: str = "respond", generated: bool = True) -> int:
        self.hop.summary = summary
        self.hop.outcome = outcome
        self.generated = generated
        if rule not in self.rules:
            self.rules.append(rule)
        return status

    def redirect(self, redirect: Redirect) -> int:
        self.headers["location"] = redirect.location
        return self.respond(redirect.status, redirect.reason + f" -> {redirect.location}", redirect.rule,
                            outcome="redirect")

    def respond_with(self, outcome: PolicyOutcome, *, generated: bool = True) -> int:
        for k, v in outcome.headers.items():
            self.headers[k.lower()] = v
        for diag in outcome.diagnoses:
            self.trace.add_diagnosis(diag)
        rule = outcome.rules[0] if outcome.rules else "ingress-nginx#0"
        for r in outcome.rules[1:]:
            if r not in self.rules:
                self.rules.append(r)
        status = outcome.status or 200
        kind = "redirect" if 300 <= status < 400 else "respond"
        return self.respond(status, outcome.summary, rule, outcome=kind, generated=generated)

    # -- shared by several stages --------------------------------------------------------------------

    def regex_problem(self, problem: RegexProblem) -> None:
        self.trace.add_diagnosis(
            Diagnosis(
                problem.code,
                "error",
                problem.message
                + ("; nginx would refuse the configuration and keep the previous one" if problem.code == "REGEX_INVALID"
                   else ""),
                "Simplify the regex: avoid nested quantifiers such as (a+)+ and make alternatives exclusive.",
                "ingress-nginx#3.4",
                [],
            )
        )

    def request_id(self) -> str:
        return self.hdrs.get("x-request-id") or hashlib.sha256(self.key.encode()).hexdigest()[:32]

    def error_headers(self, code: int, ref: BackendRef | None, loc: Location | None) -> dict[str, str]:
        """The headers the error backend receives (custom-http-errors, default-backend; ingress-nginx#6.7)."""
        ing = loc.ingress if loc is not None else None
        return {
            "X-Code": str(code),
            "X-Format": self.hdrs.get("accept", ""),
            "X-Original-URI": self.req.request_uri,
            "X-Namespace": (ing.namespace or "") if ing else "",
            "X-Ingress-Name": ing.name if ing else "",
            "X-Service-Name": ref.service if ref else "",
            "X-Service-Port": str(ref.port) if ref else "",
            "X-Request-ID": self.request_id(),
        }


def backend_field(ref: BackendRef, res: BackendResolution) -> dict[str, Any]:
    """The trace's ``backend``: the Service and port the request is sent to."""
    port = res.port_number if res.port_number is not None else (ref.port if isinstance(ref.port, int) else None)
    return {"namespace": ref.namespace, "service": ref.service, "port": port}
