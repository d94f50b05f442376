"""tracer's routing engine: manifests -> snapshot -> data plane -> trace. No Django in here.

Public API (stable, see docs/engine.md): :func:`trace`, :class:`Engine`, :func:`load_manifests`,
:func:`parse_request`, and the result types.
"""

from __future__ import annotations

from .api import Engine, trace
from .errors import LoadError, OptionError, RequestError, TracerError
from .loader import Limits, load_manifests
from .options import Options
from .request import Request, parse_request
from .result import SCHEMA, Diagnosis, Hop, RequestTrace, Trace
from .snapshot import K8sObject, LoadWarning, Snapshot, Source

__all__ = [
    "SCHEMA",
    "Diagnosis",
    "Engine",
    "Hop",
    "K8sObject",
    "Limits",
    "LoadError",
    "LoadWarning",
    "OptionError",
    "Options",
    "Request",
    "RequestError",
    "RequestTrace",
    "Snapshot",
    "Source",
    "Trace",
    "TracerError",
    "load_manifests",
    "parse_request",
    "trace",
]
