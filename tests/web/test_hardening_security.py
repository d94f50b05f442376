"""Issue 11's security items: the secret key, Content-Security-Policy, log-in throttling, Cache-Control, share
links that reading never re-creates, Secrets stored by allowlist, and upload limits held while streaming."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from tracer import throttle
from tracer.middleware import SVG_POLICY, ResponseHeadersMiddleware
from tracer.models import ApiToken, ShareLink, Snapshot

from .base import MANIFEST, BaseTestCase

ROOT = Path(__file__).resolve().parents[2]
KUBE_TESTS = ROOT / "tests" / "kube"
if str(KUBE_TESTS) not in sys.path:
    sys.path.insert(0, str(KUBE_TESTS))

from kube_apiserver import RecordedAPIServer, write_kubeconfig  # noqa: E402

KEY = "test-secret-key-not-for-production-0123456789"
MIB = 1024 * 1024
GIB = 1024 * MIB


# -- 1. SECRET_KEY ------------------------------------------------------------------------------------------------


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE", "DEBUG")}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=180
    )


def test_without_a_key_and_debug_off_the_app_refuses_to_start() -> None:
    for args in (["manage.py", "check"], ["manage.py", "migrate", "--check"], ["-c", "import tracer.wsgi"]):
        r = run(args, DEBUG="0")
        assert r.returncode != 0, (args, r.stdout, r.stderr)
        assert "ImproperlyConfigured" in r.stderr, r.stderr
        assert "SECRET_KEY is not set" in r.stderr and "SECRET_KEY_FILE" in r.stderr, r.stderr


def test_a_key_file_is_enough(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 50 + "\n")
    r = run(["manage.py", "check"], DEBUG="0", SECRET_KEY_FILE=str(key_file))
    assert r.returncode == 0, r.stdout + r.stderr


def test_offline_commands_need_no_key() -> None:
    # The README's command-line traces sign nothing: they still run without any set-up.
    r = run(
        ["manage.py", "trace", "-f", "examples/shop", "--request", "GET https://shop.example.com/api/items?id=3"],
        DEBUG="0",
        DATABASE_URL="sqlite:////nonexistent/dir/db.sqlite3",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "200" in r.stdout


# -- 2. Content-Security-Policy -----------------------------------------------------------------------------------

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parts = [p.strip().split(None, 1) for p in header.split(";") if p.strip()]
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def page_templates() -> Iterator[Path]:
    yield from (ROOT / "templates").rglob("*.html")


def test_templates_hold_no_inline_script_handler_or_style() -> None:
    for path in page_templates():
        text = re.sub(r"\{#.*?#\}", "", path.read_text())  # template comments may name what they avoid
        where = path.relative_to(ROOT)
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text), f"{where}: inline <script>"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{where}: on*= event handler attribute"
        assert not re.search(r"\shx-on", text), f"{where}: hx-on (evaluated script)"
        assert not re.search(r"\sstyle\s*=", text), f"{where}: style attribute"
        assert "<style" not in text, f"{where}: <style> element"
        assert "javascript:" not in text.lower(), f"{where}: javascript: URL"


class SecurityTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        cache.clear()  # throttle counters of other tests (the default cache is process memory here)
        self.trace = self.make_trace()

    def tearDown(self) -> None:
        cache.clear()
        super().tearDown()

    def public_link(self) -> ShareLink:
        return ShareLink.objects.create(trace=self.trace, visibility=ShareLink.Visibility.PUBLIC, created_by=self.alice)

    def pages(self) -> list[str]:
        return [
            "/",
            "/snapshots/",
            "/snapshots/upload/",
            self.snapshot.get_absolute_url(),
            self.trace.get_absolute_url(),
            f"{self.trace.get_absolute_url()}?hop=0.1",
            f"/traces/{self.trace.pk}/hops/0/1/",
            "/traces/",
            "/workspace/",
            "/tokens/",
            "/rules/",
        ]


class CspTestCase(SecurityTestCase):
    def test_every_page_carries_the_policy(self) -> None:
        link = self.public_link()
        anonymous = ["/login/", link.get_absolute_url(), f"{link.get_absolute_url()}?hop=0.1"]
        for url in anonymous:
            r = self.client.get(url)
            assert r.status_code == 200, url
            assert directives(r["Content-Security-Policy"]) == EXPECTED_CSP, url
        self.login(self.alice)
        for url in self.pages():
            r = self.client.get(url)
            assert r.status_code == 200, url
            assert directives(r["Content-Security-Policy"]) == EXPECTED_CSP, url

    def test_rendered_pages_have_no_inline_script_and_htmx_adds_no_style(self) -> None:
        self.login(self.alice)
        for url in [*self.pages(), self.public_link().get_absolute_url()]:
            html = self.client.get(url).content.decode()
            assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), url
            assert not re.search(r"\son[a-z]+\s*=\s*[\"']", html), url
            assert not re.search(r"<[a-z]+[^>]*\sstyle\s*=", html), url
            # htmx would otherwise inject its indicator CSS as an inline <style> the policy refuses.
            if "htmx" in html and "<meta" in html:
                assert '"includeIndicatorStyles":false' in html, url

    def test_the_diagram_download_gets_a_policy_of_its_own(self) -> None:
        # Its colours are an inline <style> in a standalone SVG: allowed there only, with nothing else.
        self.login(self.alice)
        r = self.client.get(f"/traces/{self.trace.pk}.svg")
        assert r.status_code == 200 and r["Content-Type"].startswith("image/svg+xml")
        assert b"<style>" in r.content
        assert r["Content-Security-Policy"] == SVG_POLICY
        assert directives(SVG_POLICY)["default-src"] == "'none'" and "script-src" not in directives(SVG_POLICY)


# -- 3. log-in throttling -----------------------------------------------------------------------------------------


class LoginThrottleTestCase(SecurityTestCase):
    def post_login(self, username: str, password: str, ip: str = "198.51.100.7", url: str = "/login/") -> Any:
        return Client().post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)

    def assert_throttled(self, r: Any) -> int:
        assert r.status_code == 429, r.status_code
        wait = int(r["Retry-After"])
        self.assertContains(r, "Too many failed log-in attempts", status_code=429)
        self.assertContains(r, "even the right password is refused", status_code=429)
        assert "sessionid" not in r.cookies
        return wait

    def test_five_wrong_passwords_then_even_the_right_one_is_refused(self) -> None:
        for _ in range(5):
            r = self.post_login("alice", "wrong")
            assert r.status_code == 200 and "_auth_user_id" not in r.wsgi_request.session
        wait = self.assert_throttled(self.post_login("alice", "password"))
        assert 1 <= wait <= 15 * 60
        self.assert_throttled(self.post_login("ALICE", "password", ip="203.0.113.9"))  # same username, any address
        # Another user from another address is not affected.
        assert self.post_login("bob", "password", ip="203.0.113.10").status_code == 302

    @override_settings(TRACER_LOGIN_WINDOW_SECONDS=1)
    def test_once_the_window_has_passed_the_right_password_works(self) -> None:
        for _ in range(5):
            self.post_login("alice", "wrong")
        self.assert_throttled(self.post_login("alice", "password"))
        time.sleep(1.2)
        assert self.post_login("alice", "password").status_code == 302

    @override_settings(TRACER_LOGIN_MAX_FAILURES_PER_IP=3)
    def test_one_address_trying_many_usernames_is_throttled(self) -> None:
        for name in ("root", "admin", "test"):
            assert self.post_login(name, "guess", ip="192.0.2.50").status_code == 200
        self.assert_throttled(self.post_login("bob", "password", ip="192.0.2.50"))
        assert self.post_login("bob", "password", ip="192.0.2.51").status_code == 302

    def test_the_admin_log_in_counts_and_is_throttled_too(self) -> None:
        for _ in range(5):
            assert self.post_login("alice", "wrong", url="/admin/login/").status_code == 200
        self.assert_throttled(self.post_login("alice", "password"))
        self.assert_throttled(self.post_login("alice", "password", url="/admin/login/"))

    @override_settings(TRACER_TRUSTED_PROXIES=1)
    def test_behind_a_proxy_the_address_it_saw_counts_not_what_the_client_wrote(self) -> None:
        request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.23")
        assert throttle.client_ip(request) == "198.51.100.23"
        with override_settings(TRACER_TRUSTED_PROXIES=0):
            assert throttle.client_ip(request) == "10.0.0.2"

    @override_settings(TRACER_TOKEN_MAX_FAILURES_PER_IP=3)
    def test_wrong_api_tokens_from_one_address_are_throttled(self) -> None:
        _, token = ApiToken.issue(self.alice, "ci", self.workspace)

        def get(credential: str, ip: str = "198.51.100.99") -> Any:
            return Client().get("/api/v1/snapshots", HTTP_AUTHORIZATION=f"Token {credential}", REMOTE_ADDR=ip)

        for guess in ("trc_a", "trc_b", "trc_c"):
            assert get(guess).status_code == 401
        r = get(token)
        assert r.status_code == 429 and int(r["Retry-After"]) >= 1
        assert "too many requests with an invalid API token" in r.json()["error"]
        assert get(token, ip="198.51.100.100").status_code == 200

    def test_the_counters_work_in_redis(self) -> None:
        redis = pytest.importorskip("redis")
        try:
            redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        backend = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"tracer-test-{uuid.uuid4().hex}",  # this test's keys only; they expire with the window
        }
        with override_settings(CACHES={**settings.CACHES, "default": backend}, TRACER_LOGIN_WINDOW_SECONDS=30):
            for _ in range(5):
                self.post_login("alice", "wrong")
            self.assert_throttled(self.post_login("alice", "password"))

    def test_a_cache_outage_does_not_lock_anyone_out(self) -> None:
        broken = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
        with override_settings(CACHES={**settings.CACHES, "default": broken}):
            for _ in range(6):
                self.post_login("alice", "wrong")
            assert self.post_login("alice", "password").status_code == 302


def test_settings_use_redis_for_the_cache_when_redis_url_is_set() -> None:
    code = "from tracer import settings as s; print(s.CACHES['default']['BACKEND'])"
    with_redis = run(["-c", code], SECRET_KEY=KEY, REDIS_URL="redis://127.0.0.1:6379/3")
    without = run(["-c", code], SECRET_KEY=KEY)
    assert with_redis.stdout.strip() == "django.core.cache.backends.redis.RedisCache", with_redis.stderr
    assert without.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache", without.stderr


# -- 4. Cache-Control ---------------------------------------------------------------------------------------------


class CacheControlTestCase(SecurityTestCase):
    def assert_private(self, r: Any, url: str) -> None:
        value = r.get("Cache-Control", "")
        assert "private" in value and "no-store" in value, (url, value)
        assert "public" not in value, (url, value)

    def test_per_user_pages_api_and_share_pages_are_private(self) -> None:
        link = self.public_link()
        for url in ("/login/", link.get_absolute_url(), f"{link.get_absolute_url()}.json"):
            self.assert_private(self.client.get(url), url)
        _, token = ApiToken.issue(self.alice, "ci", self.workspace)
        for url in ("/api/v1/snapshots", f"/api/v1/traces/{self.trace.pk}"):
            r = self.client.get(url, HTTP_AUTHORIZATION=f"Token {token}")
            assert r.status_code == 200
            self.assert_private(r, url)
        self.login(self.alice)
        for url in [*self.pages(), f"/traces/{self.trace.pk}.json", f"/traces/{self.trace.pk}.md"]:
            r = self.client.get(url)
            assert r.status_code == 200, url
            self.assert_private(r, url)

    def test_a_view_that_chose_its_caching_keeps_it_but_private_and_public_stays_public(self) -> None:
        def answer(cache_control: str) -> HttpResponse:
            response = HttpResponse("x")
            response["Cache-Control"] = cache_control
            return ResponseHeadersMiddleware(lambda request: response)(HttpRequest())

        assert set(answer("max-age=60")["Cache-Control"].split(", ")) == {"max-age=60", "private"}
        assert answer("public, max-age=31536000")["Cache-Control"] == "public, max-age=31536000"

    @override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
    def test_static_files_keep_their_public_caching(self) -> None:
        r = Client().get("/static/css/tracer.css")
        assert r.status_code == 200
        value = r["Cache-Control"]
        assert "public" in value and "private" not in value and "no-store" not in value, value


# -- 5. reading a trace never re-creates a revoked share link -----------------------------------------------------


class RevokedShareLinkTestCase(SecurityTestCase):
    def test_no_read_recreates_a_revoked_workspace_link(self) -> None:
        _, token = ApiToken.issue(self.alice, "ci", self.workspace)
        link = self.trace.share_link(self.alice)
        self.login(self.bob)
        assert self.client.post(f"/share/{link.token}/revoke/").status_code == 302
        reads = [
            self.trace.get_absolute_url(),
            f"/traces/{self.trace.pk}/status/",
            f"/traces/{self.trace.pk}/hops/0/1/",
            f"/traces/{self.trace.pk}.json",
            f"/traces/{self.trace.pk}.svg",
            f"/traces/{self.trace.pk}.md",
        ]
        for url in reads:
            assert self.client.get(url).status_code in (200, 286), url
        for _ in range(2):
            r = self.client.get(f"/api/v1/traces/{self.trace.pk}", HTTP_AUTHORIZATION=f"Token {token}")
            assert r.status_code == 200 and r.json()["share_url"] is None
        assert list(ShareLink.objects.values_list("token", flat=True)) == [link.token]
        link.refresh_from_db()
        assert link.revoked_at is not None
        assert self.client.get(link.get_absolute_url()).status_code == 404


# -- 6. Secrets by allowlist --------------------------------------------------------------------------------------

CERT_PEM = (KUBE_TESTS / "fixtures" / "frontend-tls.crt.pem").read_text()
KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC-private\n-----END PRIVATE KEY-----\n"
SECRET_VALUES = ("hunter2", "aHVudGVyMg==", "binary-secret", "YmluYXJ5LXNlY3JldA==", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")
KEPT_FIELDS = {"apiVersion", "kind", "metadata", "type", "data"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def hostile_secrets() -> list[dict[str, Any]]:
    meta_extra = {
        "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:data": {"f:password": {}}}}],
        "selfLink": "/api/v1/namespaces/shop/secrets/x",
        "futureField": "hunter2",
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "db", "namespace": "shop", "labels": {"app": "db"}, **meta_extra},
            "data": {"password": b64("hunter2")},
            "stringData": {"token": "hunter2"},
            "binaryData": {"blob": b64("binary-secret")},
            "immutable": True,
            "spec": {"password": "hunter2"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": "shop-tls", "namespace": "shop", "uid": "u-1", "annotations": {"a": "b"}, **meta_extra},
            "data": {"tls.crt": b64(CERT_PEM), "tls.key": b64(KEY_PEM), "ca.crt": b64(CERT_PEM)},
            "binaryData": {"extra.key": b64("binary-secret")},
            "extra": {"password": "hunter2"},
        },
    ]


class SecretAllowlistTestCase(SecurityTestCase):
    def assert_only_allowed(self, snap: Snapshot) -> None:
        secrets = {o.name: o.body for o in snap.k8s_objects.filter(kind="Secret")}
        assert set(secrets) == {"db", "shop-tls"}, secrets
        for body in secrets.values():
            assert set(body) <= KEPT_FIELDS, body.keys()
            assert "managedFields" not in body["metadata"] and "futureField" not in body["metadata"]
        assert secrets["db"]["metadata"]["labels"] == {"app": "db"}
        assert "data" not in secrets["db"]
        tls = secrets["shop-tls"]
        assert tls["type"] == "kubernetes.io/tls" and tls["metadata"]["uid"] == "u-1"
        assert set(tls["data"]) == {"tls.crt", "ca.crt"}
        assert base64.b64decode(tls["data"]["tls.crt"]).decode() == CERT_PEM
        dump = json.dumps(list(secrets.values()))
        for value in SECRET_VALUES:
            assert value not in dump, value

    def test_an_upload_keeps_only_the_allowed_fields(self) -> None:
        self.login(self.alice)
        pasted = json.dumps({"apiVersion": "v1", "kind": "List", "items": hostile_secrets()})
        r = self.client.post("/snapshots/upload/", {"pasted": pasted, "name": "hostile secrets"})
        assert r.status_code == 302, r.content[:500]
        snap = Snapshot.objects.get(name="hostile secrets")
        self.assert_only_allowed(snap)
        assert any("Secret values dropped" in w["message"] for w in snap.warnings)

    def test_a_kube_pull_keeps_only_the_allowed_fields(self) -> None:
        from tracer.kube.pull import pull_objects
        from tracer.kube.store import store_pull

        server = RecordedAPIServer().start()
        try:
            items = [{k: v for k, v in s.items() if k not in ("apiVersion", "kind")} for s in hostile_secrets()]
            server.overrides["/api/v1/secrets"] = {"kind": "SecretList", "apiVersion": "v1", "metadata": {}, "items": items}
            kubeconfig = write_kubeconfig(Path(self.enterContext(tempfile.TemporaryDirectory())) / "kubeconfig", server.url)
            result = pull_objects(
                kubeconfig=str(kubeconfig), context=None, namespaces=None, in_cluster=False, include_tls=True
            )
        finally:
            server.stop()
        snap = store_pull(result, workspace=self.workspace, user=self.alice, name="pulled")
        # The Opaque Secret comes metadata-only from the API server; the TLS one in full, reduced.
        secrets = {o.name: o.body for o in snap.k8s_objects.filter(kind="Secret")}
        assert set(secrets) == {"db", "shop-tls"}
        self.assert_only_allowed(snap)


# -- 7. upload limits while streaming -----------------------------------------------------------------------------

BOUNDARY = "tracer-test-boundary"


class StreamedBody:
    """A request body made up as the server reads it, counting what it reads. Reading past ``give_up_after``
    fails the test at once (instead of pushing a whole gibibyte through)."""

    PATTERN = b"# padding line of a far too large manifest\n"

    def __init__(self, head: bytes, filler: int, tail: bytes, give_up_after: int) -> None:
        self.head, self.filler, self.tail = head, filler, tail
        self.total = len(head) + filler + len(tail)
        self.give_up_after = give_up_after
        self.consumed = 0

    def _slice(self, start: int, n: int) -> bytes:
        out = bytearray()
        end = start + n
        h, f = len(self.head), len(self.head) + self.filler
        if start < h:
            out += self.head[start : min(end, h)]
        if end > h and start < f:
            lo, hi = max(start, h) - h, min(end, f) - h
            offset = lo % len(self.PATTERN)
            out += (self.PATTERN * ((hi - lo + offset) // len(self.PATTERN) + 1))[offset : offset + hi - lo]
        if end > f:
            out += self.tail[max(start, f) - f : end - f]
        return bytes(out)

    def read(self, size: int | None = -1) -> bytes:
        left = self.total - self.consumed
        size = left if size is None or size < 0 else min(size, left)
        if self.consumed + size > self.give_up_after:
            raise AssertionError(f"the server read past {self.give_up_after} bytes of a {self.total}-byte body")
        data = self._slice(self.consumed, size)
        self.consumed += size
        return data

    def readline(self, size: int | None = -1) -> bytes:
        left = self.total - self.consumed
        size = left if size is None or size < 0 else min(size, left)
        peek = self._slice(self.consumed, min(size, 65536))
        cut = peek.find(b"\n")
        return self.read(cut + 1 if cut >= 0 else len(peek))


def multipart_file(size: int, give_up_after: int, filename: str = "huge.yaml") -> StreamedBody:
    head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\n"
        "Content-Type: application/x-yaml\r\n\r\n"
    ).encode() + MANIFEST
    return StreamedBody(head, size, f"\r\n--{BOUNDARY}--\r\n".encode(), give_up_after)


class UploadLimitTestCase(SecurityTestCase):
    def send(self, path: str, body: StreamedBody, content_type: str, **extra: str) -> Any:
        environ = self.client._base_environ(
            REQUEST_METHOD="POST",
            PATH_INFO=path,
            CONTENT_TYPE=content_type,
            CONTENT_LENGTH=str(body.total),
            **{"wsgi.input": body},
            **extra,
        )
        return self.client.handler(environ)

    def test_a_1_gib_upload_is_refused_before_its_body_is_read(self) -> None:
        self.login(self.alice)
        before = Snapshot.objects.count()
        body = multipart_file(GIB, give_up_after=8 * MIB)
        r = self.send("/snapshots/upload/", body, f"multipart/form-data; boundary={BOUNDARY}")
        assert r.status_code == 413
        self.assertContains(r, "The upload is larger than 64 MiB", status_code=413)
        self.assertContains(r, 'id="upload-errors"', status_code=413)  # upload.js shows this part in place
        self.assertContains(r, 'data-testid="nav-upload"', status_code=413)  # the page knows who is logged in
        assert body.consumed == 0
        assert Snapshot.objects.count() == before

    def test_the_api_refuses_a_1_gib_body_before_reading_it(self) -> None:
        _, token = ApiToken.issue(self.alice, "ci", self.workspace)
        for ctype in ("application/yaml", f"multipart/form-data; boundary={BOUNDARY}"):
            body = multipart_file(GIB, give_up_after=8 * MIB)
            r = self.send("/api/v1/snapshots", body, ctype, HTTP_AUTHORIZATION=f"Token {token}")
            assert r.status_code == 413, ctype
            answer = json.loads(r.content)
            assert answer["limit_bytes"] == 64 * MIB and "larger than 64 MiB" in answer["error"]
            assert body.consumed == 0

    @override_settings(TRACER_MAX_UPLOAD_BYTES=MIB)
    def test_files_past_the_limit_stop_the_stream_even_within_the_declared_length(self) -> None:
        # Content-Length within the limit plus framing room: the counting handler stops it while streaming.
        _, token = ApiToken.issue(self.alice, "ci", self.workspace)
        before = Snapshot.objects.count()
        self.login(self.alice)
        for path, extra in (("/snapshots/upload/", {}), ("/api/v1/snapshots", {"HTTP_AUTHORIZATION": f"Token {token}"})):
            body = multipart_file(int(1.9 * MIB), give_up_after=int(1.5 * MIB))
            r = self.send(path, body, f"multipart/form-data; boundary={BOUNDARY}", **extra)
            assert r.status_code == 413, (path, r.status_code)
            assert MIB < body.consumed < int(1.3 * MIB), body.consumed
            assert body.consumed < body.total - int(0.5 * MIB)
        assert Snapshot.objects.count() == before

    @override_settings(TRACER_MAX_UPLOAD_BYTES=MIB)
    def test_an_upload_under_the_limit_is_stored(self) -> None:
        self.login(self.alice)
        before = Snapshot.objects.count()
        body = multipart_file(int(0.9 * MIB), give_up_after=2 * MIB)
        r = self.send("/snapshots/upload/", body, f"multipart/form-data; boundary={BOUNDARY}")
        assert r.status_code == 302, r.content[:300]
        assert body.consumed == body.total
        assert Snapshot.objects.count() == before + 1
