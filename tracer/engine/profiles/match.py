"""Which route of a profile answers a request as the pod receives it, and the answer it gives.

The request is the upstream one: the path after the controller's rewrites, the headers it sends
(cookies from their Cookie header) and the method. Routes are tried in order; the first match wins.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from .model import ABSENT, PRESENT, Answer, AppProfile, Respond, Route

_QUERY_VALUE = re.compile(r"\{query\.([^}]+)\}")
DEFAULT_WHY = "no route matched: default answer"
NOT_FOUND_WHY = "no route matched and the profile has no default: 404"


class ProfileRequest:
    """The parts of the upstream request routes compare, parsed once per request."""

    __slots__ = ("cookies", "headers", "method", "path", "query", "upgrade")

    def __init__(self, method: str, uri: str, headers: dict[str, str]) -> None:
        self.method = method.upper()
        path, _, query = uri.partition("?")
        self.path = path
        self.query: dict[str, str] = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            self.query.setdefault(k, v)
        self.headers = {k.lower(): v for k, v in reversed(headers.items())}
        self.cookies: dict[str, str] = {}
        for part in self.headers.get("cookie", "").split(";"):
            name, eq, value = part.strip().partition("=")
            if name and eq:
                self.cookies.setdefault(name.strip(), value.strip())
        self.upgrade = bool(self.headers.get("upgrade", "").strip())


def _conditions_hold(conditions: tuple[tuple[str, str], ...], values: dict[str, str]) -> bool:
    for name, want in conditions:
        if want == PRESENT:
            if name not in values:
                return False
        elif want == ABSENT:
            if name in values:
                return False
        elif values.get(name) != want:
            return False
    return True


def route_matches(route: Route, req: ProfileRequest) -> bool:
    # A route without websocket: true does not answer an Upgrade, and one with it answers only Upgrades.
    if route.websocket != req.upgrade:
        return False
    if route.path is not None and not route.path.matches(req.path):
        return False
    if route.methods is not None and req.method not in route.methods:
        return False
    return (
        _conditions_hold(route.query, req.query)
        and _conditions_hold(route.headers, req.headers)
        and _conditions_hold(route.cookies, req.cookies)
    )


def _insert(text: str, req: ProfileRequest) -> str:
    """``{query.NAME}`` becomes the request's query value (empty when it has none)."""
    if "{query." not in text:
        return text
    return _QUERY_VALUE.sub(lambda m: req.query.get(m.group(1), ""), text)


def answer(profile: AppProfile, req: ProfileRequest) -> Answer:
    """The first matching route's answer, else the default (404 when the profile has none)."""
    for route in profile.routes:
        if route_matches(route, req):
            return _build(profile, route.respond, req, route, f"route {route.describe()} matched")
    if profile.default is not None:
        return _build(profile, profile.default, req, None, DEFAULT_WHY)
    return Answer(profile, 404, why=NOT_FOUND_WHY)


def _build(profile: AppProfile, respond: Respond, req: ProfileRequest, route: Route | None, why: str) -> Answer:
    headers = [(name, _insert(value, req)) for name, value in respond.headers]
    headers += [("Set-Cookie", _insert(cookie, req)) for cookie in respond.set_cookies]
    content_type = respond.content_type
    written = next((v for n, v in headers if n.lower() == "content-type"), None)
    if written is not None:
        content_type = content_type or written
    elif content_type is not None:
        headers.append(("Content-Type", content_type))
    return Answer(
        profile,
        respond.status,
        headers=headers,
        content_type=content_type,
        html=respond.html,
        latency_ms=respond.latency_ms,
        route=route,
        why=why,
    )
