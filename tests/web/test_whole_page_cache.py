"""Whole finished trace pages from the cache (tracer/page_cache.py, whole pages): two queries per view, stale
after any write request, per user, with the requesting browser's CSRF token, and never with a message."""

from __future__ import annotations

import re

from django.contrib.messages import constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import caches
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tracer.models import Membership, ShareLink

from .base import BaseTestCase

FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANY_TOKEN = re.compile(r"[A-Za-z0-9]{64}")  # form fields and htmx's X-CSRFToken header


@override_settings(TRACER_PAGE_CACHE=True, TRACER_PAGE_CACHE_WHOLE=True)
class WholePageCacheTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["pages"].clear()
        self.trace = self.make_trace()
        self.url = self.trace.get_absolute_url()

    def test_a_cached_page_costs_two_queries_and_is_the_same_page(self) -> None:
        self.login(self.alice)
        first = self.client.get(self.url).content.decode()
        with CaptureQueriesContext(connection) as queries:
            second = self.client.get(self.url).content.decode()
        assert len(queries) <= 3, [q["sql"][:80] for q in queries.captured_queries]  # session, user, trace
        assert ANY_TOKEN.sub("", first) == ANY_TOKEN.sub("", second)
        assert 'data-testid="trace-result"' in second and "alice" in second

    def test_any_write_makes_cached_pages_stale(self) -> None:
        self.login(self.alice)
        self.client.get(self.url)
        self.client.post(f"/traces/{self.trace.id}/share/", {"visibility": "public", "understood": "yes"})
        link = ShareLink.objects.get(trace=self.trace, visibility=ShareLink.Visibility.PUBLIC)
        shown = self.client.get(self.url).content.decode()  # carries the "link ready" message: rendered
        assert link.token in shown and "Share link ready" in shown
        again = self.client.get(self.url).content.decode()  # the message is gone: cached again, with the link
        assert link.token in again and "Share link ready" not in again

    def test_each_user_and_browser_gets_its_own_header_and_token(self) -> None:
        self.login(self.alice)
        alice_page = self.client.get(self.url).content.decode()
        bob = Client()
        bob.force_login(self.bob)
        bob_page = bob.get(self.url).content.decode()
        assert "bob" in bob_page and ">alice<" not in bob_page and "alice" in alice_page
        other_browser = Client()
        other_browser.force_login(self.alice)
        other_browser.get(self.url)
        page = other_browser.get(self.url).content.decode()  # from the cache
        secret = other_browser.cookies["csrftoken"].value
        tokens = FORM_TOKEN.findall(page)
        assert tokens and all(_unmask_cipher_token(t) == secret for t in tokens)

    def test_pages_with_a_message_or_a_query_are_not_served_from_the_cache(self) -> None:
        self.login(self.alice)
        self.client.get(self.url)
        response = self.client.get(self.url, {"hop": "0.0"})
        assert response.status_code == 200
        request = response.wsgi_request
        storage = FallbackStorage(request)
        storage.add(constants.INFO, "a message only this view shows")
        from tracer import page_cache

        request._messages = storage
        assert page_cache.cached_page(request, self.trace) is None


@override_settings(TRACER_PAGE_CACHE=True, TRACER_PAGE_CACHE_WHOLE=True)
class SessionPageTests(BaseTestCase):
    """A repeat view by the same browser session: answered before the session and the user are loaded."""

    def setUp(self) -> None:
        super().setUp()
        caches["pages"].clear()
        self.trace = self.make_trace()
        self.url = self.trace.get_absolute_url()

    def test_a_repeat_view_makes_no_query(self) -> None:
        self.login(self.alice)
        first = self.client.get(self.url).content.decode()
        with CaptureQueriesContext(connection) as queries:
            again = self.client.get(self.url)
        assert again.status_code == 200 and len(queries) == 0
        assert ANY_TOKEN.sub("", first) == ANY_TOKEN.sub("", again.content.decode())

    def test_logging_out_or_losing_membership_is_never_answered_from_the_cache(self) -> None:
        self.login(self.alice)
        self.client.get(self.url)
        cookie = self.client.cookies["sessionid"].value
        self.client.post("/logout/")
        stale = Client()
        stale.cookies["sessionid"] = cookie  # the old session cookie, replayed
        assert stale.get(self.url).status_code == 302  # to the log-in page
        bob = Client()
        bob.force_login(self.bob)
        assert bob.get(self.url).status_code == 200
        assert bob.get(self.url).status_code == 200  # cached for bob's session now
        self.login(self.alice)
        self.client.post("/workspace/members/remove/", {"username": "bob"})
        assert not Membership.objects.filter(user=self.bob, workspace=self.workspace).exists()
        assert bob.get(self.url).status_code == 404
