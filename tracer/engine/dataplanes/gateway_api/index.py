"""The routes attached to one listener, indexed for routing (k8s-routing#G-17, G-19, G-23, G-24).

Buckets by effective hostname (exact names, wildcard patterns, "any"), each with its matches keyed by exact
path and by PathPrefix value (trailing ``/`` ignored), regular expressions in a list. A request looks at the
buckets that cover its host, most specific hostname first (G-23), and within one at the matches its path can
satisfy, in precedence order (G-24..G-26): a few dictionary look-ups however many routes the listener holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ingress_spec.paths import prefix_key, request_prefix_keys
from .hostnames import ANY, wildcard_suffixes
from .model import Match, RouteInfo


@dataclass(slots=True)
class Bucket:
    hostname: str  # "" for any host
    exact: dict[str, list[Match]] = field(default_factory=dict)
    prefix: dict[str, list[Match]] = field(default_factory=dict)
    regex: list[Match] = field(default_factory=list)
    routes: dict[int, RouteInfo] = field(default_factory=dict)  # id -> route, for near misses
    _seen: set[int] = field(default_factory=set)

    def add(self, match: Match) -> None:
        if id(match) in self._seen:  # the same route attached twice to this listener (two parentRefs)
            return
        self._seen.add(id(match))
        self.routes.setdefault(id(match.rule.route), match.rule.route)
        if match.path_type == "Exact":
            self.exact.setdefault(match.path, []).append(match)
        elif match.path_type == "PathPrefix":
            self.prefix.setdefault(prefix_key(match.path), []).append(match)
        else:
            self.regex.append(match)

    def candidates(self, path: str) -> list[Match]:
        """Matches whose path condition may hold for ``path``, best first (regexes are checked by the caller)."""
        found = list(self.exact.get(path, ()))
        prefix = self.prefix
        for key in request_prefix_keys(path):
            more = prefix.get(key)
            if more:
                found += more
        found += self.regex
        found.sort(key=_key)
        return found

    def all_matches(self) -> list[Match]:
        out = [m for ms in self.exact.values() for m in ms] + [m for ms in self.prefix.values() for m in ms]
        return sorted(out + self.regex, key=_key)


def _key(match: Match) -> tuple[object, ...]:
    return match.key


@dataclass(slots=True)
class ListenerIndex:
    exact: dict[str, Bucket] = field(default_factory=dict)
    wildcard: dict[str, Bucket] = field(default_factory=dict)  # keyed by the pattern "*.example.com"
    any: Bucket | None = None

    def bucket(self, hostname: str) -> Bucket:
        if hostname == ANY:
            if self.any is None:
                self.any = Bucket(ANY)
            return self.any
        table = self.wildcard if hostname.startswith("*.") else self.exact
        found = table.get(hostname)
        if found is None:
            found = table[hostname] = Bucket(hostname)
        return found

    def lookup(self, host: str) -> list[Bucket]:
        """The buckets covering ``host``, the most specific hostname first (G-23)."""
        out = []
        exact = self.exact.get(host)
        if exact is not None:
            out.append(exact)
        if self.wildcard:
            for pattern in wildcard_suffixes(host):
                found = self.wildcard.get(pattern)
                if found is not None:
                    out.append(found)
        if self.any is not None:
            out.append(self.any)
        return out

    def buckets(self) -> list[Bucket]:
        return [*self.exact.values(), *self.wildcard.values(), *([self.any] if self.any else [])]
