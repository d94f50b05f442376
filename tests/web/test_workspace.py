from __future__ import annotations

from tracer.models import Membership

from .base import BaseTestCase


class WorkspaceTestCase(BaseTestCase):
    def test_it_lists_members(self) -> None:
        for user in (self.alice, self.bob):
            self.login(user)
            self.client.post("/workspace/switch/", {"workspace": str(self.workspace.pk)})
            r = self.client.get("/workspace/")
            self.assertContains(r, "alice")
            self.assertContains(r, "bob")

    def test_owner_adds_a_member(self) -> None:
        self.login(self.alice)
        r = self.client.post("/workspace/", {"username": "charlie"})
        assert r.status_code == 302
        assert Membership.objects.filter(workspace=self.workspace, user=self.charlie, role="member").exists()

    def test_unknown_user_is_a_form_error(self) -> None:
        self.login(self.alice)
        self.assertContains(self.client.post("/workspace/", {"username": "zed"}), "No user", status_code=400)

    def test_member_cannot_add(self) -> None:
        self.login(self.bob)
        self.client.post("/workspace/switch/", {"workspace": str(self.workspace.pk)})
        r = self.client.get("/workspace/")
        self.assertNotContains(r, 'data-testid="member-form"')
        assert self.client.post("/workspace/", {"username": "charlie"}).status_code == 404
        assert not Membership.objects.filter(workspace=self.workspace, user=self.charlie).exists()

    def test_outsider_cannot_switch_into_it(self) -> None:
        self.login(self.charlie)
        assert self.client.post("/workspace/switch/", {"workspace": str(self.workspace.pk)}).status_code == 404
        self.assertNotContains(self.client.get("/workspace/"), "alice")
