"""What an operator sees: readiness checks and the Prometheus metrics served at /metrics (docs/operations.md).

Two kinds of metrics (client: https://prometheus.github.io/client_python/):

* observed where the worker ends a trace (``observe_outcome``): how long traces ran and waited, and failures
  by reason. The gunicorn workers and the Celery pool are separate processes: with ``PROMETHEUS_MULTIPROC_DIR``
  set (scripts/run sets it) prometheus-client's multiprocess mode keeps one file per process there and a
  scrape sums them (https://prometheus.github.io/client_python/multiprocess/); without it each process
  reports only its own.
* computed at scrape time, so they hold across processes and pods: the depth of every Celery queue (Redis
  list lengths), tasks taken but not acknowledged, traces queued or running in the database, and whether the
  database and the broker answered.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

import redis
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Count
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# The local registry; in multiprocess mode the values live in files and this registry is not read.
LOCAL = CollectorRegistry(auto_describe=True)
# Engine runs take milliseconds; the ceiling is the hard task limit (180 s).
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 180.0)
TRACE_DURATION = Histogram(
    "tracer_trace_duration_seconds",
    "Time from a worker's claim of a trace to its stored outcome",
    ["outcome"],
    buckets=SECONDS,
    registry=LOCAL,
)
TRACE_WAIT = Histogram(
    "tracer_trace_queue_wait_seconds",
    "Time a trace waited between submission and a worker's claim",
    buckets=SECONDS,
    registry=LOCAL,
)
TRACE_FAILURES = Counter(
    "tracer_trace_failures", "Traces that ended failed, by reason", ["reason"], registry=LOCAL
)

# How tracer/tasks.py words each kind of failure (the message is what the user sees; the reason is its kind).
FAILURE_REASONS = (
    ("the engine did not finish within", "time-limit"),
    ("internal error in the engine", "engine-error"),
    ("budget", "budget-exceeded"),
)


def failure_reason(message: str) -> str:
    """The kind of a stored failure: time-limit, engine-error, budget-exceeded, or input (the engine refused
    the scenario or the snapshot with a TracerError)."""
    lowered = message.lower()
    for needle, reason in FAILURE_REASONS:
        if needle in lowered:
            return reason
    return "input"


def observe_outcome(trace_id: str, outcome: dict[str, Any]) -> dict[str, Any]:
    """Record a trace the worker just finished (or failed); returns ``outcome`` unchanged. Skipped deliveries
    (a duplicate, a trace gone) are not observed. Metrics never fail a task."""
    if outcome.get("state") not in ("done", "failed"):
        return outcome
    from .models import Trace

    try:
        row = (
            Trace.objects.filter(pk=trace_id)
            .values("state", "error", "queued_at", "started_at", "finished_at")
            .first()
        )
        if row is None or row["started_at"] is None or row["finished_at"] is None:
            return outcome
        TRACE_DURATION.labels(row["state"]).observe((row["finished_at"] - row["started_at"]).total_seconds())
        TRACE_WAIT.observe(max(0.0, (row["started_at"] - row["queued_at"]).total_seconds()))
        if row["state"] == Trace.State.FAILED:
            TRACE_FAILURES.labels(failure_reason(row["error"])).inc()
    except Exception:
        logger.warning("could not record metrics for trace %s", trace_id, exc_info=True)
    return outcome


# -- readiness ------------------------------------------------------------------------------------------


def database_error() -> str | None:
    """None when the default database answers a trivial query, else why not."""
    conn = connections["default"]
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        conn.close_if_unusable_or_obsolete()
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


@functools.lru_cache(maxsize=4)
def _broker_client(url: str) -> redis.Redis:
    # Short timeouts: a probe that hangs is worse than one that says "unreachable".
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def broker_client() -> redis.Redis:
    return _broker_client(settings.CELERY_BROKER_URL)


def broker_error() -> str | None:
    """None when the broker (Redis) answers PING, else why not."""
    try:
        broker_client().ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


# -- queues ---------------------------------------------------------------------------------------------

# kombu's Redis transport (kombu/transport/redis.py): a queue is a list named after it, one more list per
# priority step ("<queue>\x06\x16<step>"), bindings in sets "_kombu.binding.<exchange>" whose members are
# "<routing key>\x06\x16<pattern>\x06\x16<queue>", and taken-but-unacknowledged tasks in the hash "unacked".
SEP = "\x06\x16"
BINDING_PREFIX = "_kombu.binding."


def _transport_option(name: str, default: Any) -> Any:
    return getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get(name, default)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def queue_names(client: redis.Redis) -> list[str]:
    """The Celery queues to report, read at scrape time: those the app is configured with (settings, and any a
    router in tracer/queue.py declares) and every queue bound on the broker (queues made per workspace at run
    time included), without Celery's own control and event queues."""
    from tracer.celery import app

    names = set(app.amqp.queues.keys())
    prefix = _transport_option("global_keyprefix", "")
    for key in client.scan_iter(match=f"{prefix}{BINDING_PREFIX}*", count=500):
        exchange = _text(key)[len(prefix) + len(BINDING_PREFIX) :]
        if exchange.endswith("pidbox") or exchange.startswith("celeryev"):
            continue
        for member in client.smembers(key):
            queue = _text(member).split(SEP)[-1]
            if queue:
                names.add(queue)
    return sorted(names)


def queue_depths(client: redis.Redis, names: Iterable[str]) -> dict[str, int]:
    """Waiting tasks per queue: the list lengths of the queue and its priority steps."""
    prefix = _transport_option("global_keyprefix", "")
    steps = [s for s in _transport_option("priority_steps", [0, 3, 6, 9]) if s]
    names = list(names)
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.llen(f"{prefix}{name}")
            for step in steps:
                pipe.llen(f"{prefix}{name}{SEP}{step}")
        sizes = pipe.execute()
    per_queue = 1 + len(steps)
    return {name: int(sum(sizes[i * per_queue : (i + 1) * per_queue])) for i, name in enumerate(names)}


class ScrapeTimeCollector(Collector):
    """Gauges read from Redis and the database when Prometheus scrapes (no state kept between scrapes)."""

    def collect(self) -> Iterator[Metric]:
        from .models import Trace

        broker_up = GaugeMetricFamily("tracer_broker_up", "1 when the broker (Redis) answered this scrape")
        depth = GaugeMetricFamily("tracer_queue_depth", "Tasks waiting in a Celery queue", labels=["queue"])
        unacked = GaugeMetricFamily("tracer_queue_unacked", "Tasks taken by a worker and not yet acknowledged")
        client = broker_client()
        try:
            for name, size in queue_depths(client, queue_names(client)).items():
                depth.add_metric([name], size)
            unacked.add_metric([], client.hlen(_transport_option("global_keyprefix", "") + "unacked"))
            broker_up.add_metric([], 1)
        except (redis.RedisError, OSError) as exc:
            logger.warning("metrics: the broker did not answer: %s", exc)
            broker_up.add_metric([], 0)
        yield broker_up
        yield depth
        yield unacked

        db_up = GaugeMetricFamily("tracer_database_up", "1 when the database answered this scrape")
        pending = GaugeMetricFamily("tracer_traces_pending", "Traces queued or running, by state", labels=["state"])
        try:
            counts = {Trace.State.QUEUED.value: 0, Trace.State.RUNNING.value: 0}
            rows = Trace.objects.filter(state__in=list(counts)).order_by().values("state").annotate(n=Count("pk"))
            for row in rows:
                counts[row["state"]] = row["n"]
            for state, n in counts.items():
                pending.add_metric([state], n)
            db_up.add_metric([], 1)
        except DatabaseError as exc:
            logger.warning("metrics: the database did not answer: %s", exc)
            db_up.add_metric([], 0)
        yield db_up
        yield pending


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> bytes:
    """The text exposition format of every metric, for one scrape."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Delegate(LOCAL))
    registry.register(ScrapeTimeCollector())
    return generate_latest(registry)


def worker_exposition_registry() -> CollectorRegistry:
    """What a worker's own metrics endpoint serves: the trace metrics its processes observed (no scrape-time
    gauges: the web pods serve those, and a worker need not reach the database for a scrape)."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Delegate(LOCAL))
    return registry


def serve_worker_metrics(port: int, addr: str = "0.0.0.0") -> Any:  # all interfaces: the pod's own port
    """Start the worker's metrics endpoint (a thread of the worker's main process); the server is returned.

    In a cluster the workers run in pods of their own, where the web pods' /metrics cannot see their files:
    TRACER_WORKER_METRICS_PORT opens this endpoint (docs/operations.md)."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=addr, registry=worker_exposition_registry())
    return server


@worker_ready.connect
def _serve_metrics(**_: Any) -> None:
    """TRACER_WORKER_METRICS_PORT: serve this worker's trace metrics over HTTP (workers in their own pods). The
    worker imports this module with its tasks (tracer/tasks.py), which connects the signal."""
    port = os.environ.get("TRACER_WORKER_METRICS_PORT")
    if port:
        serve_worker_metrics(int(port))


class _Delegate(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        return iter(self.source.collect())
