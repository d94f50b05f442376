"""Run every fix finder over the requests of one journey (or of one single request)."""

from __future__ import annotations

from collections.abc import Callable

from ..result import RequestTrace
from .context import FixContext
from .cookie_scope import cookie_path_not_covering, secure_cookie_over_http
from .istio_fixes import http10_gateway_env, knative_custom_domain
from .prefix import assets_outside_prefix, prefix_not_stripped, redirect_escapes_prefix
from .tls_fixes import https_backend_as_http, https_port_as_http, redirect_loop_fix
from .trailing_slash import relative_assets_no_trailing_slash
from .websocket_fixes import websocket_idle_fix, websocket_path_not_matched

# In the order a reader meets the causes: what reached the app, where it redirected, what its page loaded.
FINDERS: tuple[Callable[[FixContext, RequestTrace], None], ...] = (
    prefix_not_stripped,
    https_backend_as_http,
    https_port_as_http,
    redirect_escapes_prefix,
    relative_assets_no_trailing_slash,
    assets_outside_prefix,
    websocket_path_not_matched,
    secure_cookie_over_http,
    cookie_path_not_covering,
    websocket_idle_fix,
    redirect_loop_fix,
    http10_gateway_env,
    knative_custom_domain,
)


def find_fixes(ctx: FixContext) -> None:
    """Add the diagnoses (with their patches) that explain each failed request of ``ctx``."""
    for rt in ctx.requests:
        if rt.status is not None and rt.status < 400 and rt.error is None and rt.blocked is None and not rt.diagnoses:
            continue  # a clean answer: nothing to explain (keeps single green requests cheap)
        for finder in FINDERS:
            finder(ctx, rt)
