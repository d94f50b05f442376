"""Running the engine for a stored trace: snapshot rebuilt from rows, compiled Engines cached per process."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from tracer.engine import Engine

    from .models import Snapshot, Trace

ENGINE_OPTIONS = ("controller", "controller_class", "assume_endpoints", "seed")

_lock = threading.Lock()
_engines: OrderedDict[tuple[str, str], Engine] = OrderedDict()


def engine_options(options: dict[str, Any]) -> dict[str, Any]:
    """The subset of stored options the Engine takes, without empty values."""
    out = {k: options[k] for k in ENGINE_OPTIONS if options.get(k) not in (None, "")}
    if "assume_endpoints" in out:
        out["assume_endpoints"] = bool(out["assume_endpoints"])
    return out


def get_engine(snapshot: Snapshot, options: dict[str, Any]) -> Engine:
    """A compiled Engine for (snapshot, options), from a small per-process LRU."""
    from tracer.engine import Engine

    opts = engine_options(options)
    key = (f"{snapshot.pk}:{snapshot.content_hash}", json.dumps(opts, sort_keys=True))
    with _lock:
        engine = _engines.get(key)
        if engine is not None:
            _engines.move_to_end(key)
            return engine
    # Every trace the web app runs is bounded (tracer/engine/budget.py); one setting per process, so not in the key.
    engine = Engine(snapshot.to_engine(), **opts, budget_seconds=settings.TRACER_TRACE_BUDGET_SECONDS)
    with _lock:
        _engines[key] = engine
        while len(_engines) > max(1, settings.TRACER_ENGINE_CACHE_SIZE):
            _engines.popitem(last=False)
    return engine


def clear_engine_cache() -> None:
    with _lock:
        _engines.clear()


def run_engine(trace: Trace) -> dict[str, Any]:
    """trace-v1 JSON for the trace's scenario on its snapshot. Raises TracerError on bad input."""
    engine = get_engine(trace.snapshot, trace.scenario.options)
    return engine.trace(dict(trace.scenario.request)).to_dict()
