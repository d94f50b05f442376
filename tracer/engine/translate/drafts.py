"""One HTTPRoute rule in the making: its match, filters, backends or redirect, and the Ingress path it came from."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Draft:
    ingress: str  # "site/web"
    host: str | None
    where: str  # "spec.rules[0].http.paths[1]", "annotation app-root", "spec.defaultBackend"
    match: dict[str, Any]
    path: str | None = None  # the Ingress path (None for added rules)
    path_type: str = ""  # the Ingress pathType as ingress-nginx folds it (Exact or Prefix), for canaries (#7.1)
    regex: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    backends: list[dict[str, Any]] = field(default_factory=list)
    redirect: dict[str, Any] | None = None  # a RequestRedirect configuration answers instead of the backends
    timeouts: dict[str, str] = field(default_factory=dict)
    upstream: tuple[str, str, int] | None = None  # (namespace, Service, port) of the primary backend
    https_redirect: bool = True  # on the HTTP listener, an HTTPS redirect applies to it (ingress-nginx#5.1)

    def rule(self) -> dict[str, Any]:
        out: dict[str, Any] = {"matches": [copy.deepcopy(self.match)]}
        filters = [copy.deepcopy(f) for f in self.filters]
        if self.redirect is not None:
            filters = [f for f in filters if f.get("type") in ("RequestHeaderModifier", "ResponseHeaderModifier")]
            filters.append({"type": "RequestRedirect", "requestRedirect": copy.deepcopy(self.redirect)})
        if filters:
            out["filters"] = filters
        if self.redirect is None:
            out["backendRefs"] = [dict(b) for b in self.backends]
        if self.timeouts:
            out["timeouts"] = dict(self.timeouts)
        return out

    def redirected(self, conf: dict[str, Any], where: str | None = None) -> Draft:
        """The same match answering with a redirect (the HTTP listener's HTTPS redirect)."""
        twin = copy.copy(self)
        twin.filters = [f for f in self.filters if f.get("type") == "ResponseHeaderModifier"]
        twin.redirect, twin.timeouts = conf, {}
        if where is not None:
            twin.where = where
        return twin

    def variant(self, headers: list[dict[str, Any]], backends: list[dict[str, Any]], where: str) -> Draft:
        """The same rule with header matches added and other backends (a canary rule, ingress-nginx#7.3)."""
        twin = copy.copy(self)
        twin.match = {**copy.deepcopy(self.match), "headers": headers}
        twin.backends, twin.where = backends, where
        return twin
