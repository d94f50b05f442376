from __future__ import annotations

from tracer.models import Snapshot

from .base import MANIFEST, BaseTestCase, make_snapshot


class SnapshotListTestCase(BaseTestCase):
    def test_it_lists_workspace_snapshots(self) -> None:
        self.login(self.alice)
        self.assertContains(self.client.get("/snapshots/"), self.snapshot.get_absolute_url())

    def test_member_sees_them_after_switching(self) -> None:
        self.login(self.bob)
        self.client.post("/workspace/switch/", {"workspace": str(self.workspace.pk)})
        self.assertContains(self.client.get("/snapshots/"), self.snapshot.get_absolute_url())

    def test_outsider_does_not_see_them(self) -> None:
        self.login(self.charlie)
        r = self.client.get("/snapshots/")
        self.assertNotContains(r, self.snapshot.get_absolute_url())
        self.assertContains(r, "No snapshots")


class SnapshotDetailTestCase(BaseTestCase):
    def url(self) -> str:
        return self.snapshot.get_absolute_url()

    def test_it_works_for_owner_and_member(self) -> None:
        for user in (self.alice, self.bob):
            self.login(user)
            r = self.client.get(self.url())
            self.assertContains(r, 'data-testid="scenario-form"')
            self.assertContains(r, "ingress-nginx")  # detected controller
            self.assertContains(r, 'data-testid="object-row"', count=4)

    def test_it_checks_ownership(self) -> None:
        self.login(self.charlie)
        assert self.client.get(self.url()).status_code == 404

    def test_it_filters_by_kind_namespace_and_text(self) -> None:
        self.login(self.alice)
        self.assertContains(self.client.get(self.url(), {"kind": "Service"}), 'data-testid="object-row"', count=1)
        self.assertContains(self.client.get(self.url(), {"namespace": "shop"}), 'data-testid="object-row"', count=3)
        self.assertContains(self.client.get(self.url(), {"q": "ngin"}), 'data-testid="object-row"', count=1)

    def test_htmx_gets_only_the_objects_partial(self) -> None:
        self.login(self.alice)
        r = self.client.get(self.url(), {"kind": "Ingress"}, headers={"HX-Request": "true"})
        assert b"<html" not in r.content
        self.assertContains(r, 'id="objects"')
        assert "HX-Request" in r["Vary"]

    def test_it_paginates(self) -> None:
        self.login(self.alice)
        docs = "\n---\n".join(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, namespace: big}}" for i in range(250)
        )
        big = make_snapshot(self.workspace, self.alice, docs.encode(), name="big")
        r = self.client.get(big.get_absolute_url())
        self.assertContains(r, 'data-testid="object-row"', count=100)
        self.assertContains(r, "Page 1 of 3")

    def test_it_rejects_post(self) -> None:
        self.login(self.alice)
        assert self.client.post(self.url()).status_code == 405


class SnapshotObjectTestCase(BaseTestCase):
    def test_it_shows_yaml_with_source(self) -> None:
        obj = self.snapshot.k8s_objects.get(kind="Ingress")
        for user in (self.alice, self.bob):
            self.login(user)
            r = self.client.get(obj.get_absolute_url())
            self.assertContains(r, "m.yaml:6")
            self.assertContains(r, "shop.example.com")
            self.assertContains(r, 'data-testid="object-yaml"')

    def test_it_checks_ownership(self) -> None:
        obj = self.snapshot.k8s_objects.get(kind="Ingress")
        self.login(self.charlie)
        assert self.client.get(obj.get_absolute_url()).status_code == 404

    def test_unknown_object_is_404(self) -> None:
        self.login(self.alice)
        r = self.client.get(f"/snapshots/{self.snapshot.pk}/object/", {"kind": "Ingress", "name": "nope"})
        assert r.status_code == 404


class SnapshotDiffTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        # A second snapshot: the Service changed, the Deployment removed, a ConfigMap added.
        text = MANIFEST.decode().replace("targetPort: 8080", "targetPort: 9090")
        text = text.split("---\napiVersion: apps/v1")[0]
        text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: shop}\n"
        self.other = make_snapshot(self.workspace, self.alice, text.encode(), name="after")

    def url(self) -> str:
        return f"/snapshots/{self.snapshot.pk}/diff/?other={self.other.pk}"

    def test_it_lists_added_removed_changed(self) -> None:
        for user in (self.alice, self.bob):
            self.login(user)
            r = self.client.get(self.url())
            self.assertContains(r, "1 added")
            self.assertContains(r, "1 removed")
            self.assertContains(r, "1 changed")
            self.assertContains(r, "9090")

    def test_it_checks_ownership(self) -> None:
        self.login(self.charlie)
        assert self.client.get(self.url()).status_code == 404

    def test_it_refuses_a_foreign_other_snapshot(self) -> None:
        foreign = make_snapshot(Snapshot.objects.get(pk=self.snapshot.pk).workspace, self.alice)
        foreign.workspace = self.charlie.memberships.get().workspace
        foreign.save()
        self.login(self.alice)
        assert self.client.get(f"/snapshots/{self.snapshot.pk}/diff/?other={foreign.pk}").status_code == 404
