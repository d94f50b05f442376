"""The shared test world (healthchecks' BaseTestCase): alice owns a workspace, bob is a member of it,
charlie is an outsider with a workspace of his own. Alice's workspace has one snapshot and one finished trace.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.contrib.auth.models import User
from django.test import TestCase, override_settings

from tracer import queue
from tracer.models import Membership, Snapshot, Trace, default_workspace
from tracer.queue import submit_trace
from tracer.tasks import execute_trace
from tracer.uploads import load

MANIFEST = b"""\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1, ports: [{containerPort: 8080}]}]}
"""


def make_snapshot(workspace: Any, user: Any, manifest: bytes = MANIFEST, name: str = "shop") -> Snapshot:
    return Snapshot.create_from_engine(load([("m.yaml", manifest)]), workspace=workspace, name=name, created_by=user)


def broker(**kwargs: Any) -> Any:
    """Stand in for the broker: patches the publishing call (kwargs as for mock.patch, e.g. side_effect)."""
    return mock.patch.object(queue.app, "send_task", **kwargs)


def published(trace: Trace) -> Any:
    """The call ``broker()`` records for publishing ``trace``."""
    return mock.call(queue.RUN_TRACE_TASK, args=(str(trace.pk),), queue=queue.queue_for_trace(trace.pk))


def run_trace_now(
    snapshot: Snapshot,
    user: Any,
    url: str = "http://shop.example.com/cart",
    *,
    request: dict[str, Any] | None = None,
    **options: Any,
) -> Trace:
    """Submit and run a trace in-process; ``request`` (e.g. ``{"journey": {...}}``) replaces the GET of ``url``."""
    spec = request if request is not None else {"method": "GET", "url": url}
    trace, _ = submit_trace(snapshot=snapshot, request=spec, options=options, user=user)
    execute_trace(str(trace.pk), "test-worker")
    trace.refresh_from_db()
    return trace


@override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    SECURE_SSL_REDIRECT=False,
    # The trace page's short long-poll (views.traces.wait_for_finish) would only slow tests of queued traces.
    TRACER_PAGE_WAIT_SECONDS=0.0,
    TRACER_STATUS_WAIT_SECONDS=0.0,
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
)
class BaseTestCase(TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.alice = User.objects.create_user("alice", "alice@example.org", "password")
        self.workspace = default_workspace(self.alice)
        self.bob = User.objects.create_user("bob", "bob@example.org", "password")
        Membership.objects.create(workspace=self.workspace, user=self.bob, role=Membership.Role.MEMBER)
        self.charlie = User.objects.create_user("charlie", "charlie@example.org", "password")
        self.snapshot = make_snapshot(self.workspace, self.alice)

    def make_trace(self, **options: Any) -> Trace:
        return run_trace_now(self.snapshot, self.alice, **options)

    def login(self, user: User) -> None:
        self.client.force_login(user)
