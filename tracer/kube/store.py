"""Turning a pull result into a stored Snapshot (the web app's ``Snapshot.create_from_engine``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .pull import PullResult

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from tracer.models import Snapshot, Workspace


def source_name(result: PullResult) -> str:
    """The provenance "file" of every pulled object: the context, or the server in-cluster."""
    return f"cluster:{result.context}" if result.context else f"cluster:{result.server}"


def default_name(result: PullResult) -> str:
    return f"{result.context or 'in-cluster'} {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"


def store_pull(result: PullResult, *, workspace: Workspace, user: User | None, name: str = "") -> Snapshot:
    """Load the pulled objects through the engine's loader (same rules as uploads) and store them.

    Pull warnings (forbidden kinds, reduced Secrets) are kept with the loader's warnings on the snapshot.
    Raises the engine's LoadError when the pull exceeds the loader's limits (e.g. more than 100,000 objects).
    """
    from tracer.engine import LoadWarning, load_manifests
    from tracer.models import Snapshot

    source = source_name(result)
    engine_snapshot = load_manifests(result.objects, name=source)
    engine_snapshot.warnings[:0] = [LoadWarning(message, file=source) for message in result.warnings]
    return Snapshot.create_from_engine(
        engine_snapshot,
        workspace=workspace,
        name=(name or "").strip() or default_name(result),
        source=Snapshot.Source.CLUSTER_PULL,
        created_by=user,
        files=[source],
    )
