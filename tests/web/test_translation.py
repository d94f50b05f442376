"""Translate to Gateway API from the snapshot page: a derived snapshot with the objects (the original
unchanged), its page listing the requests that change on the move with their class, the notes, the YAML."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.urls import reverse

from tracer.models import Membership, Snapshot
from tracer.uploads import load

from .base import BaseTestCase, run_trace_now

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "migration-nginx-to-gateway"


def example_files() -> list[tuple[str, bytes]]:
    # The folder's gateway-api/ subfolder holds the checked-in translation: the original is the rest.
    return [(p.name, p.read_bytes()) for p in sorted(EXAMPLE.glob("*.yaml"))]


class TranslationTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.nginx = Snapshot.create_from_engine(load(example_files()), workspace=self.workspace, name="site",
                                                 created_by=self.alice)
        self.login(self.alice)

    def translate(self, implementation: str = "") -> Snapshot:
        before = set(Snapshot.objects.values_list("pk", flat=True))
        response = self.client.post(reverse("tracer-snapshot-translate", args=[self.nginx.id]),
                                    {"implementation": implementation})
        derived = Snapshot.objects.exclude(pk__in=before).get()
        self.assertRedirects(response, reverse("tracer-snapshot-translation", args=[derived.id]),
                             fetch_redirect_response=False)
        return derived

    def test_the_snapshot_page_offers_it_and_the_translation_is_a_derived_copy(self) -> None:
        page = self.client.get(self.nginx.get_absolute_url()).content.decode()
        self.assertIn('data-testid="translate-form"', page)
        self.assertIn("Envoy Gateway v1.6.0", page)
        count = self.nginx.k8s_objects.count()
        derived = self.translate()
        self.assertEqual(self.nginx.k8s_objects.count(), count)  # the original is untouched
        self.assertEqual(derived.derived_from_id, self.nginx.id)
        kinds = set(derived.k8s_objects.values_list("kind", flat=True))
        self.assertTrue({"Gateway", "HTTPRoute", "GatewayClass"} <= kinds)
        self.assertFalse(derived.k8s_objects.filter(kind="Ingress", namespace="site").exists())
        detail = self.client.get(derived.get_absolute_url()).content.decode()
        self.assertIn('data-testid="translation-link"', detail)
        self.assertNotIn('data-testid="translate-form"', detail)

    def test_the_translation_page_classes_each_changed_request(self) -> None:
        derived = self.translate()
        html = self.client.get(reverse("tracer-snapshot-translation", args=[derived.id])).content.decode()
        summary = derived.derivation["translation"]["summary"]
        self.assertGreater(summary["changed"], 0)
        self.assertEqual(html.count('data-testid="translation-row"'), summary["changed"])
        for cls in ("ingress-nginx-only", "translation-gap", "spec-gap"):
            self.assertIn(f'data-class="{cls}"', html)
        self.assertIn("whitelist-source-range", html)
        self.assertIn("trailing-slash 301", html)
        self.assertNotIn("None", html)

    def test_saved_requests_are_verified_too_and_the_yaml_downloads(self) -> None:
        run_trace_now(self.nginx, self.alice, request={"method": "GET", "url": "http://legacy.example.com/SHOP/"})
        derived = self.translate("envoy-gateway")
        rows = derived.derivation["translation"]["requests"]
        asked = [r for r in rows if r.get("probe") in (None, "", "request")]
        self.assertIn("GET http://legacy.example.com/SHOP/", [r["request"] for r in rows])
        self.assertTrue(asked)
        response = self.client.get(reverse("tracer-snapshot-translation", args=[derived.id]), {"download": "1"})
        self.assertEqual(response["Content-Type"], "application/yaml; charset=utf-8")
        docs = [d for d in yaml.safe_load_all(response.content) if d]
        self.assertIn("HTTPRoute", {d["kind"] for d in docs})
        self.assertIn(b"Target implementation: envoy-gateway", response.content)

    def test_refusals(self) -> None:
        no_nginx = self.snapshot  # base.MANIFEST has an ingress-nginx IngressClass but try an unknown implementation
        response = self.client.post(reverse("tracer-snapshot-translate", args=[no_nginx.id]),
                                    {"implementation": "nope"}, follow=True)
        self.assertContains(response, "Cannot translate")
        self.assertContains(response, "not in the support matrix")
        self.assertEqual(self.client.get(reverse("tracer-snapshot-translation", args=[no_nginx.id])).status_code, 404)
        Membership.objects.filter(workspace=self.workspace, user=self.bob).update(role=Membership.Role.READONLY)
        self.login(self.bob)
        self.assertEqual(self.client.post(reverse("tracer-snapshot-translate", args=[self.nginx.id])).status_code, 403)
        self.assertNotIn('data-testid="translate-form"', self.client.get(self.nginx.get_absolute_url()).content.decode())
