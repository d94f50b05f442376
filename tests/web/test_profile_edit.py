"""AppProfiles edited and added on the snapshot page: validated, saved as a derived snapshot, traced."""

from __future__ import annotations

from tracer.models import Snapshot

from .base import BaseTestCase, run_trace_now

PROFILE = """\
apiVersion: tracer.dev/v1alpha1
kind: AppProfile
metadata: {name: web, namespace: shop}
spec:
  selector: {service: web}
  routes:
  - path: {exact: /cart}
    respond: {status: 302, headers: {Location: /login}}
  default: {status: 404}
"""


class ProfileEditTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def test_snapshot_page_offers_a_starter_profile_for_a_service(self) -> None:
        html = self.client.get(f"/snapshots/{self.snapshot.id}/").content.decode()
        assert 'data-testid="snapshot-profiles"' in html and 'data-testid="profile-new-yaml"' in html
        assert "service: web" in html and "namespace: shop" in html

    def test_adding_a_profile_saves_a_derived_snapshot_and_changes_the_trace(self) -> None:
        before = run_trace_now(self.snapshot, self.alice)
        assert before.final is not None and before.final["status"] == 200  # no profile: assumed 200
        resp = self.client.post(f"/snapshots/{self.snapshot.id}/profiles/", {"original": "", "yaml": PROFILE})
        copy = Snapshot.objects.get(derived_from=self.snapshot)
        assert resp.status_code == 302 and resp["Location"] == copy.get_absolute_url()
        assert copy.derivation["profile"] == "shop/web"
        assert not self.snapshot.k8s_objects.filter(kind="AppProfile").exists()  # the original is untouched
        after = run_trace_now(copy, self.alice)
        assert after.final is not None and after.final["status"] == 302
        page = self.client.get(copy.get_absolute_url()).content.decode()
        assert 'data-testid="derivation"' in page and "shop/web" in page

    def test_editing_replaces_the_profile_in_its_file(self) -> None:
        self.client.post(f"/snapshots/{self.snapshot.id}/profiles/", {"original": "", "yaml": PROFILE})
        first = Snapshot.objects.get(derived_from=self.snapshot)
        edited = PROFILE.replace("status: 302", "status: 303")
        self.client.post(f"/snapshots/{first.id}/profiles/", {"original": "shop/web", "yaml": edited})
        second = Snapshot.objects.get(derived_from=first)
        row = second.k8s_objects.get(kind="AppProfile", name="web")
        assert row.body["spec"]["routes"][0]["respond"]["status"] == 303
        assert row.file == first.k8s_objects.get(kind="AppProfile", name="web").file
        assert run_trace_now(second, self.alice).final["status"] == 303  # type: ignore[index]

    def test_an_invalid_profile_names_the_field_and_stores_nothing(self) -> None:
        bad = PROFILE.replace("respond: {status: 302", "respnd: {status: 302")
        resp = self.client.post(f"/snapshots/{self.snapshot.id}/profiles/", {"original": "", "yaml": bad},
                                headers={"HX-Request": "true"})
        assert resp.status_code == 422  # htmx swaps a 422 in place (base.html's htmx-config)
        html = resp.content.decode()
        assert 'data-testid="profile-error"' in html and "spec.routes[0]" in html
        assert "respnd" in html  # the text is kept for correcting
        assert not Snapshot.objects.filter(derived_from=self.snapshot).exists()

    def test_broken_yaml_names_the_line(self) -> None:
        resp = self.client.post(f"/snapshots/{self.snapshot.id}/profiles/",
                                {"original": "", "yaml": "kind: AppProfile\nspec: [\n"}, headers={"HX-Request": "true"})
        assert resp.status_code == 422 and "line" in resp.content.decode()

    def test_without_htmx_an_error_renders_the_whole_page(self) -> None:
        bad = PROFILE.replace("kind: AppProfile", "kind: AppProfil")
        resp = self.client.post(f"/snapshots/{self.snapshot.id}/profiles/", {"original": "", "yaml": bad})
        html = resp.content.decode()
        assert resp.status_code == 400 and 'data-testid="profile-error"' in html and 'data-testid="snapshot-name"' in html

    def test_htmx_save_redirects_the_page_to_the_copy(self) -> None:
        resp = self.client.post(f"/snapshots/{self.snapshot.id}/profiles/", {"original": "", "yaml": PROFILE},
                                headers={"HX-Request": "true"})
        copy = Snapshot.objects.get(derived_from=self.snapshot)
        assert resp.status_code == 204 and resp["HX-Redirect"] == copy.get_absolute_url()

    def test_outsiders_cannot_edit(self) -> None:
        self.login(self.charlie)
        resp = self.client.post(f"/snapshots/{self.snapshot.id}/profiles/", {"original": "", "yaml": PROFILE})
        assert resp.status_code == 404
