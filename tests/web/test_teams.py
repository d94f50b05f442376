"""Teams: invitations (by address and by link, accepting, sign-up), roles, removing and leaving (a workspace
keeps an owner), read-only members refused on every write, the styled 404/403 pages, the public-link
confirmation, renaming and deleting snapshots and traces, the traces list's filters and polling, and the
header naming the workspace of the object on the page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.html import escape

from tracer.models import ApiToken, Invite, Membership, Scenario, ShareLink, Snapshot, Trace, Workspace
from tracer.queue import submit_trace
from tracer.tasks import execute_trace

from .base import MANIFEST, BaseTestCase, broker, make_snapshot, run_trace_now

LOCMEM_MAILER = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def templates_of(response: Any) -> list[str]:
    return [t.name for t in response.templates if t.name]


class TeamsTestCase(BaseTestCase):
    def invite(self, email: str = "", role: str = "member") -> Invite:
        self.login(self.alice)
        r = self.client.post("/workspace/invites/", {"email": email, "role": role}, follow=True)  # reads the flash
        assert r.status_code == 200 and r.redirect_chain, r.content[:300]
        return Invite.objects.latest("created_at")

    def switch(self, user: User, workspace: Workspace | None = None) -> None:
        self.login(user)
        self.client.post("/workspace/switch/", {"workspace": str((workspace or self.workspace).pk)})

    def make_readonly(self, user: User) -> None:
        Membership.objects.filter(workspace=self.workspace, user=user).update(role=Membership.Role.READONLY)


class InviteTests(TeamsTestCase):
    def test_link_invite_is_listed_with_its_accept_link_and_no_mail(self) -> None:
        invite = self.invite(role="readonly")
        assert (invite.email, invite.role, invite.workspace, invite.created_by) == ("", "readonly", self.workspace, self.alice)
        r = self.client.get("/workspace/")
        self.assertContains(r, f"http://testserver/invite/{invite.token}/")
        self.assertContains(r, 'data-testid="invite-copy"')
        self.assertContains(r, "E-mail is not set up on this server")
        assert mail.outbox == []

    def test_email_invite_without_a_mailer_shows_the_link_to_copy(self) -> None:
        invite = self.invite("Dave@Example.org")
        r = self.client.get("/workspace/")
        self.assertContains(r, "Dave@Example.org")
        self.assertContains(r, f"/invite/{invite.token}/")
        self.assertContains(r, "nothing is sent")
        assert mail.outbox == []

    @override_settings(MAILERS=LOCMEM_MAILER)
    def test_email_invite_is_mailed_when_a_mailer_is_configured(self) -> None:
        invite = self.invite("dave@example.org", role="owner")
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["dave@example.org"]
        assert f"http://testserver/invite/{invite.token}/" in message.body
        assert "alice's workspace" in message.subject and "as owner" in message.body
        r = self.client.get("/workspace/")
        self.assertContains(r, "is e-mailed to it")
        self.assertNotContains(r, "nothing is sent")

    def test_only_owners_invite_and_see_invitations(self) -> None:
        invite = self.invite()
        self.switch(self.bob)
        assert self.client.post("/workspace/invites/", {"email": "", "role": "owner"}).status_code == 403
        assert Invite.objects.count() == 1
        r = self.client.get("/workspace/")
        self.assertNotContains(r, invite.token)
        self.assertNotContains(r, 'data-testid="invite-form"')
        assert self.client.post(f"/workspace/invites/{invite.token}/revoke/").status_code == 403

    def test_a_bad_address_is_refused_with_a_message(self) -> None:
        self.login(self.alice)
        r = self.client.post("/workspace/invites/", {"email": "not an address", "role": "member"}, follow=True)
        self.assertContains(r, "The invitation was not made")
        assert not Invite.objects.exists()

    def test_a_link_invite_is_accepted_once_with_its_role(self) -> None:
        invite = self.invite(role="readonly")
        self.login(self.charlie)
        r = self.client.get(f"/invite/{invite.token}/")
        self.assertContains(r, "as <strong>read-only</strong>", html=False)
        assert not self.workspace.is_member(self.charlie), "a GET does not accept"
        r = self.client.post(f"/invite/{invite.token}/")
        self.assertRedirects(r, "/workspace/", fetch_redirect_response=False)
        assert self.workspace.role_of(self.charlie) == "readonly"
        invite.refresh_from_db()
        assert invite.accepted_by == self.charlie and invite.accepted_at is not None
        # It is now the current workspace.
        self.assertContains(self.client.get("/workspace/"), f'data-testid="workspace-name">{escape(self.workspace.name)}<')
        # Nobody else can use it.
        dave = User.objects.create_user("dave", "dave@example.org", "pw")
        self.login(dave)
        assert self.client.get(f"/invite/{invite.token}/").status_code == 404
        assert self.client.post(f"/invite/{invite.token}/").status_code == 404
        assert not self.workspace.is_member(dave)

    def test_a_logged_out_visitor_is_sent_to_log_in_and_offered_an_account(self) -> None:
        invite = self.invite()
        self.client.logout()
        r = self.client.get(f"/invite/{invite.token}/")
        assert r.status_code == 302 and r["Location"] == f"/login/?next=/invite/{invite.token}/"
        r = self.client.get(r["Location"])
        self.assertContains(r, f'href="/signup/?invite={invite.token}"')
        self.assertContains(r, "Create an account")
        # Without a pending invitation the log-in page offers no account.
        self.assertNotContains(self.client.get("/login/"), "Create an account")
        self.assertNotContains(self.client.get("/login/?next=/invite/nope/"), "Create an account")

    @override_settings(TRACER_SIGNUP=False)
    def test_no_sign_up_when_it_is_off(self) -> None:
        invite = self.invite()
        self.client.logout()
        self.assertNotContains(self.client.get(f"/login/?next=/invite/{invite.token}/"), "Create an account")
        assert self.client.get(f"/signup/?invite={invite.token}").status_code == 404

    def test_email_invite_refuses_another_account(self) -> None:
        invite = self.invite("Dave@Example.ORG")
        self.login(self.charlie)
        for method in (self.client.get, self.client.post):
            r = method(f"/invite/{invite.token}/")
            self.assertContains(r, "sent to another e-mail address", status_code=403)
            self.assertContains(r, "charlie@example.org", status_code=403)
            self.assertNotContains(r, "Dave@Example.ORG", status_code=403)
        assert not self.workspace.is_member(self.charlie)
        invite.refresh_from_db()
        assert invite.is_open
        # The invited address, in another case, is accepted.
        dave = User.objects.create_user("dave", "dave@example.org", "pw")
        self.login(dave)
        assert self.client.post(f"/invite/{invite.token}/").status_code == 302
        assert self.workspace.role_of(dave) == "member"

    def test_revoked_invitations_no_longer_work(self) -> None:
        invite = self.invite()
        r = self.client.post(f"/workspace/invites/{invite.token}/revoke/")
        assert r.status_code == 302
        invite.refresh_from_db()
        assert invite.revoked_at is not None
        self.assertNotContains(self.client.get("/workspace/"), invite.token)
        self.login(self.charlie)
        r = self.client.get(f"/invite/{invite.token}/")
        assert r.status_code == 404 and "404.html" in templates_of(r)
        self.client.logout()
        assert self.client.get(f"/signup/?invite={invite.token}").status_code == 404

    def test_a_member_accepting_again_changes_nothing(self) -> None:
        invite = self.invite(role="owner")
        self.login(self.bob)
        r = self.client.post(f"/invite/{invite.token}/", follow=True)
        self.assertContains(r, "You are a member of")
        assert self.workspace.role_of(self.bob) == "member"
        invite.refresh_from_db()
        assert invite.is_open


class SignupTests(TeamsTestCase):
    def form(self, invite: Invite, **extra: str) -> dict[str, str]:
        return {
            "invite": invite.token,
            "username": "dave",
            "email": "dave@example.org",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
            **extra,
        }

    def test_sign_up_needs_an_open_invitation(self) -> None:
        assert self.client.get("/signup/").status_code == 404
        assert self.client.get("/signup/?invite=nope").status_code == 404
        assert self.client.post("/signup/", {"invite": "nope", "username": "x"}).status_code == 404
        assert not User.objects.filter(username="x").exists()

    def test_sign_up_creates_the_account_and_accepts(self) -> None:
        invite = self.invite(role="readonly")
        self.client.logout()
        r = self.client.get(f"/signup/?invite={invite.token}")
        self.assertContains(r, escape(self.workspace.name))
        r = self.client.post("/signup/", self.form(invite))
        self.assertRedirects(r, "/workspace/", fetch_redirect_response=False)
        dave = User.objects.get(username="dave")
        assert dave.email == "dave@example.org" and dave.check_password("a-long-passphrase-42")
        assert self.workspace.role_of(dave) == "readonly"
        invite.refresh_from_db()
        assert invite.accepted_by == dave
        r = self.client.get("/workspace/")  # logged in, in the invited workspace
        self.assertContains(r, f'data-testid="workspace-name">{escape(self.workspace.name)}<')
        self.assertContains(r, 'data-testid="current-workspace"')

    def test_an_email_invitation_fixes_the_address(self) -> None:
        invite = self.invite("dave@example.org")
        self.client.logout()
        self.assertContains(self.client.get(f"/signup/?invite={invite.token}"), 'value="dave@example.org"')
        r = self.client.post("/signup/", self.form(invite, email="other@example.org"))
        self.assertContains(r, "sent to another address", status_code=400)
        assert not User.objects.filter(username="dave").exists()
        r = self.client.post("/signup/", self.form(invite, email="DAVE@example.org"))
        assert r.status_code == 302
        assert self.workspace.is_member(User.objects.get(username="dave"))

    def test_an_existing_address_is_sent_to_log_in(self) -> None:
        invite = self.invite()
        self.client.logout()
        r = self.client.post("/signup/", self.form(invite, email="Charlie@example.org"))
        self.assertContains(r, "log in with it instead", status_code=400)
        invite.refresh_from_db()
        assert invite.is_open


class RoleTests(TeamsTestCase):
    def test_owner_changes_roles(self) -> None:
        self.login(self.alice)
        r = self.client.post("/workspace/members/role/", {"username": "bob", "role": "readonly"})
        assert r.status_code == 302
        assert self.workspace.role_of(self.bob) == "readonly"
        self.assertContains(self.client.get("/workspace/"), 'data-username="bob" data-role="readonly"')

    def test_the_last_owner_is_kept(self) -> None:
        self.login(self.alice)
        r = self.client.post("/workspace/members/role/", {"username": "alice", "role": "member"}, follow=True)
        self.assertContains(r, "the only owner")
        assert self.workspace.role_of(self.alice) == "owner"
        r = self.client.post("/workspace/members/remove/", {"username": "alice"}, follow=True)
        self.assertContains(r, "the only owner")
        assert self.workspace.is_owner(self.alice)
        r = self.client.post("/workspace/leave/", follow=True)
        self.assertContains(r, "the only owner")
        assert self.workspace.is_owner(self.alice)
        self.assertContains(self.client.get("/workspace/"), 'data-testid="leave-blocked"')
        # With a second owner, alice may step down.
        self.client.post("/workspace/members/role/", {"username": "bob", "role": "owner"})
        self.client.post("/workspace/members/role/", {"username": "alice", "role": "readonly"})
        assert self.workspace.role_of(self.alice) == "readonly" and self.workspace.is_owner(self.bob)

    def test_owner_removes_a_member(self) -> None:
        self.login(self.alice)
        assert self.client.post("/workspace/members/remove/", {"username": "bob"}).status_code == 302
        assert not self.workspace.is_member(self.bob)
        assert self.client.post("/workspace/members/remove/", {"username": "charlie"}).status_code == 404

    def test_members_cannot_change_roles_or_remove(self) -> None:
        self.switch(self.bob)
        assert self.client.post("/workspace/members/role/", {"username": "bob", "role": "owner"}).status_code == 403
        assert self.client.post("/workspace/members/remove/", {"username": "alice"}).status_code == 403
        assert self.workspace.role_of(self.bob) == "member" and self.workspace.is_owner(self.alice)
        r = self.client.get("/workspace/")
        self.assertNotContains(r, 'data-testid="member-role"')
        self.assertNotContains(r, 'data-testid="member-remove"')

    def test_a_member_leaves(self) -> None:
        self.switch(self.bob)
        r = self.client.post("/workspace/leave/", follow=True)
        self.assertContains(r, f"You left {escape(self.workspace.name)}")
        assert not self.workspace.is_member(self.bob)
        # Back in bob's own workspace.
        self.assertContains(r, "bob&#x27;s workspace")
        assert self.client.get(self.make_trace().get_absolute_url()).status_code == 404

    def test_staff_see_the_admin_link(self) -> None:
        self.login(self.alice)
        self.assertNotContains(self.client.get("/workspace/"), 'href="/admin/"')
        User.objects.filter(pk=self.alice.pk).update(is_staff=True)
        self.assertContains(self.client.get("/workspace/"), 'href="/admin/"')


class ReadOnlyTests(TeamsTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.trace = self.make_trace()
        self.link = self.trace.share_link(self.alice)
        self.make_readonly(self.bob)
        self.switch(self.bob)

    def assert_403(self, response: Any) -> None:
        assert response.status_code == 403, (response.status_code, response.content[:300])
        assert "403.html" in templates_of(response)
        self.assertContains(response, "read-only access", status_code=403)

    def test_read_only_members_see_everything(self) -> None:
        r = self.client.get(self.trace.get_absolute_url())
        self.assertContains(r, 'data-testid="final-status"')
        self.assertContains(r, self.link.token)
        for hidden in ("rerun-form", "share-form", "share-revoke", "trace-delete-link"):
            self.assertNotContains(r, f'data-testid="{hidden}"')
        self.assertContains(r, 'data-testid="readonly-note"')
        r = self.client.get(self.snapshot.get_absolute_url())
        self.assertContains(r, 'data-testid="object-row"')
        for hidden in ("scenario-submit", "profile-add", "snapshot-rename-link", "snapshot-delete-link"):
            self.assertNotContains(r, f'data-testid="{hidden}"')
        assert self.client.get(self.link.get_absolute_url()).status_code == 200
        assert self.client.get(f"/traces/{self.trace.pk}.json").status_code == 200
        self.assertContains(self.client.get("/traces/"), self.trace.get_absolute_url())

    def test_members_still_see_the_write_buttons(self) -> None:
        self.switch(self.alice)
        r = self.client.get(self.trace.get_absolute_url())
        for shown in ("rerun-form", "share-form", "share-revoke", "trace-delete-link"):
            self.assertContains(r, f'data-testid="{shown}"')
        self.assertContains(self.client.get(self.snapshot.get_absolute_url()), 'data-testid="scenario-submit"')

    def test_every_write_view_refuses_with_403(self) -> None:
        t, s = self.trace.pk, self.snapshot.pk
        with broker() as send_task:
            writes = [
                ("post", f"/snapshots/{s}/traces/", {"url": "http://shop.example.com/", "method": "GET", "http_version": "1.1"}),
                ("post", f"/snapshots/{s}/traces/", {"journey_document": "x"}),
                ("post", f"/traces/{t}/rerun/", {}),
                ("post", f"/traces/{t}/share/", {"visibility": "public", "understood": "yes"}),
                ("post", f"/traces/{t}/share/", {"visibility": "workspace"}),
                ("post", f"/share/{self.link.token}/revoke/", {}),
                ("post", f"/traces/{t}/fix/", {"r": "0", "d": "0"}),
                ("post", f"/snapshots/{s}/profiles/", {"original": "", "yaml": "kind: AppProfile"}),
                ("get", "/snapshots/upload/", {}),
                ("post", "/snapshots/upload/", {"files": SimpleUploadedFile("m.yaml", MANIFEST), "name": "x"}),
                ("get", "/snapshots/pull/", {}),
                ("post", "/snapshots/pull/", {"context": "kind", "secrets": "metadata"}),
                ("get", f"/snapshots/{s}/rename/", {}),
                ("post", f"/snapshots/{s}/rename/", {"name": "renamed"}),
                ("get", f"/snapshots/{s}/delete/", {}),
                ("post", f"/snapshots/{s}/delete/", {}),
                ("get", f"/traces/{t}/delete/", {}),
                ("post", f"/traces/{t}/delete/", {}),
            ]
            for method, url, data in writes:
                with self.subTest(url=url, method=method):
                    self.assert_403(getattr(self.client, method)(url, data))
        assert not send_task.called
        assert Trace.objects.count() == 1 and Snapshot.objects.count() == 1
        assert ShareLink.objects.filter(revoked_at__isnull=True).count() == 1
        self.snapshot.refresh_from_db()
        assert self.snapshot.name == "shop"

    def test_the_api_refuses_writes_with_403_json(self) -> None:
        _, token = ApiToken.issue(self.bob, "ci", self.workspace)
        headers = {"Authorization": f"Token {token}"}
        r = self.client.post("/api/v1/snapshots", {"files": SimpleUploadedFile("m.yaml", MANIFEST)}, headers=headers)
        assert r.status_code == 403 and "read-only access" in r.json()["error"]
        with broker() as send_task:
            r = self.client.post(
                "/api/v1/traces",
                {"snapshot": str(self.snapshot.pk), "request": {"url": "http://shop.example.com/"}},
                content_type="application/json",
                headers=headers,
            )
        assert r.status_code == 403 and "read-only access" in r.json()["error"]
        assert not send_task.called and Trace.objects.count() == 1 and Snapshot.objects.count() == 1
        # Reading still works.
        assert self.client.get(f"/api/v1/traces/{self.trace.pk}", headers=headers).status_code == 200
        assert self.client.get("/api/v1/snapshots", headers=headers).status_code == 200


class StatusPageTests(TeamsTestCase):
    def test_revoked_link_shows_the_styled_404_with_a_login_link(self) -> None:
        trace = self.make_trace()
        link = ShareLink.objects.create(trace=trace, visibility="public", revoked_at=timezone.now())
        r = self.client.get(link.get_absolute_url())
        assert r.status_code == 404
        assert "404.html" in templates_of(r) and "tracer/base.html" in templates_of(r)
        self.assertContains(r, "Log in to see it if it was shared with your workspace", status_code=404)
        self.assertContains(r, f'href="/login/?next=/t/{link.token}"', status_code=404)
        self.assertNotContains(r, "shop.example.com", status_code=404)

    def test_a_private_object_is_a_styled_404_for_outsiders(self) -> None:
        trace = self.make_trace()
        self.login(self.charlie)
        for url in (trace.get_absolute_url(), self.snapshot.get_absolute_url(), "/no/such/page/"):
            r = self.client.get(url)
            assert r.status_code == 404 and "404.html" in templates_of(r), url
            self.assertContains(r, 'data-testid="not-found"', status_code=404)
            self.assertNotContains(r, 'data-testid="status-login"', status_code=404)  # logged in already
        self.assertNotContains(r, "shop", status_code=404)

    def test_403_is_styled(self) -> None:
        self.make_readonly(self.bob)
        self.switch(self.bob)
        r = self.client.get("/snapshots/upload/")
        assert r.status_code == 403 and "403.html" in templates_of(r) and "tracer/base.html" in templates_of(r)
        self.assertContains(r, 'data-testid="forbidden"', status_code=403)
        self.assertContains(r, f"read-only access to {escape(self.workspace.name)}", status_code=403)


class PublicLinkConfirmationTests(TeamsTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.trace = self.make_trace()
        self.login(self.alice)

    def test_a_public_link_asks_first(self) -> None:
        r = self.client.post(f"/traces/{self.trace.pk}/share/", {"visibility": "public"})
        self.assertContains(r, "Anyone with the link")
        self.assertContains(r, "object names and namespaces, file names")
        self.assertContains(r, 'name="understood"')
        assert "tracer/share_confirm.html" in templates_of(r)
        assert not ShareLink.objects.exists()
        r = self.client.post(f"/traces/{self.trace.pk}/share/", {"visibility": "public", "understood": "yes"})
        assert r.status_code == 302
        assert list(ShareLink.objects.values_list("visibility", flat=True)) == ["public"]

    def test_the_trace_page_offers_the_tick_and_a_workspace_link_needs_none(self) -> None:
        self.assertContains(self.client.get(self.trace.get_absolute_url()), 'data-testid="share-understood-inline"')
        assert self.client.post(f"/traces/{self.trace.pk}/share/", {"visibility": "workspace"}).status_code == 302
        assert list(ShareLink.objects.values_list("visibility", flat=True)) == ["workspace"]


class ManageTests(TeamsTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.trace = self.make_trace()
        self.link = ShareLink.objects.create(trace=self.trace, visibility="public")
        self.copy = make_snapshot(self.workspace, self.alice, name="shop (fixed)")
        Snapshot.objects.filter(pk=self.copy.pk).update(derived_from=self.snapshot, derivation={"code": "X"})
        self.after = run_trace_now(self.copy, self.alice)
        Trace.objects.filter(pk=self.after.pk).update(before=self.trace)
        self.login(self.bob)  # a member may rename and delete

    def test_rename_a_snapshot(self) -> None:
        url = f"/snapshots/{self.snapshot.pk}/rename/"
        self.assertContains(self.client.get(url), 'value="shop"')
        assert self.client.post(url, {"name": "  "}).status_code == 400
        r = self.client.post(url, {"name": "shop, March"})
        self.assertRedirects(r, self.snapshot.get_absolute_url(), fetch_redirect_response=False)
        self.snapshot.refresh_from_db()
        assert self.snapshot.name == "shop, March"

    def test_deleting_a_snapshot_lists_what_depends_on_it(self) -> None:
        url = f"/snapshots/{self.snapshot.pk}/delete/"
        r = self.client.get(url)
        self.assertContains(r, "1 trace</strong>")
        self.assertContains(r, self.trace.get_absolute_url())
        self.assertContains(r, "1 share link</strong>")
        self.assertContains(r, "1 fixed copy</strong>")
        self.assertContains(r, "shop (fixed)")
        self.assertContains(r, "stays")
        self.assertContains(r, "1 re-trace</strong>")
        assert Snapshot.objects.filter(pk=self.snapshot.pk).exists(), "a GET deletes nothing"
        r = self.client.post(url)
        self.assertRedirects(r, "/snapshots/", fetch_redirect_response=False)
        assert not Snapshot.objects.filter(pk=self.snapshot.pk).exists()
        assert not Trace.objects.filter(pk=self.trace.pk).exists()
        assert not ShareLink.objects.exists()
        self.copy.refresh_from_db()
        self.after.refresh_from_db()
        assert self.copy.derived_from is None and self.after.before is None  # they stay
        assert self.client.get(self.link.get_absolute_url()).status_code == 404

    def test_deleting_a_trace_lists_its_links_and_re_traces(self) -> None:
        url = f"/traces/{self.trace.pk}/delete/"
        r = self.client.get(url)
        self.assertContains(r, "1 share link</strong>")
        self.assertContains(r, "1 re-trace</strong>")
        self.assertContains(r, self.after.get_absolute_url())
        again = Trace.objects.create(workspace=self.workspace, scenario=self.trace.scenario, snapshot=self.snapshot)
        scenario = self.trace.scenario_id
        r = self.client.post(url)
        self.assertRedirects(r, "/traces/", fetch_redirect_response=False)
        assert not Trace.objects.filter(pk=self.trace.pk).exists() and not ShareLink.objects.exists()
        self.after.refresh_from_db()
        assert self.after.before is None
        assert Snapshot.objects.filter(pk=self.snapshot.pk).exists()
        # The scenario stays while another trace uses it, and goes with the last one.
        assert Scenario.objects.filter(pk=scenario).exists()
        self.client.post(f"/traces/{again.pk}/delete/")
        assert not Scenario.objects.filter(pk=scenario).exists()

    def test_deletes_need_csrf_and_membership(self) -> None:
        csrf_client = Client(enforce_csrf_checks=True)
        csrf_client.force_login(self.alice)
        assert csrf_client.post(f"/traces/{self.trace.pk}/delete/").status_code == 403
        assert csrf_client.post(f"/snapshots/{self.snapshot.pk}/delete/").status_code == 403
        assert Trace.objects.filter(pk=self.trace.pk).exists() and Snapshot.objects.filter(pk=self.snapshot.pk).exists()
        self.login(self.charlie)
        for url in (f"/traces/{self.trace.pk}/delete/", f"/snapshots/{self.snapshot.pk}/delete/",
                    f"/snapshots/{self.snapshot.pk}/rename/"):
            assert self.client.post(url, {"name": "x"}).status_code == 404
        assert Trace.objects.filter(pk=self.trace.pk).exists()


class TraceListTests(TeamsTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def with_final(self, trace: Trace, *statuses: int | None, error: str | None = None) -> Trace:
        """The trace's result with its requests' statuses replaced (a journey when there are several)."""
        result = dict(trace.result or {})
        first = result["requests"][0]
        result["requests"] = [dict(first, status=s, error=error if s is None else None) for s in statuses]
        Trace.objects.filter(pk=trace.pk).update(result=result)
        trace.refresh_from_db()
        return trace

    def ids(self, query: str) -> set[str]:
        r = self.client.get(f"/traces/?{query}")
        assert r.status_code == 200
        return {str(t.pk) for t in r.context["page"].object_list}

    def test_status_classes_use_the_final_request(self) -> None:
        ok = self.make_trace()
        assert ok.final["status"] == 200
        missing = run_trace_now(self.snapshot, self.alice, "http://nobody.example.com/")
        assert missing.final["status"] == 404
        redirect = self.with_final(self.make_trace(), 308)
        server = self.with_final(self.make_trace(), 503)
        journey = self.with_final(self.make_trace(), 302, 200)  # a redirect followed to a 200: 2xx
        refused = self.with_final(self.make_trace(), None, error="connection_refused")
        failed = self.make_trace()
        Trace.objects.filter(pk=failed.pk).update(state=Trace.State.FAILED, result=None, error="boom")
        with broker():
            queued, _ = submit_trace(snapshot=self.snapshot, request={"method": "GET", "url": "http://shop.example.com/q"},
                                     options={}, user=self.alice)
        assert self.ids("status=2xx") == {str(ok.pk), str(journey.pk)}
        assert self.ids("status=3xx") == {str(redirect.pk)}
        assert self.ids("status=4xx") == {str(missing.pk)}
        assert self.ids("status=5xx") == {str(server.pk)}
        assert self.ids("status=error") == {str(refused.pk), str(failed.pk)}
        assert self.ids("status=queued") == {str(queued.pk)}
        assert len(self.ids("")) == 8 and len(self.ids("status=bogus")) == 8
        # The colours are the status badges'.
        r = self.client.get("/traces/")
        self.assertContains(r, '<span class="badge ok">200 OK</span>', html=True)
        self.assertContains(r, '<span class="badge client-error">404 Not Found</span>', html=True)
        self.assertContains(r, '<span class="badge server-error">503 Service Unavailable</span>', html=True)
        self.assertContains(r, '<span class="badge redirect">308 Permanent Redirect</span>', html=True)
        self.assertContains(r, 'class="badge sev-error"')

    def test_host_snapshot_and_search(self) -> None:
        cart = self.make_trace()  # http://shop.example.com/cart
        other = run_trace_now(self.snapshot, self.alice, "https://api.example.com:8443/v1/items")
        lookalike = run_trace_now(self.snapshot, self.alice, "http://shop.example.com.evil.test/")
        second = make_snapshot(self.workspace, self.alice, name="second")
        on_second = run_trace_now(second, self.alice, "http://shop.example.com/login")
        journey = run_trace_now(self.snapshot, self.alice, request={"journey": {"start": "http://shop.example.com/j"}})
        assert self.ids("host=shop.example.com") == {str(cart.pk), str(on_second.pk), str(journey.pk)}
        assert self.ids("host=API.example.com") == {str(other.pk)}
        assert self.ids(f"snapshot={second.pk}") == {str(on_second.pk)}
        assert self.ids("snapshot=not-a-uuid") == self.ids("")
        assert self.ids("q=cart") == {str(cart.pk)}
        assert self.ids("q=GET+http://shop.example.com/cart") == {str(cart.pk)}
        assert self.ids("q=Journey+GET+http://shop.example.com/j") == {str(journey.pk)}
        assert self.ids(f"q=login&host=shop.example.com&snapshot={second.pk}") == {str(on_second.pk)}
        assert self.ids(f"q=cart&snapshot={second.pk}") == set()
        assert lookalike.pk
        # The filter choices, and the filters kept in the form.
        r = self.client.get(f"/traces/?host=api.example.com&q=v1&snapshot={second.pk}&status=2xx")
        self.assertContains(r, '<option value="api.example.com" selected>api.example.com</option>', html=True)
        self.assertContains(r, '<option value="shop.example.com.evil.test">shop.example.com.evil.test</option>', html=True)
        self.assertContains(r, f'<option value="{second.pk}" selected>second</option>', html=True)
        self.assertContains(r, 'value="v1"')
        self.assertContains(r, 'data-testid="no-match"')

    def test_pagination_keeps_the_filters(self) -> None:
        trace = self.make_trace()
        Trace.objects.bulk_create(
            [Trace(workspace=self.workspace, scenario=trace.scenario, snapshot=self.snapshot, state=Trace.State.DONE,
                   result=trace.result) for _ in range(55)]
        )
        r = self.client.get("/traces/?status=2xx&host=shop.example.com")
        assert len(r.context["page"].object_list) == 50
        self.assertContains(r, "status=2xx&amp;host=shop.example.com&amp;page=2")
        assert len(self.client.get("/traces/?status=2xx&host=shop.example.com&page=2").context["page"].object_list) == 6

    def test_rows_poll_until_none_is_pending(self) -> None:
        self.make_trace()
        r = self.client.get("/traces/?status=")
        self.assertNotContains(r, 'hx-trigger="every 2s"')
        with broker():
            queued, _ = submit_trace(snapshot=self.snapshot, request={"method": "GET", "url": "http://shop.example.com/"},
                                     options={}, user=self.alice)
        r = self.client.get("/traces/?q=shop")
        self.assertContains(r, 'hx-trigger="every 2s"')
        self.assertContains(r, 'hx-get="/traces/?q=shop"')
        # The partial: rows only, still polling while the trace waits.
        r = self.client.get("/traces/?q=shop", headers={"HX-Request": "true"})
        assert r.status_code == 200 and "<html" not in r.content.decode()
        self.assertContains(r, 'data-state="queued"')
        self.assertContains(r, 'hx-trigger="every 2s"')
        assert r["Vary"] and "HX-Request" in r["Vary"]
        execute_trace(str(queued.pk), "test-worker")
        r = self.client.get("/traces/?q=shop", headers={"HX-Request": "true"})
        assert r.status_code == 286  # htmx stops polling
        self.assertContains(r, 'data-pending="no"', status_code=286)
        self.assertNotContains(r, "hx-trigger", status_code=286)
        self.assertContains(r, '<span class="badge ok">200 OK</span>', status_code=286, html=True)


class HeaderWorkspaceTests(TeamsTestCase):
    def test_the_header_names_the_workspace_of_the_object_on_the_page(self) -> None:
        trace = self.make_trace()
        self.login(self.bob)  # bob's current workspace is his own
        own = Workspace.for_user(self.bob).exclude(pk=self.workspace.pk).get()
        header = '<span class="muted" data-testid="current-workspace">{}</span>'
        self.assertContains(self.client.get("/traces/"), header.format("bob&#x27;s workspace"), html=False)
        for url in (trace.get_absolute_url(), self.snapshot.get_absolute_url(),
                    f"/snapshots/{self.snapshot.pk}/diff/"):
            r = self.client.get(url)
            self.assertContains(r, header.format("alice&#x27;s workspace"), html=False)
            self.assertNotContains(r, header.format("bob&#x27;s workspace"), html=False)
        assert own.name == "bob's workspace"

    def test_write_buttons_follow_the_role_in_the_object_workspace(self) -> None:
        # Bob owns his own workspace but is read-only in alice's: her trace shows him no write buttons.
        trace = self.make_trace()
        self.make_readonly(self.bob)
        self.login(self.bob)
        r = self.client.get(trace.get_absolute_url())
        self.assertNotContains(r, 'data-testid="rerun-form"')
        self.assertContains(r, "alice&#x27;s workspace")


class TraceNameTests(BaseTestCase):
    def test_a_trace_is_named_found_by_its_name_and_unnamed_again(self) -> None:
        trace = self.make_trace()
        self.login(self.bob)
        r = self.client.post(f"/traces/{trace.id}/rename/", {"name": "checkout 503 during the incident"})
        assert r.status_code == 302
        trace.refresh_from_db()
        assert trace.name == "checkout 503 during the incident"
        assert "checkout 503 during the incident" in self.client.get(trace.get_absolute_url()).content.decode()
        self.login(self.alice)  # the list shows the current workspace: alice's
        listed = self.client.get("/traces/?q=checkout 503").content.decode()
        assert trace.get_absolute_url() in listed
        assert trace.get_absolute_url() not in self.client.get("/traces/?q=no such words").content.decode()
        r = self.client.post(f"/traces/{trace.id}/rename/", {"name": ""})
        assert r.status_code == 302, r.content.decode()[-800:]
        trace.refresh_from_db()
        assert trace.name == "" and trace.title == trace.scenario.label

    def test_read_only_members_and_outsiders_cannot_name_traces(self) -> None:
        trace = self.make_trace()
        Membership.objects.filter(workspace=self.workspace, user=self.bob).update(role=Membership.Role.READONLY)
        self.login(self.bob)
        assert self.client.post(f"/traces/{trace.id}/rename/", {"name": "x"}).status_code == 403
        self.login(self.charlie)
        assert self.client.post(f"/traces/{trace.id}/rename/", {"name": "x"}).status_code == 404
