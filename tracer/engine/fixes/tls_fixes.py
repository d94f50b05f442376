"""TLS on either side of the controller: an HTTPS backend spoken to in plain HTTP, and the HTTPS redirect loop.

Report 004: the Kubernetes Dashboard speaks only HTTPS; proxied as plain HTTP it answers 400 (Traefik
answered 500 for the certificate it would not trust). Rules: ingress-nginx#10.3 (backend-protocol),
#14.8 (the redirect loop when TLS ends at a load balancer and forwarded headers are not trusted).
"""

from __future__ import annotations

from ..result import Diagnosis, RequestTrace
from .context import FixContext, add
from .ingress_edit import annotations_patch, merge_ingress
from .patch import Patch

PLAIN_TO_TLS = "speaks HTTPS (tls: true) and received plain HTTP"


def https_port_as_http(ctx: FixContext, rt: RequestTrace) -> None:
    """Give PLAIN_HTTP_TO_HTTPS_PORT (the Service port is named or numbered for HTTPS) its backend-protocol patch."""
    at = ctx.routed(rt)
    if at is None or rt.controller != "ingress-nginx":
        return
    patch = merge_ingress(at, annotations_patch({"backend-protocol": "HTTPS"}), f'{at.label()}: backend-protocol "HTTPS"')
    for diag in rt.diagnoses:
        if diag.code == "PLAIN_HTTP_TO_HTTPS_PORT" and not diag.patches:
            diag.patches = [patch.to_dict()]


def https_backend_as_http(ctx: FixContext, rt: RequestTrace) -> None:
    if rt.status != 400 or not rt.hops or rt.hops[-1].component != "pod" or PLAIN_TO_TLS not in rt.hops[-1].summary:
        return
    at = ctx.routed(rt)
    patches = []
    if at is not None and rt.controller == "ingress-nginx":
        patches.append(merge_ingress(at, annotations_patch({"backend-protocol": "HTTPS"}),
                                     f'{at.label()}: backend-protocol "HTTPS"').to_dict())
    backend = rt.backend or {}
    service = f"Service {backend['namespace']}/{backend['service']}" if backend.get("service") else "this backend"
    add(rt, Diagnosis(
        "HTTPS_BACKEND_AS_HTTP", "error",
        f"The app behind {service} speaks only HTTPS and the "
        "controller connected in plain HTTP, so the app answered 400 (an HTTP request on its TLS port).",
        "Tell the controller to speak HTTPS to the backend: backend-protocol \"HTTPS\" (ingress-nginx does not verify "
        "the backend's certificate unless proxy-ssl-verify is on).",
        "ingress-nginx#10.3", [at.ref()] if at is not None else [], patches,
    ))


def redirect_loop_fix(ctx: FixContext, rt: RequestTrace) -> None:
    """Give HTTPS_REDIRECT_LOOP the ConfigMap patch that makes the controller trust X-Forwarded-Proto."""
    diag = next((d for d in rt.diagnoses if d.code == "HTTPS_REDIRECT_LOOP" and not d.patches), None)
    hop = next((h for h in rt.hops if h.component == "controller"), None)
    if diag is None or hop is None:
        return
    ref = next((o for o in hop.objects if o.get("kind") == "ConfigMap"), None)
    obj = ctx.snapshot.get("ConfigMap", ref.get("namespace"), str(ref.get("name"))) if ref else None
    if obj is None:
        return
    body = {"data": {"use-forwarded-headers": "true"}}
    diag.patches = [Patch("merge", obj.api_version, "ConfigMap", obj.namespace, obj.name, obj.source.file, body,
                          f'ConfigMap {obj.namespace}/{obj.name}: use-forwarded-headers "true"').to_dict()]
