"""Turning uploaded files, archives and pasted text into a stored snapshot (or the loader's errors)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from tracer.names import typed_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from tracer.engine import Snapshot as EngineSnapshot

    from .models import Snapshot, Workspace

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
# Room for a multipart body's framing (boundaries, part headers, the name and namespace fields) above the limit on
# its content, so a body just under the limit is not refused on its Content-Length alone.
MULTIPART_OVERHEAD = 1024 * 1024
_REFUSED = "_tracer_upload_refused"


def too_large_message() -> str:
    mib = settings.TRACER_MAX_UPLOAD_BYTES / (1024 * 1024)
    return (
        f"The upload is larger than {mib:g} MiB, the most tracer accepts in one snapshot; nothing was stored. "
        "Upload fewer or smaller files (an archive of only the manifests tracer needs), or pull from the cluster "
        "one namespace at a time."
    )


class LimitedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: counts the file bytes of a request as they stream in and, once they pass
    TRACER_MAX_UPLOAD_BYTES, stops the upload without reading the rest of the body (StopUpload with
    connection_reset, https://docs.djangoproject.com/en/6.1/ref/files/uploads/#django.core.files.uploadhandler.FileUploadHandler).
    The request is marked so tracer.middleware.UploadLimitMiddleware answers 413 instead of the view."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.TRACER_MAX_UPLOAD_BYTES:
            if self.request is not None:
                setattr(self.request, _REFUSED, True)
            raise StopUpload(connection_reset=True)
        return raw_data  # the next handler (memory or temporary file) stores it

    def file_complete(self, file_size: int) -> None:
        return None


def upload_refused(request: HttpRequest) -> bool:
    """Whether LimitedUploadHandler stopped this request's upload."""
    return bool(getattr(request, _REFUSED, False))


@dataclass
class UploadOutcome:
    snapshot: Snapshot | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


def error(message: str, file: str | None = None, **where: Any) -> dict[str, Any]:
    return {
        "file": file,
        "document": where.get("document"),
        "line": where.get("line"),
        "field": where.get("field"),
        "message": message,
    }


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def collect(files: Iterable[UploadedFile], pasted: str = "") -> list[tuple[str, bytes]]:
    """(filename, bytes) pairs for the loader, which unpacks archives itself."""
    items = [(PurePosixPath(f.name or "upload.yaml").name or "upload.yaml", f.read()) for f in files]
    if pasted.strip():
        items.append(("pasted.yaml", pasted.encode()))
    return items


def default_name(items: list[tuple[str, bytes]]) -> str:
    if len(items) == 1:
        return items[0][0]
    return f"{items[0][0]} and {len(items) - 1} more"


def load(items: list[tuple[str, bytes]], namespace: str = "") -> EngineSnapshot:
    """Run the engine's loader; raises LoadError (with file, document, line) on bad input.
    ``namespace`` goes to objects without one, as `kubectl apply -n` does (empty: ``default``)."""
    from tracer.engine import loader

    return loader.load_files(items, namespace=namespace.strip() or None)


def store_upload(
    *,
    workspace: Workspace,
    user: User | None,
    files: Iterable[UploadedFile],
    pasted: str = "",
    name: str = "",
    source: str = "upload",
    namespace: str = "",
) -> UploadOutcome:
    """Load and store a snapshot. On any error nothing is stored and the errors are returned."""
    from tracer.engine import LoadError, TracerError

    from .models import Snapshot

    items = collect(files, pasted)
    if sum(len(data) for _, data in items) > settings.TRACER_MAX_UPLOAD_BYTES:
        return UploadOutcome(errors=[error(too_large_message())])
    if not items:
        return UploadOutcome(errors=[error("choose files, an archive, or paste YAML")])
    try:
        engine_snapshot = load(items, namespace)
    except LoadError as exc:
        return UploadOutcome(errors=[exc.to_dict()])
    except TracerError as exc:
        return UploadOutcome(errors=[error(str(exc))])
    if len(engine_snapshot) == 0:
        return UploadOutcome(errors=[error("no Kubernetes objects found in the input")])
    snap = Snapshot.create_from_engine(
        engine_snapshot,
        workspace=workspace,
        name=typed_name(name or "") or default_name(items),
        source=source,
        created_by=user,
        files=sorted({o.source.file for o in engine_snapshot.objects}),
    )
    return UploadOutcome(snapshot=snap)
