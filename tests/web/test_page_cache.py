"""The rendered-result cache of finished trace pages (tracer/page_cache.py): rendered once, served with the
permission check per request, and never carrying another user's controls or CSRF token."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

from django.contrib.auth.models import User
from django.core.cache import caches
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, override_settings
from django.utils import timezone

from tracer import page_cache, presenters
from tracer.models import Membership, ShareLink, Trace
from tracer.queue import submit_trace
from tracer.views import share as share_views
from tracer.views import traces as trace_views

from .base import BaseTestCase, broker, run_trace_now
from .test_fixes import JOURNEY, _stage1

FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def result_part(html: str) -> str:
    """The cached part of a page: the result partial, up to the share section (trace page) or the page's end."""
    start = html.index('data-testid="trace-result"')
    end = min(i for i in (html.find('id="share"', start), html.find("</main>", start)) if i >= 0)
    return html[start:end]


def renders(module: Any) -> Any:
    """Count the presenter's work (what a cache hit skips) as called from a view module."""
    return mock.patch.object(module, "trace_context", side_effect=presenters.trace_context)


@override_settings(TRACER_PAGE_CACHE=True)
class PageCacheTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["pages"].clear()
        self.trace = self.make_trace()
        self.url = f"/traces/{self.trace.id}/"

    def test_second_request_does_not_render_the_result_again(self) -> None:
        self.login(self.alice)
        with renders(trace_views) as presenter:
            first = self.client.get(self.url)
            second = self.client.get(self.url)
        assert first.status_code == second.status_code == 200
        assert presenter.call_count == 1
        assert 'data-testid="trace-result"' in second.content.decode()
        assert result_part(first.content.decode()) == result_part(second.content.decode())

    def test_without_the_cache_each_request_renders(self) -> None:
        self.login(self.alice)
        with override_settings(TRACER_PAGE_CACHE=False), renders(trace_views) as presenter:
            self.client.get(self.url)
            self.client.get(self.url)
        assert presenter.call_count == 2

    def test_a_cached_page_checks_permission_first(self) -> None:
        self.login(self.alice)
        assert self.client.get(self.url).status_code == 200
        self.login(self.charlie)  # an outsider: 404, the stored result notwithstanding
        assert self.client.get(self.url).status_code == 404
        self.client.logout()
        assert self.client.get(self.url).status_code == 302

    def test_a_renamed_trace_shows_its_new_name_in_the_result(self) -> None:
        self.login(self.alice)
        assert "Checkout path" not in self.client.get(self.url).content.decode()
        resp = self.client.post(f"/traces/{self.trace.id}/rename/", {"name": "Checkout path"})
        assert resp.status_code == 302
        body = result_part(self.client.get(self.url).content.decode())
        assert "## Checkout path" in body  # the Markdown copy inside the cached part

    def test_a_deleted_trace_is_not_served_from_the_cache(self) -> None:
        self.login(self.alice)
        assert self.client.get(self.url).status_code == 200
        assert self.client.post(f"/traces/{self.trace.id}/delete/").status_code == 302
        assert self.client.get(self.url).status_code == 404

    def test_a_queued_trace_is_never_cached(self) -> None:
        with broker():
            queued, _ = submit_trace(
                snapshot=self.snapshot, request={"method": "GET", "url": "http://shop.example.com/"}, options={},
                user=self.alice,
            )
        self.login(self.alice)
        with mock.patch.object(page_cache, "_set") as stored:
            page = self.client.get(f"/traces/{queued.id}/").content.decode()
            poll = self.client.get(f"/traces/{queued.id}/status/").content.decode()
            assert 'data-state="queued"' in page and 'data-state="queued"' in poll
            stored.assert_not_called()
            self.client.get(self.url)  # a finished one is stored: the mock does see stores
            assert stored.call_count == 1

    def test_a_trace_that_finishes_after_being_seen_queued_shows_its_result(self) -> None:
        with broker():
            queued, _ = submit_trace(
                snapshot=self.snapshot, request={"method": "GET", "url": "http://shop.example.com/"}, options={},
                user=self.alice,
            )
        self.login(self.alice)
        assert 'data-testid="trace-result"' not in self.client.get(f"/traces/{queued.id}/").content.decode()
        from tracer.tasks import execute_trace

        execute_trace(str(queued.pk), "test-worker")
        assert 'data-testid="trace-result"' in self.client.get(f"/traces/{queued.id}/").content.decode()

    def test_the_deploy_salt_renders_again(self) -> None:
        self.login(self.alice)
        with renders(trace_views) as presenter:
            self.client.get(self.url)
            with override_settings(TRACER_PAGE_CACHE_VERSION="next-release"):
                self.client.get(self.url)
            self.client.get(self.url)
        assert presenter.call_count == 2

    def test_a_cache_outage_still_serves_the_page(self) -> None:
        self.login(self.alice)
        store = mock.Mock(**{"get.side_effect": ConnectionError("redis down"), "set.side_effect": ConnectionError})
        with mock.patch.object(page_cache, "_store", return_value=store):
            resp = self.client.get(self.url)
        assert resp.status_code == 200 and 'data-testid="trace-result"' in resp.content.decode()

    def test_the_markdown_link_follows_the_requested_host(self) -> None:
        self.login(self.alice)
        with override_settings(ALLOWED_HOSTS=["a.example", "b.example"]):
            first = self.client.get(self.url, HTTP_HOST="a.example").content.decode()
            second = self.client.get(self.url, HTTP_HOST="b.example").content.decode()
        assert f"Trace: http://a.example{self.url}" in first
        assert f"Trace: http://b.example{self.url}" in second and "a.example" not in second

    def test_the_hop_panel_is_rendered_once(self) -> None:
        self.login(self.alice)
        hop = f"/traces/{self.trace.id}/hops/0/1/"
        with mock.patch.object(trace_views, "hop_context", side_effect=presenters.hop_context) as ctx:
            first = self.client.get(hop)
            second = self.client.get(hop)
        assert first.status_code == second.status_code == 200
        assert first.content == second.content and ctx.call_count == 1
        assert self.client.get(f"/traces/{self.trace.id}/hops/0/99/").status_code == 404


@override_settings(TRACER_PAGE_CACHE=True)
class PerUserPartsTests(BaseTestCase):
    """Write controls and CSRF tokens inside the cached result are the requesting user's."""

    def setUp(self) -> None:
        super().setUp()
        caches["pages"].clear()
        self.dave = User.objects.create_user("dave", "dave@example.org", "password")
        Membership.objects.create(workspace=self.workspace, user=self.dave, role=Membership.Role.READONLY)
        self.trace = run_trace_now(_stage1(self.workspace, self.alice), self.alice, request=JOURNEY)
        self.url = f"/traces/{self.trace.id}/"

    def page_as(self, user: User) -> tuple[str, Client]:
        client = Client()
        client.force_login(user)
        resp = client.get(self.url)
        assert resp.status_code == 200
        return resp.content.decode(), client

    def test_owner_and_read_only_member_see_their_own_controls(self) -> None:
        owner, _ = self.page_as(self.alice)
        reader, _ = self.page_as(self.dave)  # after the owner's page was stored
        owner_again, _ = self.page_as(self.alice)  # after the reader's
        for html in (owner, owner_again):
            assert 'data-testid="apply-fix"' in result_part(html) and 'data-testid="readonly-note"' not in html
        assert 'data-testid="apply-fix"' not in result_part(reader) and 'data-testid="patches"' in reader
        assert 'data-testid="readonly-note"' in reader
        assert "csrfmiddlewaretoken" not in result_part(reader)

    def test_csrf_tokens_in_a_cached_result_are_the_requesting_users(self) -> None:
        secrets = {}
        for user in (self.alice, self.bob, self.alice):
            html, client = self.page_as(user)
            tokens = FORM_TOKEN.findall(result_part(html))
            assert tokens, "the result has apply-fix forms"
            assert "slot" not in " ".join(tokens)
            secret = client.cookies["csrftoken"].value
            assert {_unmask_cipher_token(t) for t in tokens} == {secret}
            secrets.setdefault(user.username, set()).add(secret)
        assert secrets["alice"].isdisjoint(secrets["bob"])

    def test_a_fix_posted_from_a_cached_page_passes_the_csrf_check(self) -> None:
        self.page_as(self.alice)  # stores the result with alice's session
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.bob)
        html = client.get(self.url).content.decode()
        form = re.search(r'<form method="post" action="([^"]+)" class="apply-fix">.*?</form>', html, re.S)
        assert form is not None
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
        with broker():
            resp = client.post(form.group(1), fields)
        assert resp.status_code == 302, resp.content[:300]


@override_settings(TRACER_PAGE_CACHE=True)
class SharePageCacheTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["pages"].clear()
        self.trace = self.make_trace()
        self.link = ShareLink.objects.create(
            trace=self.trace, visibility=ShareLink.Visibility.PUBLIC, created_by=self.alice
        )
        self.url = self.link.get_absolute_url()

    def test_the_share_page_is_rendered_once(self) -> None:
        with renders(share_views) as presenter:
            first = self.client.get(self.url)
            second = self.client.get(self.url)
        assert first.status_code == second.status_code == 200
        assert presenter.call_count == 1
        assert f"/t/{self.link.token}.json" in result_part(second.content.decode())

    def test_a_revoked_link_answers_404_even_when_cached(self) -> None:
        assert self.client.get(self.url).status_code == 200
        assert self.client.get(f"{self.url}/hops/0/1/").status_code == 200
        ShareLink.objects.filter(pk=self.link.pk).update(revoked_at=timezone.now())
        assert self.client.get(self.url).status_code == 404
        assert self.client.get(f"{self.url}/hops/0/1/").status_code == 404

    def test_each_link_and_the_owner_page_get_their_own_result(self) -> None:
        other = ShareLink.objects.create(
            trace=self.trace, visibility=ShareLink.Visibility.PUBLIC, created_by=self.alice
        )
        self.login(self.alice)
        owner = result_part(self.client.get(f"/traces/{self.trace.id}/").content.decode())
        first = result_part(Client().get(self.url).content.decode())
        second = result_part(Client().get(other.get_absolute_url()).content.decode())
        assert self.link.token in first and other.token not in first
        assert other.token in second and self.link.token not in second
        assert self.link.token not in owner and f"/traces/{self.trace.id}.json" in owner
        assert f"/traces/{self.trace.id}/" not in first

    def test_a_workspace_link_still_asks_outsiders_to_log_in(self) -> None:
        link = ShareLink.objects.create(
            trace=self.trace, visibility=ShareLink.Visibility.WORKSPACE, created_by=self.alice
        )
        self.login(self.bob)
        assert self.client.get(link.get_absolute_url()).status_code == 200
        self.client.logout()
        assert self.client.get(link.get_absolute_url()).status_code == 302
        self.login(self.charlie)
        assert self.client.get(link.get_absolute_url()).status_code == 404


class TraceStateTests(BaseTestCase):
    def test_only_done_traces_are_cacheable(self) -> None:
        trace = self.make_trace()
        with override_settings(TRACER_PAGE_CACHE=True):
            assert page_cache.cacheable(trace)
            for state in (Trace.State.QUEUED, Trace.State.RUNNING, Trace.State.FAILED):
                trace.state = state
                assert not page_cache.cacheable(trace)
        trace.state = Trace.State.DONE
        with override_settings(TRACER_PAGE_CACHE=False):
            assert not page_cache.cacheable(trace)
