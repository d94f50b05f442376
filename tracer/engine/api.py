"""The public entry points: :func:`trace` and :class:`Engine`.

``Engine`` loads and compiles once and then routes any number of requests, which is what the
CLI, the web worker and the benchmark use; ``trace`` is the one-shot convenience of the contract.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .context import EngineContext
from .dataplanes import RouteTable, get_dataplane
from .detect import Detection, detect_controller
from .entry import entry_failure_diagnosis, entry_hops, plan_entry
from .loader import load_manifests
from .options import Options
from .request import Request, parse_request
from .result import RequestTrace, Trace
from .snapshot import Snapshot

FREEZE_OBJECTS = 20_000
Manifests = str | bytes | Path | Snapshot | list[Any]


MAX_TRACE_WARNINGS = 25
# Entry-hop outcomes that end the request, and the trace-v1 `error` the client sees.
L4_FAILURES = {"timeout": "timeout", "refused": "connection-refused", "reset": "reset", "tls-error": "tls-error"}


class Engine:
    """A snapshot compiled for one controller family.

    Everything it indexes or memoises while routing (Service index, resolutions, hops, the controller's
    entry) lives in its own :class:`EngineContext` and entry plan: engines never share state.
    """

    def __init__(self, manifests: Manifests, **options: Any) -> None:
        self.options = Options.from_kwargs(**options)
        self.snapshot = manifests if isinstance(manifests, Snapshot) else load_manifests(manifests)
        if self.options.controller:
            self.detection = Detection(self.options.controller, "forced with the controller option")
        else:
            self.detection = detect_controller(self.snapshot)
        self.family = self.detection.family
        self.context = EngineContext(self.snapshot)
        # Compiling allocates hundreds of thousands of long-lived objects and no garbage cycles worth collecting;
        # the cyclic GC would otherwise walk the growing graph again and again (about half the compile time
        # at 10k Ingresses).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.table: RouteTable = get_dataplane(self.family).compile(self.snapshot, self.options, self.context)
        finally:
            if gc_was_enabled:
                gc.enable()
        # The table and snapshot do not change after compile: find the controller's entry once.
        self.entry = plan_entry(self.context, self.table.controller_objects())
        self._warnings: list[str] | None = None
        # A large compiled snapshot is a long-lived graph of over a million objects (10k Ingresses); move it
        # out of the cyclic GC's generations so the collections that routing triggers do not walk it again.
        # Small snapshots (the web app compiles many) stay collectable as usual.
        if len(self.snapshot) >= FREEZE_OBJECTS:
            gc.freeze()

    def route(self, request: str | dict[str, Any] | Request) -> RequestTrace:
        req = parse_request(request)
        front = entry_hops(self.entry, req, self.family)
        if front and front[-1].outcome in L4_FAILURES:
            # Dropped or refused before the controller (source ranges, no controller endpoints): the client
            # sees a socket error, not an HTTP status (dataplane#R21, #R27).
            last = front[-1]
            return RequestTrace(
                request=req.to_dict(),
                controller=self.family,
                status=None,
                error=L4_FAILURES[last.outcome],
                hops=front,
                diagnoses=[entry_failure_diagnosis(last)],
            )
        result = self.table.route(req)  # every data plane sets result.request from req.to_dict()
        result.controller = result.controller or self.family
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
            warnings=self.warnings(),
        )

    def warnings(self) -> list[str]:
        """Load warnings, then what the controller model assumed or ignored (config fallbacks, default class)."""
        if self._warnings is None:
            compiled = [str(w) for w in self.table.describe().get("warnings", [])]
            found = [str(w) for w in self.snapshot.warnings] + compiled
            # Every trace carries them: keep a trace readable (and small) on a snapshot with thousands.
            self._warnings = found[:MAX_TRACE_WARNINGS]
            if len(found) > MAX_TRACE_WARNINGS:
                self._warnings.append(f"... and {len(found) - MAX_TRACE_WARNINGS} more warnings about this snapshot")
        return self._warnings

    def snapshot_info(self) -> dict[str, Any]:
        return {
            "hash": self.snapshot.content_hash,
            "objects": len(self.snapshot),
            "controller": self.family,
            "controller_reason": self.detection.reason,
            "controllers_detected": self.detection.candidates,
        }


def trace(manifests: Manifests, request: str | dict[str, Any] | Request, **options: Any) -> Trace:
    """Trace one request through the snapshot; the contract is docs/engine.md."""
    return Engine(manifests, **options).trace(request)
