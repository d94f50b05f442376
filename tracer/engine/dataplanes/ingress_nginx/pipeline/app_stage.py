"""P10/P11 with an AppProfile: what the pod answers, and how nginx passes it back (ingress-nginx#8.3, #8.4).

The profile sees the request as the pod receives it (trace.upstream: the path after rewrite-target, the
headers nginx sends). A port the app does not listen on refuses the connection, which nginx reports as
502 (dataplane#R25). Location and Set-Cookie are rewritten only by proxy-redirect-from/to and
proxy-cookie-path/-domain; by default (``off``) they reach the client as the app sent them.
"""

from __future__ import annotations

import re

from ....profiles import Answer, ProfileSet
from ....services import Endpoint
from ..annotations import IngressAnnotations
from ..config import ControllerConfig
from .state import RouteState

TLS_PROTOCOLS = ("HTTPS", "GRPCS")
_PATH_ATTR = re.compile(r"(;\s*path=)([^;]*)", re.IGNORECASE)
_DOMAIN_ATTR = re.compile(r"(;\s*domain=)([^;]*)", re.IGNORECASE)


def app_answer(s: RouteState, profiles: ProfileSet, ann: IngressAnnotations, endpoint: Endpoint) -> int | None:
    """The pod's answer from its profile (status; None when no profile covers the backend)."""
    backend = s.backend
    upstream = s.trace.upstream
    assert backend is not None and upstream is not None
    answer = profiles.answer_for(
        backend.pick.resolution, endpoint, s.req.method, str(upstream["path"]), upstream["headers"],
        upstream_tls=ann.backend.protocol in TLS_PROTOCOLS,
    )
    if answer is None:
        return None
    s.answer = answer
    # Named on the controller hop too: behind an ExternalName Service there is no pod hop to carry it.
    s.details["app_profile"] = f"{answer.profile.namespace}/{answer.profile.name}"
    where = endpoint.address if endpoint.ip else f"a pod of {backend.ref}"
    if answer.refused:
        s.cause = f"the pod {where} {answer.why}"
        # nginx's own 502 after the failed connect; the pod hop says why (dataplane#R25).
        return s.respond(502, f"proxied to {where}: {answer.why}; nginx answers 502", "dataplane#R25",
                         outcome="forward", generated=True)
    answer.headers = _rewritten(answer, ann, s.config, s)
    return s.respond(answer.status or 200, f"proxied to {where}{' (canary)' if backend.canary else ''}; "
                     f"the app answers {answer.status} ({answer.profile.label})", "ingress-nginx#8.5",
                     outcome="forward", generated=False)


def _setting(annotation: str | None, configured: str) -> str:
    value = annotation if annotation is not None else configured
    return value.strip()


def _rewritten(answer: Answer, ann: IngressAnnotations, config: ControllerConfig, s: RouteState) -> list[tuple[str, str]]:
    """Location and Set-Cookie after proxy_redirect and proxy_cookie_path/_domain (#8.3, #8.4)."""
    proxy = ann.proxy
    redirect_from = _setting(proxy.redirect_from, config.proxy_redirect_from)
    redirect_to = _setting(proxy.redirect_to, config.proxy_redirect_to)
    cookie_path = _setting(proxy.cookie_path, config.proxy_cookie_path).split()
    cookie_domain = _setting(proxy.cookie_domain, config.proxy_cookie_domain).split()
    # "default" maps the proxy_pass URL (http://upstream_balancer), which an app's Location never starts with.
    rewrite_location = redirect_from not in ("", "off", "default") and redirect_to not in ("", "off")
    out = []
    for name, value in answer.headers:
        key = name.lower()
        if key == "location" and rewrite_location and value.startswith(redirect_from):
            new = redirect_to + value[len(redirect_from):]
            s.changes["location_rewritten"] = f"{value} -> {new} (proxy-redirect-from/to)"
            s.rules.append("ingress-nginx#8.3")
            value = new
        elif key == "set-cookie" and (len(cookie_path) == 2 or len(cookie_domain) == 2):
            new = _cookie(value, cookie_path, cookie_domain)
            if new != value:
                s.changes.setdefault("set_cookie_rewritten", []).append(f"{value} -> {new}")
                s.rules.append("ingress-nginx#8.4")
                value = new
        out.append((name, value))
    return out


def _cookie(value: str, path: list[str], domain: list[str]) -> str:
    """proxy_cookie_path replaces a matching Path prefix (case-insensitive); proxy_cookie_domain a matching
    Domain (case-insensitive, a leading dot ignored)."""
    if len(path) == 2:
        want, to = path

        def _path(m: re.Match[str]) -> str:
            current = m.group(2).strip()
            if current.lower().startswith(want.lower()):
                return m.group(1) + to + current[len(want):]
            return m.group(0)

        value = _PATH_ATTR.sub(_path, value)
    if len(domain) == 2:
        want, to = domain

        def _domain(m: re.Match[str]) -> str:
            if m.group(2).strip().lstrip(".").lower() == want.lstrip(".").lower():
                return m.group(1) + to
            return m.group(0)

        value = _DOMAIN_ATTR.sub(_domain, value)
    return value
