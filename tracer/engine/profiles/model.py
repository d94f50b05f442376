"""The parsed form of an AppProfile document (tracer.dev/v1alpha1): what one backend answers.

Parsing and validation live in parse.py, matching a request in match.py; these records are immutable
and shared by every request an Engine routes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

API_VERSION = "tracer.dev/v1alpha1"
KIND = "AppProfile"
# The three forms a query/header/cookie condition takes; anything else is a value to compare with.
PRESENT = "present"
ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class PathMatch:
    """``exact`` and ``prefix`` compare strings; ``regex`` is searched from the start of the path."""

    kind: str  # exact | prefix | regex
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.value
        if self.kind == "prefix":
            return path.startswith(self.value)
        assert self.pattern is not None
        return self.pattern.match(path) is not None

    def describe(self) -> str:
        return f"{self.kind} {self.value}"


@dataclass(frozen=True, slots=True)
class Html:
    """What the page refers to, as written in it (the journey runner resolves the URLs)."""

    assets: tuple[str, ...] = ()
    websockets: tuple[str, ...] = ()
    base: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"assets": list(self.assets), "websockets": list(self.websockets), "base": self.base}


@dataclass(frozen=True, slots=True)
class Respond:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    set_cookies: tuple[str, ...] = ()
    content_type: str | None = None
    html: Html | None = None
    latency_ms: float = 0


@dataclass(frozen=True, slots=True)
class Route:
    index: int
    respond: Respond
    path: PathMatch | None = None
    methods: frozenset[str] | None = None
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # names lower-case
    cookies: tuple[tuple[str, str], ...] = ()
    websocket: bool = False

    def describe(self) -> str:
        parts = [f"routes[{self.index}]"]
        if self.path is not None:
            parts.append(self.path.describe())
        if self.methods:
            parts.append("/".join(sorted(self.methods)))
        if self.websocket:
            parts.append("WebSocket")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class AppProfile:
    namespace: str
    name: str
    service: str | None  # selector.service
    match_labels: dict[str, str] | None  # selector.matchLabels
    ports: frozenset[int] | None  # None: every declared container port
    tls: bool
    routes: tuple[Route, ...]
    default: Respond | None  # None: 404
    ref: dict[str, Any] = field(default_factory=dict)  # the object's reference for hops

    @property
    def label(self) -> str:
        return f"AppProfile {self.namespace}/{self.name}"


@dataclass(slots=True)
class Answer:
    """What the app answers one request: a status with its headers and page, or a refused connection."""

    profile: AppProfile
    status: int | None  # None: the connection is refused
    headers: list[tuple[str, str]] = field(default_factory=list)  # in order, each Set-Cookie separate
    content_type: str | None = None
    html: Html | None = None
    latency_ms: float = 0
    route: Route | None = None  # None: the default answer (or a refusal)
    why: str = ""  # the route that matched, "no route matched: default answer", or why it refused

    @property
    def refused(self) -> bool:
        return self.status is None

    def page(self) -> dict[str, Any]:
        """What the journey runner reads: the content type and the page's references."""
        return {"content_type": self.content_type, "html": self.html.to_dict() if self.html else None}
