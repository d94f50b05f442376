"""Request-time effects of annotations and ConfigMap settings, one module per request phase.

Pure functions over (IngressAnnotations, ControllerConfig, Request); no routing. The pipeline calls
them in the order of the request phases (ingress-nginx#0):

- client.py: client address, scheme, forwarded host and port (used by several phases);
- location_phase.py (P5): request body limit, 413;
- rewrite_phase.py (P6): CORS preflight, 204;
- preaccess_phase.py (P8): rate limits in force;
- access_phase.py, auth.py (P9): IP rules, basic auth, external auth, satisfy;
- proxy_phase.py, backend_protocol.py (P10): upstream headers, timeouts, affinity cookie, the pod's answer
  to a protocol mismatch;
- response_phase.py (P11): CORS and HSTS response headers.
"""

from __future__ import annotations

from .access_phase import check_access
from .backend_protocol import backend_protocol_outcome, backend_protocol_risk
from .client import best_http_host, client_ip, request_scheme
from .location_phase import check_body_size
from .outcome import PolicyOutcome
from .preaccess_phase import rate_limit_details
from .proxy_phase import affinity_set_cookie, timeouts, upstream_headers
from .response_phase import cors_response_headers, hsts_header
from .rewrite_phase import check_cors_preflight

__all__ = [
    "PolicyOutcome",
    "affinity_set_cookie",
    "backend_protocol_outcome",
    "backend_protocol_risk",
    "best_http_host",
    "check_access",
    "check_body_size",
    "check_cors_preflight",
    "client_ip",
    "cors_response_headers",
    "hsts_header",
    "rate_limit_details",
    "request_scheme",
    "timeouts",
    "upstream_headers",
]
