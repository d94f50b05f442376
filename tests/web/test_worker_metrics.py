"""A worker's own metrics endpoint (TRACER_WORKER_METRICS_PORT): the trace metrics its processes observed,
for workers that run in pods of their own."""

from __future__ import annotations

import os
import socket
import urllib.request
from unittest import mock

from tracer import metrics
from tracer.metrics import TRACE_DURATION, serve_worker_metrics


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_worker_endpoint_serves_trace_metrics_only() -> None:
    TRACE_DURATION.labels("done").observe(0.25)
    port = _free_port()
    server = serve_worker_metrics(port, addr="127.0.0.1")
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        server.shutdown()
    assert 'tracer_trace_duration_seconds_count{outcome="done"}' in text
    assert "tracer_queue_depth" not in text  # scrape-time gauges stay on the web's /metrics


def test_worker_ready_opens_it_only_when_asked() -> None:
    with mock.patch("tracer.metrics.serve_worker_metrics") as serve, mock.patch.dict(os.environ, {}, clear=False):
        os.environ.pop("TRACER_WORKER_METRICS_PORT", None)
        metrics._serve_metrics()
        serve.assert_not_called()
        os.environ["TRACER_WORKER_METRICS_PORT"] = "9808"
        metrics._serve_metrics()
        serve.assert_called_once_with(9808)
