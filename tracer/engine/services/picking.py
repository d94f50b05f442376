"""Which ready endpoint a connection goes to."""

from __future__ import annotations

import hashlib

from .resolution import Endpoint, order_key


def pick_endpoint(endpoints: list[Endpoint], seed: int | None, key: str) -> Endpoint | None:
    """Pick one ready endpoint: the first in kube-proxy order (dataplane#R19) without a seed, else a
    deterministic choice from (seed, key)."""
    ready = [e for e in endpoints if e.ready]
    if not ready:
        return None
    ready.sort(key=order_key)
    return pick_ordered(ready, seed, key)


def pick_ordered(ready: list[Endpoint], seed: int | None, key: str) -> Endpoint | None:
    """:func:`pick_endpoint` over endpoints that are already the ready ones, in order."""
    if not ready:
        return None
    if seed is None or len(ready) == 1:
        return ready[0]
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return ready[int.from_bytes(digest[:8], "big") % len(ready)]
