from __future__ import annotations

from django.utils import timezone

from tracer.models import ShareLink

from .base import BaseTestCase


class ShareTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.trace = self.make_trace()

    def test_owner_and_member_create_links(self) -> None:
        for user, visibility in ((self.alice, "workspace"), (self.bob, "public")):
            self.login(user)
            # A public link needs the "I understand" tick (tests/web/test_teams.py covers the confirmation).
            r = self.client.post(f"/traces/{self.trace.pk}/share/", {"visibility": visibility, "understood": "yes"})
            assert r.status_code == 302
        assert set(self.trace.share_links.values_list("visibility", flat=True)) == {"workspace", "public"}

    def test_outsider_cannot_create_links(self) -> None:
        self.login(self.charlie)
        assert self.client.post(f"/traces/{self.trace.pk}/share/", {"visibility": "public"}).status_code == 404
        assert not ShareLink.objects.exists()

    def test_workspace_link_requires_membership(self) -> None:
        link = self.trace.share_link(self.alice)
        url = link.get_absolute_url()
        r = self.client.get(url)  # anonymous
        assert r.status_code == 302 and "/login/" in r["Location"]
        self.login(self.charlie)
        assert self.client.get(url).status_code == 404
        self.login(self.bob)
        r = self.client.get(url)
        self.assertContains(r, "shop.example.com")
        self.assertContains(r, 'data-testid="flow-svg"')
        self.assertNotContains(r, 'data-testid="rerun-form"')
        assert r["X-Robots-Tag"] == "noindex"

    def test_public_link_opens_for_anyone(self) -> None:
        link = ShareLink.objects.create(trace=self.trace, visibility="public")
        r = self.client.get(link.get_absolute_url())
        self.assertContains(r, "shop.example.com")
        self.assertContains(r, self.snapshot.content_hash[:12])  # pinned to its snapshot
        r = self.client.get(f"/t/{link.token}/hops/0/0/")
        self.assertContains(r, 'data-testid="hop-detail"')
        for fmt in ("json", "svg", "md"):
            assert self.client.get(f"/t/{link.token}.{fmt}").status_code == 200

    def test_revoked_or_unknown_links_are_404(self) -> None:
        link = ShareLink.objects.create(trace=self.trace, visibility="public")
        self.login(self.bob)
        r = self.client.post(f"/share/{link.token}/revoke/")
        assert r.status_code == 302
        link.refresh_from_db()
        assert link.revoked_at is not None
        self.client.logout()
        assert self.client.get(link.get_absolute_url()).status_code == 404
        assert self.client.get("/t/not-a-real-token").status_code == 404
        self.login(self.alice)
        assert self.client.get(link.get_absolute_url()).status_code == 404

    def test_outsider_cannot_revoke(self) -> None:
        link = ShareLink.objects.create(trace=self.trace, visibility="public")
        self.login(self.charlie)
        assert self.client.post(f"/share/{link.token}/revoke/").status_code == 404
        link.refresh_from_db()
        assert link.revoked_at is None

    def test_trace_page_lists_active_links_only(self) -> None:
        active = ShareLink.objects.create(trace=self.trace, visibility="public")
        revoked = ShareLink.objects.create(trace=self.trace, visibility="public", revoked_at=timezone.now())
        self.login(self.alice)
        r = self.client.get(self.trace.get_absolute_url())
        self.assertContains(r, active.token)
        self.assertNotContains(r, revoked.token)
