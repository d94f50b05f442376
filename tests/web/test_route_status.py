"""Route status on the snapshot page: Gateway API conditions and controller warnings (issue 10, item 8)."""

from __future__ import annotations

from pathlib import Path

from tracer.models import Snapshot
from tracer.uploads import load

from .base import BaseTestCase

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _upload(workspace: object, user: object, folder: str, edit: tuple[str, str] | None = None) -> Snapshot:
    items = []
    for p in sorted((EXAMPLES / folder).glob("*.yaml")):
        data = p.read_text()
        if edit is not None:
            data = data.replace(*edit)
        items.append((p.name, data.encode()))
    return Snapshot.create_from_engine(load(items), workspace=workspace, name=folder, created_by=user)


class RouteStatusTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def test_gateway_api_listeners_and_route_conditions_are_shown(self) -> None:
        snap = _upload(self.workspace, self.alice, "gateway-api-basic")
        html = self.client.get(snap.get_absolute_url()).content.decode()
        assert 'data-testid="route-status"' in html and 'data-testid="gateway-status"' in html
        assert "Accepted: Accepted" in html and "ResolvedRefs: ResolvedRefs" in html
        assert "has-problems" not in html

    def test_a_missing_backend_shows_resolved_refs_false(self) -> None:
        snap = _upload(self.workspace, self.alice, "gateway-api-basic",
                       ("- {name: api, port: 8080}", "- {name: no-such-service, port: 8080}"))
        html = self.client.get(snap.get_absolute_url()).content.decode()
        assert "ResolvedRefs: BackendNotFound" in html and "has-problems" in html

    def test_an_ingress_nginx_snapshot_has_no_route_status_section(self) -> None:
        html = self.client.get(self.snapshot.get_absolute_url()).content.decode()
        assert 'data-testid="route-status"' not in html
