"""P5, once the location is chosen: the request body limit (ingress-nginx#8.6, #0).

nginx checks client_max_body_size against Content-Length when it picks the location, before any
rewrite or access check, so a too-large body gets 413 even on a path that would redirect.
"""

from __future__ import annotations

from ....request import Request
from ....result import Diagnosis
from ..annotations import IngressAnnotations
from ..config import ControllerConfig
from .outcome import PolicyOutcome, annotation_key, ingress_ref


def check_body_size(ann: IngressAnnotations, config: ControllerConfig, request: Request) -> PolicyOutcome | None:
    """Content-Length above proxy-body-size -> 413 at P5 (ingress-nginx#8.6, #0)."""
    limit = ann.proxy.body_size if ann.proxy.body_size is not None else config.proxy_body_size
    if not limit or request.body_bytes is None or request.body_bytes <= limit:
        return None
    source = "annotation" if ann.proxy.body_size is not None else "ConfigMap proxy-body-size (default 1m)"
    suggested = f"{-(-request.body_bytes // (1024 * 1024))}m"
    return PolicyOutcome(
        status=413,
        summary=f"request body of {request.body_bytes} bytes exceeds proxy-body-size {limit} bytes ({source})",
        stage="body-size",
        body="413 Request Entity Too Large",  # nginx's own error page text (not RFC 9110 phrases)
        rules=["ingress-nginx#8.6", "ingress-nginx#0"],
        details={"proxy_body_size": limit, "content_length": request.body_bytes},
        diagnoses=[
            Diagnosis(
                "BODY_TOO_LARGE",
                "error",
                f"Ingress {ann.name}: the {request.body_bytes}-byte body is larger than proxy-body-size "
                f"({limit} bytes), so nginx answers 413 before proxying.",
                f'Add {annotation_key(ann, "proxy-body-size")}: "{suggested}" (or "0" for no limit).',
                "ingress-nginx#8.6",
                ingress_ref(ann),
            )
        ],
    )
