"""Importing a trace-v1 JSON file (someone's `manage.py trace -o json`) as a trace of the workspace.

The file is checked against tracer/engine/schema/trace-v1.schema.json; errors name the JSON path. The trace is
stored finished, on a snapshot of kind "imported trace" that holds no objects (the file has none), so it is
viewed, downloaded and shared like any other trace; re-running it and applying fixes need the manifests.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
from django.db import transaction
from django.utils import timezone

from tracer.engine.result import SCHEMA

from .models import Scenario, Snapshot, Trace, Workspace

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SCHEMA_FILE = Path(__file__).resolve().parent / "engine" / "schema" / "trace-v1.schema.json"
MAX_IMPORT_BYTES = 32 * 1024 * 1024
MAX_REQUESTS = 500


class TraceImportError(ValueError):
    """Why a file is not an importable trace; ``where`` is the JSON path ("requests[2].hops[0].status")."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def parse_trace_file(name: str, data: bytes) -> dict[str, Any]:
    if len(data) > MAX_IMPORT_BYTES:
        raise TraceImportError(f"{name} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
    def refuse(constant: str) -> None:  # Python's json reads Infinity and NaN, which JSON does not have
        raise TraceImportError(f"{name} holds {constant}, which is not a JSON number")

    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=refuse)
    except UnicodeDecodeError as exc:
        raise TraceImportError(f"{name} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise TraceImportError(f"{name} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    except RecursionError:
        raise TraceImportError(f"{name} nests its JSON too deeply to be a trace") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise TraceImportError(f"{name} is not a {SCHEMA} trace (schema: {found!s}); export one with "
                           "`manage.py trace ... -o json` or the JSON download of a trace page")
    error = next(iter(sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        raise TraceImportError(error.message, _path(error.absolute_path) or "the document")
    if not doc["requests"]:
        raise TraceImportError("the trace has no requests", "requests")
    if len(doc["requests"]) > MAX_REQUESTS:
        raise TraceImportError(f"more than {MAX_REQUESTS} requests", "requests")
    return doc


def _scenario_request(doc: dict[str, Any]) -> dict[str, Any]:
    """What the trace asked: its journey (from the first request's step) or its first request."""
    first = doc["requests"][0]
    req = first.get("request") or {}
    if first.get("step"):
        return {"journey": {"start": req.get("url", ""), "method": req.get("method", "GET")}}
    headers = [[k, v] for k, v in (req.get("headers") or {}).items()]
    return {"method": req.get("method", "GET"), "url": req.get("url", ""), "headers": headers,
            "http_version": req.get("http_version", "1.1")}


def import_trace(workspace: Workspace, user: User | None, name: str, data: bytes) -> Trace:
    doc = parse_trace_file(name, data)
    info = doc.get("snapshot") or {}
    now = timezone.now()
    with transaction.atomic():
        snapshot = Snapshot.objects.create(
            workspace=workspace, name=f"Imported: {name}"[:200], source=Snapshot.Source.IMPORT,
            content_hash=str(info.get("hash") or "")[:64], object_count=0, counts_by_kind={},
            controllers={"default": info.get("controller") or "", "reason": "from the imported trace file",
                         "candidates": [info.get("controller")] if info.get("controller") else []},
            warnings=[], files=[name], created_by=user,
        )
        scenario = Scenario.objects.create(workspace=workspace, request=_scenario_request(doc),
                                           options=doc.get("options") or {}, created_by=user)
        return Trace.objects.create(
            workspace=workspace, scenario=scenario, snapshot=snapshot, state=Trace.State.DONE, result=doc,
            queued_at=now, enqueued_at=now, started_at=now, finished_at=now, created_by=user,
        )
