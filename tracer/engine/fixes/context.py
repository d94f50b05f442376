"""What the fix finders read: the snapshot, the app profiles, and the requests of one journey."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..profiles import AppProfile, ProfileRequest, answer
from ..result import Diagnosis, RequestTrace
from ..snapshot import Snapshot
from .ingress_edit import RoutedPath, routed_path


class FixContext:
    """One journey (or one request) and the snapshot it ran on."""

    def __init__(self, snapshot: Snapshot, profiles: list[AppProfile], requests: list[RequestTrace],
                 journey: str = "", start: str = "") -> None:
        self.snapshot = snapshot
        self.profiles = {f"{p.namespace}/{p.name}": p for p in profiles}
        self.requests = requests
        self.journey = journey  # the Journey document's name ("" for a journey given as the request)
        self.start = start

    def at(self, index: int | None) -> RequestTrace | None:
        """The request with this 1-based step index."""
        if index is None or not 1 <= index <= len(self.requests):
            return None
        return self.requests[index - 1]

    def parent(self, rt: RequestTrace) -> RequestTrace | None:
        return self.at((rt.step or {}).get("parent"))

    def page_of(self, rt: RequestTrace) -> RequestTrace | None:
        """The request whose page caused this asset or WebSocket: the end of the parent's redirect chain."""
        parent = self.parent(rt)
        if parent is None:
            return None
        later = [r for r in self.requests if (r.step or {}).get("cause") == "redirect"]
        page = parent
        while True:
            nxt = next((r for r in later if (r.step or {}).get("parent") == (page.step or {}).get("index")), None)
            if nxt is None:
                return page
            page = nxt

    def routed(self, rt: RequestTrace) -> RoutedPath | None:
        return routed_path(self.snapshot, rt.route)

    def app_hop_details(self, rt: RequestTrace) -> dict[str, Any] | None:
        """The details of the hop where the app (through its profile) gave the answer: the pod hop, or the
        controller hop when the backend is an ExternalName Service (no pod hop)."""
        for hop in reversed(rt.hops):
            if "app_profile" in hop.details:
                return hop.details
        return None

    def app_would_answer(self, rt: RequestTrace, uri: str, extra_cookie: tuple[str, str] | None = None) -> int | None:
        """The status the app's profile gives ``uri`` with the headers this request reached it with."""
        details = self.app_hop_details(rt)
        profile = self.profiles.get(str(details.get("app_profile"))) if details else None
        if profile is None or rt.upstream is None:
            return None
        headers = {str(k): str(v) for k, v in (rt.upstream.get("headers") or {}).items()}
        if extra_cookie is not None:
            name, value = extra_cookie
            cookie = next((k for k in headers if k.lower() == "cookie"), "Cookie")
            headers[cookie] = "; ".join(x for x in (headers.get(cookie, ""), f"{name}={value}") if x)
        if (rt.step or {}).get("cause") == "websocket":
            headers.setdefault("Upgrade", "websocket")
        return answer(profile, ProfileRequest(str(rt.request.get("method") or "GET"), uri, headers)).status


def failed(rt: RequestTrace) -> bool:
    return rt.error is not None or rt.status is None or rt.status >= 400 or rt.blocked is not None


def path_of(rt: RequestTrace) -> str:
    return urlsplit(str(rt.request.get("url") or "")).path or "/"


def query_of(rt: RequestTrace) -> str:
    return urlsplit(str(rt.request.get("url") or "")).query


def answered_by_controller(rt: RequestTrace) -> bool:
    """The controller answered itself because no rule matched (its default backend), not the app."""
    return rt.route is None and bool(rt.hops) and rt.hops[-1].component in ("controller", "service", "endpoints", "pod") \
        and rt.status in (404, 503)


def add(rt: RequestTrace, diagnosis: Diagnosis) -> None:
    if all(d.code != diagnosis.code for d in rt.diagnoses):
        rt.add_diagnosis(diagnosis)
