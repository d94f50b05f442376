"""Traefik 1.7 frontends indexed by the exact host their Host route requires; the others are tried for every
request. Each list is sorted by priority, highest first (traefik#T40)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field

from .frontends import Frontend


@dataclass(slots=True)
class FrontendIndex:
    by_host: dict[str, list[Frontend]] = field(default_factory=dict)
    any_host: list[Frontend] = field(default_factory=list)
    count: int = 0

    def add(self, fe: Frontend) -> None:
        self.count += 1
        if fe.rule.host:
            self.by_host.setdefault(fe.rule.host, []).append(fe)
        else:
            self.any_host.append(fe)

    def finish(self) -> None:
        for frontends in self.by_host.values():
            frontends.sort(key=Frontend.sort_key)
        self.any_host.sort(key=Frontend.sort_key)

    def candidates(self, host: str) -> Iterator[Frontend]:
        exact = self.by_host.get(host)
        if not exact:
            return iter(self.any_host)
        if not self.any_host:
            return iter(exact)
        return heapq.merge(exact, self.any_host, key=Frontend.sort_key)


__all__ = ["FrontendIndex"]
