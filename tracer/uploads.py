"""Turning uploaded files, archives and pasted text into a stored snapshot (or the loader's errors)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from tracer.engine import Snapshot as EngineSnapshot

    from .models import Snapshot, Workspace

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


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
        return UploadOutcome(errors=[error(f"the upload is larger than {settings.TRACER_MAX_UPLOAD_BYTES} bytes")])
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
        name=(name or "").strip() or default_name(items),
        source=source,
        created_by=user,
        files=sorted({o.source.file for o in engine_snapshot.objects}),
    )
    return UploadOutcome(snapshot=snap)
