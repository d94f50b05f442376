"""A derived snapshot written back as manifest files: one YAML stream per input file, documents in order.

Comments and formatting of the originals are not kept (the objects are re-serialised); file names are the
inputs' own, relative to their common folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ..snapshot import K8sObject, Snapshot


def documents_by_file(snapshot: Snapshot) -> dict[str, list[K8sObject]]:
    files: dict[str, list[K8sObject]] = {}
    for obj in sorted(snapshot.objects, key=lambda o: (o.source.file, o.source.document)):
        files.setdefault(obj.source.file, []).append(obj)
    return files


def render_file(objects: list[K8sObject]) -> str:
    return yaml.safe_dump_all([o.body for o in objects], sort_keys=False, default_flow_style=False,
                              allow_unicode=True, width=120)


def write_snapshot(snapshot: Snapshot, folder: Path) -> list[Path]:
    """Write every file of ``snapshot`` under ``folder``; the paths written."""
    files = documents_by_file(snapshot)
    names = [f for f in files if not f.startswith("<")]
    common = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in names]) if names else ""
    written = []
    for name, objects in files.items():
        rel = os.path.relpath(os.path.abspath(name), common) if common and not name.startswith("<") else \
            name.strip("<>").replace(" ", "-") + ".yaml"
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_file(objects), encoding="utf-8")
        written.append(target)
    return written
