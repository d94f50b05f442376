"""A loopback HTTP server that answers like kube-apiserver from recorded responses.

Recorded responses live under fixtures/cluster/ as ``<URL path>.json`` (``/api/v1/services`` ->
``api/v1/services.json``), recorded cluster-wide. What the real API server derives from the same storage,
this server derives from the recording the same way: namespaced list paths filter by namespace, ``get`` of a
Namespace picks the item, ``fieldSelector`` filters, ``limit``/``continue`` paginate, and the
PartialObjectMetadataList media type returns the metadata-only form. A recorded ``Status`` body is served
with its ``code`` (the 403). Every request is recorded for the tests to assert on.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "cluster"
TOKEN = "tracer-test-token"

_NAMESPACED_LIST = re.compile(r"^(?P<prefix>/api/v1|/apis/[^/]+/[^/]+)/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)$")
_NAMESPACE_GET = re.compile(r"^/api/v1/namespaces/(?P<name>[^/]+)$")


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class RecordedAPIServer:
    root: Path = FIXTURES
    requests: list[Request] = field(default_factory=list)
    # Paths that fail as if the server were broken, to test non-403 errors.
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> RecordedAPIServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                owner.requests.append(Request(parts.path, query, {k.lower(): v for k, v in self.headers.items()}))
                status, body = owner.respond(parts.path, query, self.headers.get("Accept", ""),
                                             self.headers.get("Authorization", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        # Port 0: the OS picks a free port on loopback.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # -- emulation --------------------------------------------------------------------------------------

    def _load(self, path: str) -> dict[str, Any] | None:
        if path in self.overrides:
            return copy.deepcopy(self.overrides[path])
        file = self.root / (path.strip("/") + ".json")
        if not file.resolve().is_relative_to(self.root.resolve()) or not file.is_file():
            return None
        return json.loads(file.read_text())

    def respond(self, path: str, query: dict[str, str], accept: str, auth: str) -> tuple[int, dict[str, Any]]:
        if auth != f"Bearer {TOKEN}":
            return 401, _status(401, "Unauthorized", "Unauthorized")
        namespace = None
        body = self._load(path)
        if body is None and (m := _NAMESPACED_LIST.match(path)):
            namespace = m["ns"]
            body = self._load(f"{m['prefix']}/{m['plural']}")
        if body is None and (m := _NAMESPACE_GET.match(path)):
            listed = self._load("/api/v1/namespaces") or {}
            item = next((i for i in listed.get("items", []) if i["metadata"]["name"] == m["name"]), None)
            if item is None:
                return 404, _status(404, "NotFound", f'namespaces "{m["name"]}" not found')
            return 200, {"kind": "Namespace", "apiVersion": "v1", **item}
        if body is None:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        if body.get("kind") == "Status":
            return int(body["code"]), body
        if "items" not in body:
            return 200, body
        items = body["items"]
        if namespace is not None:
            items = [i for i in items if i["metadata"].get("namespace") == namespace]
        for term in filter(None, query.get("fieldSelector", "").split(",")):
            key, _, value = term.partition("=")
            items = [i for i in items if _field(i, key) == value]
        start = int(query.get("continue") or 0)
        limit = int(query.get("limit") or 0) or len(items) or 1
        page, rest = items[start : start + limit], items[start + limit :]
        metadata = dict(body.get("metadata") or {})
        if rest:
            metadata["continue"] = str(start + limit)
            metadata["remainingItemCount"] = len(rest)
        if "as=PartialObjectMetadataList" in accept:
            return 200, {
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": metadata,
                "items": [
                    {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": i["metadata"]}
                    for i in page
                ],
            }
        return 200, {**body, "metadata": metadata, "items": page}


def _field(item: dict[str, Any], key: str) -> Any:
    value: Any = item
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def write_kubeconfig(path: Path, server: str, token: str = TOKEN) -> Path:
    """A kubeconfig with two contexts on the same server: ``kind-tracer`` (current) and ``other``."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kind-tracer", "cluster": {"server": server}}],
        "users": [{"name": "tracer-snapshot", "user": {"token": token}}],
        "contexts": [
            {"name": "kind-tracer", "context": {"cluster": "kind-tracer", "user": "tracer-snapshot"}},
            {"name": "other", "context": {"cluster": "kind-tracer", "user": "tracer-snapshot", "namespace": "web"}},
        ],
        "current-context": "kind-tracer",
        "preferences": {},
    }
    path.write_text(json.dumps(doc))
    return path
