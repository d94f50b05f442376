"""Two data planes of one snapshot: the page running the saved requests on both families, the trace page's
"Trace on … and compare" action, and the compare page naming the two families."""

from __future__ import annotations

from django.urls import reverse

from tracer.dataplane_compare import compare_dataplanes, default_pair, family_choices
from tracer.models import Membership, Trace
from tracer.tasks import execute_trace

from .base import MANIFEST, BaseTestCase, make_snapshot, run_trace_now

# use-regex makes ingress-nginx match /app as a case-insensitive regex prefix (docs/ingress-nginx.md): /APP/x
# and /apple reach the app there, while the portable Ingress semantics answer 404 for both.
REGEX = MANIFEST.replace(
    b"metadata: {name: web, namespace: shop}\nspec:\n  ingressClassName",
    b"metadata:\n  name: web\n  namespace: shop\n  annotations: {nginx.ingress.kubernetes.io/use-regex: \"true\"}\n"
    b"spec:\n  ingressClassName",
).replace(b"{path: /, pathType: Prefix", b"{path: /app, pathType: Prefix")


class DataplanesTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        assert REGEX != MANIFEST and b"use-regex" in REGEX
        self.regex = make_snapshot(self.workspace, self.alice, REGEX, name="regex")
        self.login(self.alice)

    def page(self, **params: str) -> str:
        url = reverse("tracer-snapshot-dataplanes", args=[self.regex.id])
        response = self.client.get(url, params)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_choices_put_the_detected_family_first_and_pair_it_with_the_portable_semantics(self) -> None:
        choices = family_choices(self.regex)
        self.assertEqual(choices[0], {"family": "ingress-nginx", "title": "ingress-nginx", "detected": True})
        self.assertFalse(any(c["detected"] for c in choices[1:]))
        self.assertEqual(default_pair(self.regex), ("ingress-nginx", "ingress-spec"))

    def test_saved_requests_run_on_both_and_the_changed_ones_name_the_first_differing_hop(self) -> None:
        for path in ("/app/x", "/APP/x", "/apple"):
            run_trace_now(self.regex, self.alice, request={"method": "GET", "url": f"http://shop.example.com{path}"})
        found = compare_dataplanes(self.regex, "ingress-nginx", "ingress-spec")
        self.assertEqual((found.total, found.compared), (3, 3))
        self.assertEqual(len(found.changed), 2)
        by_url = {r.scenario.request["url"]: r for r in found.results}
        same = by_url["http://shop.example.com/app/x"]
        self.assertFalse(same.changed)
        upper = by_url["http://shop.example.com/APP/x"].first_change
        assert upper is not None
        self.assertEqual((upper["a"], upper["b"]), ("200 OK", "404 Not Found"))
        self.assertEqual(upper["first_hop_difference"]["a"]["component"], "controller")

        html = self.page(a="ingress-nginx", b="ingress-spec", run="1")
        self.assertIn("2</strong> outcomes change", html)
        self.assertEqual(html.count('data-changed="yes"'), 2)
        self.assertIn("Ingress v1 (portable semantics)", html)
        self.assertNotIn("None", html)

    def test_the_page_loads_results_with_htmx_and_refuses_unknown_or_equal_families(self) -> None:
        html = self.page(a="ingress-nginx", b="traefik")
        self.assertIn('hx-trigger="load"', html)
        self.assertIn("run=1", html)
        url = reverse("tracer-snapshot-dataplanes", args=[self.regex.id])
        self.assertEqual(self.client.get(url, {"a": "ingress-nginx", "b": "nope"}).status_code, 404)
        self.assertIn("Choose two different families", self.page(a="istio", b="istio"))
        partial = self.client.get(url, {"a": "ingress-nginx", "b": "traefik", "run": "1"}, headers={"HX-Request": "true"})
        self.assertContains(partial, "No request was traced on this snapshot yet")
        self.assertNotContains(partial, "<html")

    def test_trace_on_another_family_opens_the_compare_page_named_after_both(self) -> None:
        first = run_trace_now(self.regex, self.alice, request={"method": "GET", "url": "http://shop.example.com/APP/x"})
        page = self.client.get(first.get_absolute_url()).content.decode()
        self.assertIn('data-testid="dataplane-form"', page)
        self.assertNotIn('<option value="ingress-nginx">', page)  # the family that handled it is not offered
        response = self.client.post(reverse("tracer-trace-dataplane", args=[first.id]), {"controller": "ingress-spec"})
        new = Trace.objects.exclude(pk=first.pk).get()
        self.assertRedirects(response, f"{reverse('tracer-trace-compare', args=[new.id])}?with={first.id}",
                             fetch_redirect_response=False)
        self.assertEqual(new.before_id, first.id)
        self.assertEqual(new.scenario.options["controller"], "ingress-spec")
        execute_trace(str(new.id), "test-worker")  # as the worker would
        html = self.client.get(f"{reverse('tracer-trace-compare', args=[new.id])}?with={first.id}").content.decode()
        self.assertIn("Side by side: ingress-nginx and Ingress v1 (portable semantics)", html)
        self.assertIn("simulated on ingress-nginx and on Ingress v1 (portable semantics)", html)
        self.assertIn("404 Not Found", html)

    def test_read_only_members_cannot_trace_on_another_family(self) -> None:
        first = run_trace_now(self.regex, self.alice, request={"method": "GET", "url": "http://shop.example.com/app/x"})
        Membership.objects.filter(workspace=self.workspace, user=self.bob).update(role=Membership.Role.READONLY)
        self.login(self.bob)
        response = self.client.post(reverse("tracer-trace-dataplane", args=[first.id]), {"controller": "ingress-spec"})
        self.assertEqual(response.status_code, 403)
        self.assertNotIn('data-testid="dataplane-form"', self.client.get(first.get_absolute_url()).content.decode())

    def test_trace_both_from_the_page_creates_a_pair(self) -> None:
        first = run_trace_now(self.regex, self.alice, request={"method": "GET", "url": "http://shop.example.com/apple"})
        response = self.client.post(reverse("tracer-dataplanes-trace", args=[self.regex.id]),
                                    {"a": "ingress-nginx", "b": "ingress-spec", "scenario": str(first.scenario_id)})
        left, right = Trace.objects.exclude(pk=first.pk).order_by("queued_at")
        self.assertEqual(right.before_id, left.id)
        self.assertEqual((left.scenario.options["controller"], right.scenario.options["controller"]),
                         ("ingress-nginx", "ingress-spec"))
        self.assertRedirects(response, f"{reverse('tracer-trace-compare', args=[right.id])}?with={left.id}",
                             fetch_redirect_response=False)
