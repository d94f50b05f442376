"""The one small interface every controller family implements.

A family compiles a snapshot into a route table once, then routes many requests through it.
Routing returns a :class:`RequestTrace` whose hops start at the controller and end at the pod
(or wherever the request dies); the entry hops in front of the controller are added by the API.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from ..context import EngineContext
from ..options import Options
from ..request import Request
from ..result import RequestTrace
from ..snapshot import K8sObject, Snapshot


class RouteTable(ABC):
    """A compiled data plane: immutable, safe to reuse for any number of requests."""

    family: ClassVar[str]

    @abstractmethod
    def route(self, request: Request) -> RequestTrace:
        """Route one request. Never raises for routing failures: they are hops and diagnoses."""

    def controller_objects(self) -> list[K8sObject]:
        """Objects that make up the controller itself (Deployment, Service, ConfigMap, class)."""
        return []

    def describe(self) -> dict[str, Any]:
        """A summary of the compiled table (servers, routes, warnings) for the UI and CLI."""
        return {}


class DataPlane(ABC):
    family: ClassVar[str]
    title: ClassVar[str]

    @abstractmethod
    def compile(self, snapshot: Snapshot, options: Options, context: EngineContext | None = None) -> RouteTable:
        """Build the route table this controller would build from the snapshot.

        ``context`` is the compiling Engine's own state (``context.services``: the Service index with its
        memos); a table keeps what it needs from it and never reaches for a module-level cache. Without one
        (a table compiled on its own, as in tests) the data plane makes a fresh ``EngineContext(snapshot)``.
        """
