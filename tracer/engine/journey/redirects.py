"""Following HTTP redirects as a browser does: RFC 9110 section 15.4 with the Fetch Standard's choices.

RFC 9110 leaves some behaviour to the client ("for historical reasons, a user agent MAY change the
request method from POST to GET" on 301/302); browsers all do, and the Fetch Standard's "HTTP-redirect
fetch" writes that down. The limit of 10 redirects is the journey contract (Fetch allows 20).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .urls import HTTP_SCHEMES, UrlError, resolve, same_origin, scheme_of, without_fragment

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

StopReason = Literal["not-redirect", "no-location", "bad-location", "loop", "too-many"]


def is_redirect(status: int) -> bool:
    """RFC 9110 section 15.4: the statuses that a browser follows automatically (not 300 or 304)."""
    return status in REDIRECT_STATUSES


@dataclass(frozen=True, slots=True)
class RedirectStep:
    """The next request of a redirect chain.

    ``keeps_body`` is false when the method became GET: the body and its request-body headers
    (Content-Type, Content-Encoding, Content-Language, Content-Location) are dropped (Fetch,
    HTTP-redirect fetch step 12). ``drop_authorization`` is true when the redirect leaves the origin
    (Fetch, step 13): the Authorization header is not carried over.
    """

    method: str
    url: str
    keeps_body: bool
    drop_authorization: bool


@dataclass(frozen=True, slots=True)
class Stop:
    """Why a chain ends at this response.

    ``not-redirect`` and ``no-location`` end it normally: the response itself is the result (a 3xx
    without Location is shown as it is, Fetch "location URL" null). ``bad-location``, ``loop`` and
    ``too-many`` are network errors in the browser.
    """

    reason: StopReason
    detail: str


def redirected_method(method: str, status: int) -> str:
    """RFC 9110 15.4.2-15.4.9 as browsers apply them (Fetch, HTTP-redirect fetch step 12).

    301 and 302 turn POST (only POST) into GET; 303 turns every method but GET and HEAD into GET;
    307 and 308 keep the method.
    """
    upper = method.upper()
    if status in (301, 302) and upper == "POST":
        return "GET"
    if status == 303 and upper not in ("GET", "HEAD"):
        return "GET"
    return upper


def location_url(location: str, request_url: str) -> str:
    """Fetch, "location URL": ``Location`` resolved against the request URL (a relative reference is
    allowed, RFC 9110 section 10.2.2); without a fragment of its own it inherits the request's."""
    url = resolve(location, request_url)
    if "#" not in url and "#" in request_url:
        url += request_url[request_url.index("#") :]
    return url


def next_request(
    method: str,
    url: str,
    status: int,
    location: str | None,
    seen: Sequence[tuple[str, str]],
) -> RedirectStep | Stop:
    """The request that follows a response with ``status`` to ``method url``, or why there is none.

    ``seen`` is the chain so far, as (method, URL) pairs starting with the first request and ending
    with this one. A loop is a next request whose method and URL (fragment aside: it never goes on
    the wire) were already requested in this chain; it is reported in preference to the limit.
    """
    if not is_redirect(status):
        return Stop("not-redirect", f"status {status} is not a redirect")
    if location is None or not location.strip():
        return Stop("no-location", f"a {status} response without a Location header")
    try:
        target = location_url(location, url)
    except UrlError:
        return Stop("bad-location", f"Location {location!r} is not a valid URL")
    scheme = scheme_of(target)
    if scheme not in HTTP_SCHEMES:
        return Stop("bad-location", f"Location {location!r} has the scheme {scheme}, not http or https")
    new_method = redirected_method(method, status)
    wire = without_fragment(target)
    earlier = {(m.upper(), without_fragment(u)) for m, u in seen}
    if (new_method, wire) in earlier:
        return Stop("loop", f"{new_method} {wire} was already requested in this chain")
    redirects_so_far = max(len(seen) - 1, 0)
    if redirects_so_far >= MAX_REDIRECTS:
        return Stop("too-many", f"more than {MAX_REDIRECTS} redirects")
    return RedirectStep(
        method=new_method,
        url=target,
        keeps_body=new_method == method.upper(),
        drop_authorization=not same_origin(url, target),
    )
