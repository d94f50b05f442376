"""The public entry points: :func:`trace` and :class:`Engine`.

``Engine`` loads and compiles once and then routes any number of requests, which is what the
CLI, the web worker and the benchmark use; ``trace`` is the one-shot convenience of the contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .dataplanes import RouteTable, get_dataplane
from .detect import Detection, detect_controller
from .entry import entry_hops
from .loader import load_manifests
from .options import Options
from .request import Request, parse_request
from .result import RequestTrace, Trace
from .snapshot import Snapshot

Manifests = str | bytes | Path | Snapshot | list[Any]


class Engine:
    """A snapshot compiled for one controller family."""

    def __init__(self, manifests: Manifests, **options: Any) -> None:
        self.options = Options.from_kwargs(**options)
        self.snapshot = manifests if isinstance(manifests, Snapshot) else load_manifests(manifests)
        if self.options.controller:
            self.detection = Detection(self.options.controller, "forced with the controller option")
        else:
            self.detection = detect_controller(self.snapshot)
        self.family = self.detection.family
        self.table: RouteTable = get_dataplane(self.family).compile(self.snapshot, self.options)

    def route(self, request: str | dict[str, Any] | Request) -> RequestTrace:
        req = parse_request(request)
        result = self.table.route(req)
        result.request = req.to_dict()
        result.controller = result.controller or self.family
        front = entry_hops(self.snapshot, req, self.table.controller_objects(), self.family)
        for hop in front:
            if hop.status is None and hop.outcome == "forward" and result.error is None:
                hop.status = result.status
        result.hops = front + result.hops
        return result

    def trace(self, request: str | dict[str, Any] | Request) -> Trace:
        return self.trace_many([request])

    def trace_many(self, requests: Iterable[str | dict[str, Any] | Request]) -> Trace:
        return Trace(
            requests=[self.route(r) for r in requests],
            snapshot=self.snapshot_info(),
            options=self.options.to_dict(),
            warnings=[str(w) for w in self.snapshot.warnings],
        )

    def snapshot_info(self) -> dict[str, Any]:
        return {
            "hash": self.snapshot.content_hash,
            "objects": len(self.snapshot),
            "controller": self.family,
            "controller_reason": self.detection.reason,
            "controllers_detected": self.detection.candidates,
        }


def trace(manifests: Manifests, request: str | dict[str, Any] | Request, **options: Any) -> Trace:
    """Trace one request through the snapshot; see DESIGN.md "Contracts"."""
    return Engine(manifests, **options).trace(request)
