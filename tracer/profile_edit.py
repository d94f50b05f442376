"""Editing an AppProfile on the snapshot page: validated YAML in, a derived snapshot out.

A stored snapshot never changes (its traces are pinned to it), so saving an edited or new profile stores a
copy with that one document replaced or added, linked to the original like a fix (``derived_from``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

from tracer.engine import LoadError, TracerError
from tracer.engine.fixes import Patch, apply_patches
from tracer.engine.profiles import API_VERSION, KIND, parse_profile

from .models import Snapshot
from .presenters import to_yaml
from .uploads import load

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NEW_PROFILE_FILE = "app-profiles.yaml"
EDIT_SOURCE = "profile editor"


@dataclass(frozen=True, slots=True)
class ProfileError(Exception):
    """What is wrong with the edited text: a message, and the field and line when known."""

    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = " ".join(x for x in (f"line {self.line}" if self.line else "", self.field) if x)
        return f"{where}: {self.message}" if where else self.message


def starter_profile(namespace: str, service: str) -> str:
    """The text a new profile starts from: answer / with a page, everything else 404."""
    return to_yaml({
        "apiVersion": API_VERSION, "kind": KIND,
        "metadata": {"name": service or "my-app", "namespace": namespace or "default"},
        "spec": {
            "selector": {"service": service or "my-app"},
            "routes": [{"path": {"exact": "/"}, "respond": {"status": 200, "contentType": "text/html"}}],
            "default": {"status": 404},
        },
    })


def profile_documents(snapshot: Snapshot) -> list[dict[str, Any]]:
    rows = snapshot.k8s_objects.filter(kind=KIND).order_by("namespace", "name").values_list(
        "namespace", "name", "file", "body")
    return [{"namespace": ns, "name": name, "file": file, "yaml": to_yaml(body), "key": f"{ns}/{name}",
             "selector": ((body.get("spec") or {}).get("selector") or {}) if isinstance(body, dict) else {}}
            for ns, name, file, body in rows]


def profiles_context(snapshot: Snapshot) -> dict[str, Any]:
    """What the snapshot page's profile section shows: the profiles, and a starter for a Service without one."""
    docs = profile_documents(snapshot)
    covered = {(d["namespace"], (d["selector"] or {}).get("service")) for d in docs}
    service = snapshot.k8s_objects.filter(kind="Service").exclude(namespace="kube-system").order_by(
        "namespace", "name").values_list("namespace", "name")
    first = next(((ns, name) for ns, name in service if (ns, name) not in covered), ("default", "my-app"))
    return {"profiles": docs, "profile_starter": starter_profile(*first), "profile_open": "", "profile_text": ""}


def _parse(text: str) -> dict[str, Any]:
    try:
        snap = load([(EDIT_SOURCE, text.encode("utf-8"))])
    except LoadError as exc:
        raise ProfileError(exc.message, exc.field or "", exc.line) from exc
    except TracerError as exc:
        raise ProfileError(str(exc)) from exc
    objects = list(snap.objects)
    if len(objects) != 1:
        raise ProfileError(f"give exactly one AppProfile document, not {len(objects)}")
    (obj,) = objects
    try:
        parse_profile(obj)
    except LoadError as exc:
        raise ProfileError(exc.message, exc.field or "", exc.line) from exc
    return obj.body


def save_profile(snapshot: Snapshot, original: str, text: str, user: User | None) -> Snapshot:
    """A derived snapshot with the profile ``original`` ("ns/name", or "" for a new one) replaced by ``text``."""
    body = _parse(text)
    meta = body.get("metadata") or {}
    ns, name = str(meta.get("namespace") or "default"), str(meta["name"])
    engine_snapshot = snapshot.to_engine()
    patches = []
    if original:
        old_ns, _, old_name = original.partition("/")
        old = engine_snapshot.get(KIND, old_ns, old_name)
        if old is None:
            raise ProfileError(f"the snapshot has no AppProfile {original}")
        if (old_ns, old_name) == (ns, name):
            patches.append(Patch("replace", API_VERSION, KIND, ns, name, old.source.file, body,
                                 f"AppProfile {ns}/{name} edited"))
        else:  # renamed: the old one goes, the new one takes its file
            kept = [o for o in engine_snapshot.objects if o is not old]
            engine_snapshot = type(engine_snapshot).from_objects(kept, engine_snapshot.warnings)
            patches.append(Patch("create", API_VERSION, KIND, ns, name, old.source.file, body,
                                 f"AppProfile {original} edited and renamed {ns}/{name}"))
    else:
        if engine_snapshot.get(KIND, ns, name) is not None:
            raise ProfileError(f"an AppProfile {ns}/{name} already exists: edit that one", "metadata.name")
        patches.append(Patch("create", API_VERSION, KIND, ns, name, NEW_PROFILE_FILE, body, f"AppProfile {ns}/{name} added"))
    try:
        derived = apply_patches(engine_snapshot, patches)
    except TracerError as exc:
        raise ProfileError(str(exc)) from exc
    with transaction.atomic():
        copy = Snapshot.create_from_engine(
            derived, workspace=snapshot.workspace, name=f"{snapshot.name} + profile {ns}/{name}",
            source=snapshot.source, created_by=user, files=sorted({o.source.file for o in derived.objects}),
        )
        copy.derived_from = snapshot
        copy.derivation = {"code": "", "fix": patches[0].summary, "patches": [p.to_dict() for p in patches],
                           "profile": f"{ns}/{name}"}
        copy.save(update_fields=["derived_from", "derivation"])
    return copy
