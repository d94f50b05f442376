"""The trace page says which controller installation answered, and what the others would answer."""

from __future__ import annotations

from pathlib import Path

from .base import BaseTestCase, make_snapshot, run_trace_now

MULTI = (Path(__file__).parents[1] / "engine" / "fixtures" / "multiple-ingress.yaml").read_bytes()


class InstallationsPageTestCase(BaseTestCase):
    def test_trace_page_names_the_controller_and_the_others(self) -> None:
        snapshot = make_snapshot(self.workspace, self.alice, MULTI, name="two-nginx")
        self.login(self.alice)
        trace = run_trace_now(snapshot, self.alice, url="http://www.example.com/")
        page = self.client.get(trace.get_absolute_url())
        self.assertContains(page, "owns the default IngressClass nginx")
        self.assertContains(page, 'data-testid="other-controllers"')
        self.assertContains(page, "ingress-nginx (ingress-internal/internal-controller) would answer <strong>404 Not Found")
        # Traefik is simulated (the traefik family): it serves only /traefik on this host.
        self.assertContains(page, "traefik (class traefik) would answer <strong>404 Not Found")
