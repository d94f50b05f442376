"""JSON logs on request (TRACER_LOG_FORMAT=json, docs/operations.md): one JSON object per line, with the request
id, method, path and status on every line logged while a request is served.

``JsonFormatter`` formats any record; ``RequestContextFilter`` adds the current request's id and path to it;
``RequestLogMiddleware`` gives each request its id (the caller's ``X-Request-ID`` when it is a sane token, else a
new one), echoes it in the response, and logs one line per request on ``tracer.request``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

REQUEST_LOGGER = logging.getLogger("tracer.request")
# What a line may carry about the request it was logged in; set by the middleware for the request's duration.
_request: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("tracer_request", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# The attributes every LogRecord has; anything else on a record was passed with `extra=` and is kept.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message; then the request fields and any `extra=` values."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in out:
                out[key] = _plain(value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def _plain(value: Any) -> Any:
    """JSON-ready: Django puts the request object and the socket on some records; keep their text only."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, HttpRequest):
        return value.get_full_path()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


class RequestContextFilter(logging.Filter):
    """Adds request_id, method and path of the request being served (if any) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _request.get()
        # Django logs a 4xx/5xx (django.request) once the middleware has returned: it passes the request along.
        request = getattr(record, "request", None)
        if fields is None and isinstance(request, HttpRequest):
            fields = getattr(request, "log_fields", None)
        for key, value in (fields or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        if hasattr(record, "status_code") and not hasattr(record, "status"):
            record.status = record.status_code
        return True


def log_format() -> str:
    return str(getattr(settings, "TRACER_LOG_FORMAT", "text"))


class RequestLogMiddleware:
    """Request ids and one log line per request, in JSON mode only (in text mode gunicorn's access log is the
    request log, and this middleware steps aside)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if log_format() != "json":
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        fields = {"request_id": request_id, "method": request.method or "", "path": request.path}
        request.log_fields = fields  # type: ignore[attr-defined]
        token = _request.set(fields)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            REQUEST_LOGGER.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={"status": response.status_code, "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
            )
            return response
        finally:
            _request.reset(token)
