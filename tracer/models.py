"""Workspaces, snapshots and their objects, scenarios, traces, share links and API tokens.

Public identifiers are UUIDs (or random tokens); integer primary keys never appear in URLs.
Behaviour lives on the models (hc style): ``Trace.claim`` is the conditional UPDATE the task relies on.
Publishing to the task queue and judging whether a worker is alive live in tracer/queue.py, which
imports these models (never the other way round).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from tracer.engine import Snapshot as EngineSnapshot

BULK_BATCH = 2000


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


# -- workspaces ----------------------------------------------------------------------------------------


class Workspace(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_member(self, user: User) -> bool:
        return user.is_authenticated and self.memberships.filter(user=user).exists()

    def is_owner(self, user: User) -> bool:
        return user.is_authenticated and self.memberships.filter(user=user, role=Membership.Role.OWNER).exists()

    def can_write(self, user: User) -> bool:
        """Owners and members submit traces, upload, apply fixes and share; read-only members only look."""
        return user.is_authenticated and self.memberships.filter(user=user).exclude(
            role=Membership.Role.READONLY).exists()

    def role_of(self, user: User) -> str | None:
        if not user.is_authenticated:
            return None
        return self.memberships.filter(user=user).values_list("role", flat=True).first()

    @classmethod
    def for_user(cls, user: User) -> models.QuerySet[Workspace]:
        return cls.objects.filter(memberships__user=user)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"
        READONLY = "readonly", "Read-only"

    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="uniq_membership")]
        ordering = ["created_at"]


def new_invite_token() -> str:
    return secrets.token_urlsafe(24)


class Invite(models.Model):
    """A workspace invitation: to an e-mail address, or an open link anyone logged in can accept once."""

    token = models.CharField(max_length=64, unique=True, default=new_invite_token)
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="invites")
    email = models.EmailField(blank=True)  # empty: a link invite
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


def default_workspace(user: User) -> Workspace:
    """The workspace the user owns, created on first use."""
    # Owned workspaces first, then those the user may write to, then read-only ones.
    rank = models.Case(
        models.When(role=Membership.Role.OWNER, then=0), models.When(role=Membership.Role.MEMBER, then=1), default=2,
    )
    def first() -> Membership | None:
        return Membership.objects.filter(user=user).select_related("workspace").order_by(rank, "created_at").first()

    membership = first()
    if membership is not None:
        return membership.workspace
    with transaction.atomic():
        # Two first requests of one user at once: the user row's lock (an IMMEDIATE transaction on SQLite) makes
        # the second wait and find the first one's workspace instead of creating another.
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        membership = first()
        if membership is not None:
            return membership.workspace
        workspace = Workspace.objects.create(name=f"{user.get_username()}'s workspace")
        Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.OWNER)
    return workspace


# -- snapshots -----------------------------------------------------------------------------------------


class Snapshot(models.Model):
    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        API = "api", "API"
        CLUSTER_PULL = "cluster-pull", "Cluster pull"
        IMPORT = "import", "Imported trace"  # holds no objects: the snapshot of a trace-v1 file uploaded as is

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="snapshots")
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.UPLOAD)
    content_hash = models.CharField(max_length=64, db_index=True)
    object_count = models.PositiveIntegerField(default=0)
    counts_by_kind = models.JSONField(default=dict)
    # {"default": family, "reason": "...", "candidates": [family, ...]}
    controllers = models.JSONField(default=dict)
    warnings = models.JSONField(default=list)
    files = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A snapshot derived by applying a fix: the original (never changed) and what was applied
    # ({"code", "fix", "patches", "trace", "request"}; empty for an uploaded or pulled snapshot).
    derived_from = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="derived")
    derivation = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tracer-snapshot", args=[self.id])

    @property
    def detected_controllers(self) -> list[str]:
        return list(
            self.controllers.get("candidates")
            or ([self.controllers["default"]] if self.controllers.get("default") else [])
        )

    @classmethod
    def create_from_engine(
        cls,
        engine_snapshot: EngineSnapshot,
        *,
        workspace: Workspace,
        name: str,
        source: str = Source.UPLOAD,
        created_by: User | None = None,
        files: Iterable[str] = (),
    ) -> Snapshot:
        """Store an engine snapshot and all its objects (in batches) in one transaction."""
        from tracer.engine.detect import detect_controller

        detection = detect_controller(engine_snapshot)
        with transaction.atomic():
            snap = cls.objects.create(
                workspace=workspace,
                name=name[:200],
                source=source,
                content_hash=engine_snapshot.content_hash,
                object_count=len(engine_snapshot),
                counts_by_kind=engine_snapshot.counts_by_kind(),
                controllers={
                    "default": detection.family,
                    "reason": detection.reason,
                    "candidates": detection.candidates or [detection.family],
                },
                warnings=[w.to_dict() for w in engine_snapshot.warnings],
                files=sorted(set(files)),
                created_by=created_by,
            )
            rows = (
                SnapshotObject(
                    snapshot=snap,
                    group=obj.group,
                    kind=obj.kind,
                    namespace=obj.namespace or "",
                    name=obj.name,
                    file=obj.source.file,
                    document=obj.source.document,
                    line=obj.source.line,
                    body=obj.body,
                    body_hash=body_hash(obj.body),
                )
                for obj in engine_snapshot.objects
            )
            batch: list[SnapshotObject] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= BULK_BATCH:
                    SnapshotObject.objects.bulk_create(batch)
                    batch = []
            if batch:
                SnapshotObject.objects.bulk_create(batch)
        return snap

    def to_engine(self) -> EngineSnapshot:
        """Rebuild the engine snapshot from the stored rows (same order as stored)."""
        from tracer.engine.compact import SharedValues
        from tracer.engine.snapshot import K8sObject, LoadWarning
        from tracer.engine.snapshot import Snapshot as EngineSnapshot
        from tracer.engine.snapshot import Source as EngineSource

        rows = self.k8s_objects.order_by("pk").values_list("body", "file", "document", "line").iterator(chunk_size=2000)
        # Each row decodes its own copies of the same keys and values: shared, the compiled snapshot of 10,000
        # Ingresses takes about 290 MB instead of 380 MB (tracer/engine/compact.py).
        shared = SharedValues()
        objects = [K8sObject(shared.body(body), EngineSource(file, document, line))
                   for body, file, document, line in rows]
        # Load warnings were recorded at upload; duplicates were already resolved then.
        warnings = [
            LoadWarning(
                message=str(w["message"]),
                file=w.get("file"),
                document=w.get("document"),
                line=w.get("line"),
                field=w.get("field"),
            )
            for w in self.warnings
            if isinstance(w, dict) and w.get("message")
        ]
        return EngineSnapshot.from_objects(objects, warnings)

    def to_api(self, request: Any = None) -> dict[str, Any]:
        url = self.get_absolute_url()
        return {
            "id": str(self.id),
            "name": self.name,
            "url": request.build_absolute_uri(url) if request is not None else url,
            "source": self.source,
            "content_hash": self.content_hash,
            "objects": self.object_count,
            "counts_by_kind": self.counts_by_kind,
            "controllers": self.controllers,
            "warnings": self.warnings,
            "created_at": self.created_at.isoformat(),
        }


class SnapshotObject(models.Model):
    snapshot = models.ForeignKey(Snapshot, models.CASCADE, related_name="k8s_objects")
    group = models.CharField(max_length=253, blank=True)
    kind = models.CharField(max_length=100)
    namespace = models.CharField(max_length=253, blank=True)
    name = models.CharField(max_length=253)
    file = models.CharField(max_length=500)
    document = models.IntegerField(default=0)
    line = models.IntegerField(default=1)
    body = models.JSONField()
    body_hash = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["snapshot", "kind", "namespace", "name"], name="snapobj_key"),
            models.Index(fields=["snapshot", "namespace"], name="snapobj_ns"),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.group, self.kind, self.namespace, self.name)

    @property
    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def get_absolute_url(self) -> str:
        from urllib.parse import urlencode

        query = urlencode({"group": self.group, "kind": self.kind, "namespace": self.namespace, "name": self.name})
        return f"{reverse('tracer-snapshot-object', args=[self.snapshot_id])}?{query}"


# -- scenarios and traces ------------------------------------------------------------------------------


class Scenario(models.Model):
    """What the client does: one request, or a browser journey. ``request`` is what the engine traces: its
    request mapping, or ``{"journey": {...spec...}}`` (docs/journeys.md)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="scenarios")
    # {method, url, headers: [[name, value], ...], http_version, client_ip, body_bytes} or {journey: {...}}
    request = models.JSONField(default=dict)
    # {controller, assume_endpoints, seed}
    options = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    @property
    def journey(self) -> dict[str, Any] | None:
        """The journey spec, when the scenario is a browser journey."""
        spec = self.request.get("journey")
        return spec if isinstance(spec, dict) else None

    @property
    def label(self) -> str:
        if self.journey is not None:
            return f"Journey {str(self.journey.get('method') or 'GET').upper()} {self.journey.get('start', '')}"
        return f"{self.request.get('method', 'GET')} {self.request.get('url', '')}"


class Trace(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="traces")
    scenario = models.ForeignKey(Scenario, models.CASCADE, related_name="traces")
    snapshot = models.ForeignKey(Snapshot, models.CASCADE, related_name="traces")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    # Last time a task was published for this trace; None when publishing failed (broker down).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    engine_ms = models.FloatField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    # A name a teammate gave it ("checkout 503 during the incident"); empty: shown by its request.
    name = models.CharField(max_length=200, blank=True)
    # The trace this one was made from: a fix applied to it, a re-run, an edit, a followed redirect or a diff
    # comparison (the "before" of the comparison page; the page tells the kinds apart from the data).
    before = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="after")

    class Meta:
        ordering = ["-queued_at"]
        indexes = [models.Index(fields=["state", "queued_at"], name="trace_state")]

    def __str__(self) -> str:
        return f"{self.scenario.label} on {self.snapshot.name}"

    def get_absolute_url(self) -> str:
        return reverse("tracer-trace", args=[self.id])

    @property
    def title(self) -> str:
        """What lists and headings show: its name, else the request or journey it traced."""
        return self.name or self.scenario.label

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def poll_ms(self) -> int:
        """How long the page waits before asking again: often while a trace usually finishes (the result shows
        within a poll of the engine finishing), then backing off for one stuck behind others or a broker outage."""
        age = (timezone.now() - self.queued_at).total_seconds()
        return 150 if age < 5 else 500 if age < 30 else 2000

    @property
    def final(self) -> dict[str, Any] | None:
        if not self.result or not self.result.get("requests"):
            return None
        return self.result["requests"][-1]

    # -- the worker's side ---------------------------------------------------------------------------

    @staticmethod
    def running_stale_before() -> Any:
        return timezone.now() - timedelta(seconds=settings.TRACER_RUNNING_STALE_SECONDS)

    def claim(self, worker: str) -> bool:
        """Conditional UPDATE: queued, or running for longer than a task may take, becomes running by ``worker``.

        Returns False when another worker holds it or it is finished (a duplicate delivery). A claim
        whose process died on this host is released first by ``tracer.queue.release_if_abandoned``.
        """
        now = timezone.now()
        claimable = Q(state=self.State.QUEUED) | Q(state=self.State.RUNNING, started_at__lt=self.running_stale_before())
        updated = Trace.objects.filter(claimable, pk=self.pk).update(
            state=self.State.RUNNING,
            started_at=now,
            claimed_by=worker[:200],
            attempts=models.F("attempts") + 1,
        )
        if updated:
            self.refresh_from_db()
        return updated == 1

    def finish(self, worker: str, result: dict[str, Any], engine_ms: float) -> bool:
        return bool(
            Trace.objects.filter(pk=self.pk, state=self.State.RUNNING, claimed_by=worker[:200]).update(
                state=self.State.DONE, result=result, error="", engine_ms=engine_ms, finished_at=timezone.now()
            )
        )

    def fail(self, worker: str, message: str) -> bool:
        return bool(
            Trace.objects.filter(pk=self.pk, state=self.State.RUNNING, claimed_by=worker[:200]).update(
                state=self.State.FAILED, error=message[:10000], finished_at=timezone.now()
            )
        )

    def release(self, worker: str) -> None:
        """Give the trace back to the queue (before a retry)."""
        Trace.objects.filter(pk=self.pk, state=self.State.RUNNING, claimed_by=worker[:200]).update(
            state=self.State.QUEUED, claimed_by=""
        )

    # -- the web side --------------------------------------------------------------------------------

    def workspace_share_link(self) -> ShareLink | None:
        """The active workspace-only link, if there is one (reading never creates one)."""
        return self.share_links.filter(visibility=ShareLink.Visibility.WORKSPACE, revoked_at__isnull=True).first()

    def share_link(self, user: User | None = None) -> ShareLink:
        """The active workspace-only link, created when missing."""
        link = self.workspace_share_link()
        if link is not None:
            return link
        with transaction.atomic():
            # Serialise concurrent first calls on the trace row, so one link is created, not two.
            Trace.objects.select_for_update().filter(pk=self.pk).first()
            link = self.workspace_share_link()
            if link is None:
                link = ShareLink.objects.create(trace=self, visibility=ShareLink.Visibility.WORKSPACE, created_by=user)
        return link

    def to_api(self, request: Any = None) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "state": self.state,
            "snapshot": str(self.snapshot_id),
            "scenario": str(self.scenario_id),
            "request": None if self.scenario.journey is not None else self.scenario.request,
            "journey": self.scenario.journey,
            "options": self.scenario.options,
            "trace": self.result if self.state == self.State.DONE else None,
            "error": self.error or None,
            "url": request.build_absolute_uri(self.get_absolute_url()) if request else self.get_absolute_url(),
            "queued_at": self.queued_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "engine_ms": self.engine_ms,
            "attempts": self.attempts,
        }


def new_share_token() -> str:
    return secrets.token_urlsafe(24)


class ShareLink(models.Model):
    class Visibility(models.TextChoices):
        WORKSPACE = "workspace", "Workspace members"
        PUBLIC = "public", "Anyone with the link"

    token = models.CharField(max_length=64, unique=True, default=new_share_token)
    trace = models.ForeignKey(Trace, models.CASCADE, related_name="share_links")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.WORKSPACE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def get_absolute_url(self) -> str:
        return reverse("tracer-share", args=[self.token])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def can_view(self, user: Any) -> bool:
        if self.revoked_at is not None:
            return False
        if self.visibility == self.Visibility.PUBLIC:
            return True
        return bool(user.is_authenticated) and self.trace.workspace.is_member(user)


# -- API tokens ----------------------------------------------------------------------------------------

TOKEN_PREFIX = "trc_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """Only a hash is stored; the token itself is shown once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @classmethod
    def issue(cls, user: User, name: str = "", workspace: Workspace | None = None) -> tuple[ApiToken, str]:
        """Create a token; returns the row and the plaintext (shown once, never stored)."""
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user,
            workspace=workspace or default_workspace(user),
            name=name[:100],
            prefix=plaintext[:10],
            token_hash=hash_token(plaintext),
        )
        return row, plaintext

    @classmethod
    def authenticate(cls, plaintext: str) -> ApiToken | None:
        if not plaintext:
            return None
        row = cls.objects.select_related("user", "workspace").filter(token_hash=hash_token(plaintext)).first()
        if row is None or not row.user.is_active or not row.workspace.is_member(row.user):
            return None
        cls.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        return row
