"""The route list of a compiled snapshot: one row per (controller installation, host, path).

Each row says how the controller applies the path (Exact, Prefix, regex, ImplementationSpecific read as
Prefix), where it goes (a Service port, a resource reference, or a default backend), which TLS Secret the
host serves, and the problems that show without sending a request: a backend that cannot answer
(tracer.engine.services diagnoses), a path that can never win, an Ingress its controller drops, and an
Ingress class no installation serves. Rows are read from the compiled route tables, never recomputed
from the manifests, so they say what the traces say; ``Engine.routes()`` is the public entry.
"""

from __future__ import annotations

from .listing import list_routes
from .rows import PROBLEM_TITLES, Route, problem, sample_host, sample_path

__all__ = ["PROBLEM_TITLES", "Route", "list_routes", "problem", "sample_host", "sample_path"]
