from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from tracer.models import ApiToken, Snapshot

from .base import MANIFEST, BaseTestCase, broker


class CommandsTestCase(BaseTestCase):
    def test_create_api_token_prints_the_token_last(self) -> None:
        out = io.StringIO()
        call_command("create_api_token", "alice", stdout=out)
        token = out.getvalue().strip().splitlines()[-1]
        assert ApiToken.authenticate(token).user == self.alice

    def test_requeue_stale(self) -> None:
        out = io.StringIO()
        with broker():
            call_command("requeue_stale", stdout=out)
        assert "requeued" in out.getvalue()


def test_ensure_demo_creates_user_and_demo_snapshot(db: object, tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "m.yaml").write_bytes(MANIFEST)
    out = io.StringIO()
    call_command("ensure_demo", "--username", "admin", "--url", "http://x/", "--examples", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "Log in at http://x/ as admin / " in text
    password = text.split("as admin / ")[1].split()[0]
    assert User.objects.get(username="admin").check_password(password)
    assert Snapshot.objects.get().object_count == 4
    out = io.StringIO()
    call_command("ensure_demo", "--username", "admin", "--examples", str(tmp_path), stdout=out)
    assert Snapshot.objects.count() == 1 and "as admin /" not in out.getvalue()


def test_trace_command_takes_a_client_certificate_and_an_entry(capsys: pytest.CaptureFixture[str]) -> None:
    engine_tests = Path(__file__).parents[1] / "engine"
    fixture = str(engine_tests / "nginx" / "fixtures" / "r1-client-cert-auth.yaml")
    with pytest.raises(SystemExit):
        call_command("trace", "-f", fixture, "--request", "GET https://mydomain.com/")
    assert "400 Bad Request" in capsys.readouterr().out
    call_command("trace", "-f", fixture, "--request", "GET https://mydomain.com/", "--client-cert", "valid")
    assert "200 OK" in capsys.readouterr().out
    multi = str(engine_tests / "fixtures" / "multiple-ingress.yaml")
    call_command("trace", "-f", multi, "--request", "GET http://www.example.com/admin",
                 "--via", "ingress-internal/internal-controller", "-o", "json")
    routed = json.loads(capsys.readouterr().out)["requests"][0]
    assert routed["installation"]["name"] == "ingress-nginx (ingress-internal/internal-controller)"


def test_trace_command_traces_the_snapshots_journeys_and_a_journey_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = Path(__file__).parents[2]
    # examples/vscode-1-prefix carries its own Journey document (journey.yaml); a second one comes from tmp_path.
    journey = tmp_path / "journey.yaml"
    journey.write_text(
        "apiVersion: tracer.dev/v1alpha1\nkind: Journey\nmetadata: {name: vscode-again}\n"
        "spec: {start: 'http://198.51.100.20/vscode/?tkn=T'}\n",
        encoding="utf-8",
    )
    profiles = str(root / "examples/profiles/openvscode-server.yaml")
    stage1 = str(root / "examples/vscode-1-prefix")
    with pytest.raises(SystemExit) as exit_status:
        call_command("trace", "-f", stage1, "-f", str(journey), "--app-profile", profiles, "-o", "json")
    assert exit_status.value.code == 1
    routed = json.loads(capsys.readouterr().out)["requests"]
    assert [(r["step"]["cause"], r["status"]) for r in routed] == [("start", 404), ("start", 404)]
    with pytest.raises(SystemExit):
        call_command("trace", "-f", stage1, "--journey", "http://198.51.100.20/vscode/?tkn=T",
                     "--app-profile", profiles, "--app-profile", profiles)
    text = capsys.readouterr().out
    assert text.startswith("journey from http://198.51.100.20/vscode/?tkn=T: 1 requests, failed")
    assert "   1  start     GET http://198.51.100.20/vscode/?tkn=T  ->  404 Not Found" in text
