"""The traces list's filters: the class of the final status (as the status badges colour it), the host of the
scenario's URL, the snapshot, and a search of the scenario's URL.

The final status is that of the last request of the trace-v1 result (``Trace.final``), the one the list shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Func, IntegerField, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.http import QueryDict

from tracer.models import Scenario, Trace, Workspace

# value, label. "2xx" takes in the 1xx (a WebSocket's 101) as the green badge does (tracer.diagram.outcome_class);
# "error" is a trace without a final status (connection refused, reset, no response) or one that failed to run.
STATUS_CLASSES = (
    ("2xx", "2xx success"),
    ("3xx", "3xx redirect"),
    ("4xx", "4xx client error"),
    ("5xx", "5xx server error"),
    ("error", "no response, or failed"),
    ("queued", "queued or running"),
)
STATUS_RANGES = {"2xx": (100, 300), "3xx": (300, 400), "4xx": (400, 500), "5xx": (500, 600)}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE")
_AsSql = tuple[str, tuple[Any, ...]]
HOSTS_SCANNED = 1000  # recent scenarios whose hosts make the host filter's choices


class FinalStatus(Func):
    """The status code of the last request in ``Trace.result`` (NULL when it has none).

    The ORM's key transforms cannot index an array from its end, so this is written per database:
    SQLite's ``$[#-1]`` path (https://sqlite.org/json1.html#path_arguments) and PostgreSQL's negative ``->``
    index (https://www.postgresql.org/docs/current/functions-json.html).
    """

    output_field = IntegerField()

    def __init__(self) -> None:
        super().__init__(F("result"))

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _AsSql:
        return self.as_sql(compiler, connection, template="json_extract(%(expressions)s, '$.requests[#-1].status')")

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _AsSql:
        return self.as_sql(
            compiler, connection, template="((%(expressions)s -> 'requests' -> -1) ->> 'status')::integer"
        )

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> _AsSql:
        if template is None:
            raise NotSupportedError(f"filtering traces by status is not implemented for {connection.vendor}")
        return super().as_sql(compiler, connection, function, template, arg_joiner, **extra_context)


def host_pattern(host: str) -> str:
    """A URL whose host is ``host`` (any scheme, user info or port), as a regex both SQLite and PostgreSQL read."""
    return rf"^[a-z][a-z0-9+.-]*://([^/?#@]*@)?{re.escape(host)}(:[0-9]*)?([/?#]|$)"


def search_terms(q: str) -> str:
    """What to look for in URLs: a pasted label ("Journey GET https://...") searches its URL."""
    words = q.split()
    if words and words[0].lower() == "journey":
        words = words[1:]
    if len(words) > 1 and words[0].upper() in METHODS:
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class TraceFilters:
    status: str = ""
    host: str = ""
    snapshot: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> TraceFilters:
        status = query.get("status", "")
        snapshot = query.get("snapshot", "")
        try:
            snapshot = str(UUID(snapshot)) if snapshot else ""
        except ValueError:
            snapshot = ""
        return cls(
            status=status if status in dict(STATUS_CLASSES) else "",
            host=query.get("host", "").strip().lower()[:253],
            snapshot=snapshot,
            q=query.get("q", "").strip()[:500],
        )

    @property
    def active(self) -> bool:
        return bool(self.status or self.host or self.snapshot or self.q)

    def apply(self, traces: QuerySet[Trace]) -> QuerySet[Trace]:
        if self.status == "queued":
            traces = traces.filter(state__in=(Trace.State.QUEUED, Trace.State.RUNNING))
        elif self.status == "error":
            traces = traces.alias(final_status=FinalStatus()).filter(
                Q(state=Trace.State.FAILED) | Q(state=Trace.State.DONE, final_status__isnull=True)
            )
        elif self.status:
            low, high = STATUS_RANGES[self.status]
            traces = traces.filter(state=Trace.State.DONE).alias(final_status=FinalStatus())
            traces = traces.filter(final_status__gte=low, final_status__lt=high)
        if self.host:
            pattern = host_pattern(self.host)
            traces = traces.filter(
                Q(scenario__request__url__iregex=pattern) | Q(scenario__request__journey__start__iregex=pattern)
            )
        if self.snapshot:
            traces = traces.filter(snapshot_id=self.snapshot)
        terms = search_terms(self.q)
        if terms:
            traces = traces.filter(
                Q(scenario__request__url__icontains=terms) | Q(scenario__request__journey__start__icontains=terms)
                | Q(name__icontains=self.q)
            )
        return traces


def hosts_of(workspace: Workspace) -> list[str]:
    """The hosts of the workspace's recent scenarios, for the host filter."""
    rows = (
        Scenario.objects.filter(workspace=workspace)
        .order_by("-created_at")
        .values_list("request__url", "request__journey__start")[:HOSTS_SCANNED]
    )
    hosts: set[str] = set()
    for url, start in rows:
        for value in (url, start):
            if isinstance(value, str) and value:
                try:
                    host = urlsplit(value).hostname
                except ValueError:
                    host = None
                if host:
                    hosts.add(host)
    return sorted(hosts)
