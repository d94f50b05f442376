"""Throttling of failed log-ins and failed API-token authentication.

After too many failures for one username, or from one client address, within a window, further attempts
answer 429 with Retry-After until the window ends, even with the right password: guessing stops paying off
before it can succeed. Windows are fixed: the first failure opens one for TRACER_LOGIN_WINDOW_SECONDS.

The counters live in Django's default cache (Redis when REDIS_URL is set, so every web process counts
together; docs/security.md). Usernames and addresses are hashed into the keys. If the cache cannot be
reached the throttle lets attempts through and logs it: a cache outage must not lock everybody out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

log = logging.getLogger(__name__)

LOGIN_USER = "login-user"
LOGIN_IP = "login-ip"
TOKEN_IP = "token-ip"


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRACER_TRUSTED_PROXIES reverse proxies the address the
    outermost of them saw (each proxy appends its peer to X-Forwarded-For, so it is N entries from the right;
    whatever a client wrote there itself sits further left and is ignored)."""
    hops = settings.TRACER_TRUSTED_PROXIES
    if hops > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", ""))


def _key(scope: str, value: str) -> str:
    return f"throttle:{scope}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _limit(scope: str) -> int:
    return {
        LOGIN_USER: settings.TRACER_LOGIN_MAX_FAILURES,
        LOGIN_IP: settings.TRACER_LOGIN_MAX_FAILURES_PER_IP,
        TOKEN_IP: settings.TRACER_TOKEN_MAX_FAILURES_PER_IP,
    }[scope]


def record_failure(scope: str, value: str) -> None:
    """Count one failure; the first one of a window opens it."""
    if not value:
        return
    window = settings.TRACER_LOGIN_WINDOW_SECONDS
    key = _key(scope, value)
    try:
        # add() only sets a missing key, so concurrent failures share one window; incr() is atomic in Redis.
        cache.add(f"{key}:until", time.time() + window, window)
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr(): this failure opens the next window
            cache.set(key, 1, window)
    except Exception:  # the cache is down or misconfigured: count nothing rather than fail the request
        log.warning("throttle: could not count a failure in the cache", exc_info=True)


def wait_seconds(checks: list[tuple[str, str]]) -> int:
    """Seconds until every (scope, value) in ``checks`` is below its limit again; 0 when none is over it."""
    wait = 0
    try:
        for scope, value in checks:
            if not value:
                continue
            key = _key(scope, value)
            if (cache.get(key) or 0) < _limit(scope):
                continue
            until = cache.get(f"{key}:until") or time.time() + settings.TRACER_LOGIN_WINDOW_SECONDS
            wait = max(wait, math.ceil(until - time.time()), 1)
    except Exception:
        log.warning("throttle: could not read the failure counters from the cache", exc_info=True)
        return 0
    return wait


def login_checks(username: str, ip: str) -> list[tuple[str, str]]:
    return [(LOGIN_USER, username.strip().lower()), (LOGIN_IP, ip)]


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def login_refusal(request: HttpRequest, wait: int) -> HttpResponse:
    message = (
        f"Too many failed log-in attempts for this username or from your network. Log-in is paused: try again "
        f"in {_duration(wait)}. Until then even the right password is refused."
    )
    resp = render(request, "429.html", {"message": message}, status=429)
    resp["Retry-After"] = str(wait)
    return resp


def token_refusal(wait: int) -> JsonResponse:
    message = (
        f"too many requests with an invalid API token from your address; try again in {_duration(wait)} "
        "(until then every token is refused)"
    )
    resp = JsonResponse({"error": message, "retry_after": wait}, status=429)
    resp["Retry-After"] = str(wait)
    return resp


@receiver(user_login_failed, dispatch_uid="tracer.throttle.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django's authenticate() sends this for every wrong username/password (the log-in page and the admin's)."""
    record_failure(LOGIN_USER, str(credentials.get("username") or "").strip().lower())
    if request is not None:
        record_failure(LOGIN_IP, client_ip(request))
