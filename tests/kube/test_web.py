"""The pull page, its Celery task and the htmx progress partial (eager Celery, local-memory job store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kombu.exceptions
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import Client
from kube_apiserver import RecordedAPIServer

from tracer.celery import app as celery_app
from tracer.kube import jobs
from tracer.kube.tasks import pull_snapshot, run_pull_job
from tracer.models import Snapshot, default_workspace

pytestmark = [pytest.mark.django_db, pytest.mark.urls("kube_urls")]


@pytest.fixture(autouse=True)
def pull_settings(settings: Any, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.TRACER_PULL_CACHE = "default"
    settings.TRACER_KUBE_CONTEXTS = ["kind-tracer", "gone"]
    settings.TRACER_KUBECONFIG = str(kubeconfig)
    settings.SECURE_SSL_REDIRECT = False
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    caches["default"].clear()
    yield
    celery_app.conf.task_always_eager = eager
    caches["default"].clear()


@pytest.fixture
def alice() -> Any:
    return get_user_model().objects.create_user("alice")


@pytest.fixture
def client_alice(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def new_job(user: Any, context: str = "kind-tracer", **kwargs: Any) -> str:
    fields: dict[str, Any] = {"namespaces": [], "secrets": "metadata", "name": ""} | kwargs
    return jobs.create(user_id=user.pk, workspace_id=str(default_workspace(user).pk), context=context, **fields)


def test_form_offers_only_configured_contexts(client_alice: Client) -> None:
    response = client_alice.get("/snapshots/pull/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="kind-tracer"' in html and 'value="gone"' in html and 'value="other"' not in html
    assert 'value="metadata"' in html and "checked" in html


def test_form_explains_when_nothing_is_configured(client_alice: Client, settings: Any) -> None:
    settings.TRACER_KUBE_CONTEXTS = []
    response = client_alice.get("/snapshots/pull/")
    assert b"TRACER_KUBE_CONTEXTS" in response.content
    assert b'data-testid="pull-form"' not in response.content


def test_contexts_from_environment(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    del settings.TRACER_KUBE_CONTEXTS
    monkeypatch.setenv("TRACER_KUBE_CONTEXTS", " prod-eu, in-cluster,,prod-eu ")
    assert jobs.configured_contexts() == ["prod-eu", "in-cluster"]


def test_login_required(client: Client) -> None:
    response = client.get("/snapshots/pull/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_submit_pulls_into_the_users_workspace_and_links_the_snapshot(
    client_alice: Client, alice: Any, apiserver: RecordedAPIServer
) -> None:
    response = client_alice.post(
        "/snapshots/pull/", {"context": "kind-tracer", "namespaces": "web, ingress-nginx", "secrets": "tls", "name": ""}
    )
    assert response.status_code == 302
    job_url = response["Location"]
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]

    snap = Snapshot.objects.get()
    assert snap.workspace == default_workspace(alice) and snap.created_by == alice
    assert snap.source == Snapshot.Source.CLUSTER_PULL and snap.name.startswith("kind-tracer ")
    tls = snap.k8s_objects.get(kind="Secret", name="frontend-tls")
    assert set(tls.body["data"]) == {"tls.crt", "ca.crt"}
    assert "/api/v1/namespaces/web/services" in apiserver.paths()

    page = client_alice.get(job_url).content.decode()
    assert "Pulling from kind-tracer" in page and "Namespaces ingress-nginx, web" in page
    assert f'href="/snapshots/{snap.id}/"' in page
    partial = client_alice.get(f"/snapshots/pull/{job_id}/progress/").content.decode()
    assert 'data-state="done"' in partial and "hx-trigger" not in partial  # polling stops
    assert "NetworkPolicy in web: forbidden (403)" in partial
    assert jobs.get(job_id)["snapshot_id"] == str(snap.id)


def test_invalid_input_is_rejected(client_alice: Client) -> None:
    response = client_alice.post("/snapshots/pull/", {"context": "other", "secrets": "metadata"})
    assert response.status_code == 400
    response = client_alice.post(
        "/snapshots/pull/", {"context": "kind-tracer", "namespaces": "web Bad_NS", "secrets": "keys"}
    )
    assert response.status_code == 400
    assert b"not a namespace name: Bad_NS" in response.content
    assert not Snapshot.objects.exists()


def test_broker_down_is_shown_on_the_form(client_alice: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(pull_snapshot, "apply_async", down)
    response = client_alice.post("/snapshots/pull/", {"context": "kind-tracer", "secrets": "metadata"})
    assert response.status_code == 503
    assert b"task queue is unavailable" in response.content


def test_progress_partial_polls_while_running(client_alice: Client, alice: Any) -> None:
    job_id = new_job(alice)
    jobs.update(job_id, state="running", message="Listing Pod", done=5, total=20)

    html = client_alice.get(f"/snapshots/pull/{job_id}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert f'hx-get="/snapshots/pull/{job_id}/progress/"' in html
    assert 'value="25"' in html and "5/20" in html and "Listing Pod" in html


def test_jobs_are_private(client: Client, alice: Any) -> None:
    job_id = new_job(alice)
    bob = get_user_model().objects.create_user("bob")
    client.force_login(bob)
    assert client.get(f"/snapshots/pull/{job_id}/").status_code == 404
    assert client.get(f"/snapshots/pull/{job_id}/progress/").status_code == 404
    assert client.get("/snapshots/pull/not-a-job/").status_code == 404


def test_task_failure_is_a_one_line_result(alice: Any, apiserver: RecordedAPIServer) -> None:
    job_id = new_job(alice, context="gone")  # configured, but not in the kubeconfig
    assert run_pull_job(job_id) == {"job": job_id, "state": "failed"}
    job = jobs.get(job_id)
    assert job["state"] == "failed"
    assert job["message"].startswith("context 'gone' not found in kubeconfig")
    assert not Snapshot.objects.exists()


def test_task_only_uses_configured_contexts(alice: Any, apiserver: RecordedAPIServer) -> None:
    job_id = new_job(alice, context="other")  # in the kubeconfig, but not configured for the UI
    run_pull_job(job_id)
    assert "is not configured for pulls" in jobs.get(job_id)["message"]
    assert apiserver.requests == []


def test_duplicate_delivery_runs_once(alice: Any, apiserver: RecordedAPIServer) -> None:
    job_id = new_job(alice, secrets="none")
    assert run_pull_job(job_id)["state"] == "done"
    assert run_pull_job(job_id) == {"job": job_id, "skipped": "claimed or finished"}
    assert Snapshot.objects.count() == 1
    assert not [p for p in apiserver.paths() if "secrets" in p]
