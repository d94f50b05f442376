"""Cookies the browser kept but did not send (Path), or never kept (Secure over plain HTTP).

Report 000 stage 4: OpenVSCode sets its token cookie without a Path while served at /vscode/, so the
browser scopes it to /vscode (RFC 6265 section 5.1.4 default-path) and the assets under /stable-<commit>
go without it: 403. Report 004: the dashboard's login cookie is Secure, which a browser refuses from a
plain-HTTP response (RFC 6265bis section 5.7), so logging in over http:// does nothing.
Rules: browser#B2 (default-path and path-match), browser#B3 (Secure from a non-secure origin).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..journey.cookies import default_path, path_match
from ..journey.runner import JOURNEY_CLOCK
from ..journey.set_cookie import parse_set_cookie
from ..result import Diagnosis, RequestTrace
from .context import FixContext, add, path_of, query_of
from .ingress_edit import annotations_patch, merge_ingress
from .patch import Patch
from .prefix import first_segment


@dataclass(frozen=True, slots=True)
class _SetCookie:
    name: str
    value: str
    path: str  # as stored: the Path attribute, or the default-path
    explicit_path: bool
    secure: bool
    host: str
    scheme: str
    by: RequestTrace  # the response that set it


def _set_cookies(ctx: FixContext, before: RequestTrace) -> list[_SetCookie]:
    out = []
    for rt in ctx.requests:
        if rt is before:
            break
        raw = rt.response_headers.get("set-cookie")
        if not raw or rt.status is None:
            continue
        url = urlsplit(str(rt.request.get("url") or ""))
        for header in raw if isinstance(raw, list) else [raw]:
            parsed = parse_set_cookie(str(header), JOURNEY_CLOCK)
            if parsed is None:
                continue
            path = parsed.path if parsed.path else default_path(url.path or "/")
            out.append(_SetCookie(parsed.name, parsed.value, path, bool(parsed.path), parsed.secure,
                                  (url.hostname or "").lower(), url.scheme, rt))
    return out


def _app_refused(ctx: FixContext, rt: RequestTrace) -> bool:
    return rt.status is not None and rt.status >= 400 and ctx.app_hop_details(rt) is not None


def cookie_path_not_covering(ctx: FixContext, rt: RequestTrace) -> None:
    """The app refused a request that lacked a cookie the jar holds for another path, and would take it with it."""
    if not _app_refused(ctx, rt):
        return
    host = (urlsplit(str(rt.request.get("url") or "")).hostname or "").lower()
    path = path_of(rt)
    for c in _set_cookies(ctx, rt):
        if c.name in (rt.cookies_sent or []) or c.host != host or path_match(path, c.path) or (c.secure and c.scheme != "https"):
            continue
        upstream = str((rt.upstream or {}).get("path") or path)
        status = ctx.app_would_answer(rt, upstream, (c.name, c.value))
        if status is None or status >= 400:
            continue
        _cookie_diagnosis(ctx, rt, c, path, status)
        return


def _cookie_diagnosis(ctx: FixContext, rt: RequestTrace, c: _SetCookie, path: str, status: int) -> None:
    at = ctx.routed(c.by)
    how = f"with Path={c.path}" if c.explicit_path else f"without a Path, so the browser scoped it to {c.path}"
    message = (f"The app set the cookie {c.name} {how} (on {path_of(c.by)}); {path} is outside that path, so the "
               f"browser did not send it and the app answered {rt.status}. With the cookie it answers {status}.")
    patches: list[Patch] = []
    if at is None:
        fix = f"Make the cookie {c.name} cover {path}: have the app set Path=/ (or a path covering both)."
    elif c.explicit_path:
        fix = f"Rewrite the cookie's Path on its way out: proxy-cookie-path {c.path} / on {at.label()}."
        patches.append(merge_ingress(at, annotations_patch({"proxy-cookie-path": f"{c.path} /"}),
                                     f"{at.label()}: proxy-cookie-path {c.path} /"))
    else:
        # No Path attribute: nginx cannot add one (proxy_cookie_path only edits an existing Path), so the page that
        # sets the cookie must be served from a path whose directory covers the requests that need it.
        new = first_segment(path)
        regex = f"{new}/?$"
        fix = (f"proxy_cookie_path cannot add a Path the app never sends. Serve the app's page under {new}/ instead "
               f"(the prefix its own URLs use): {at.label()} matches {regex} and rewrites to /, so the cookie is scoped "
               f"to {new} and reaches {path}; open {new}/ from now on.")
        if at.strips_prefix:
            entry = {**at.entry, "path": regex, "pathType": "ImplementationSpecific"}
            notes: dict[str, str | None] = {"use-regex": "true", "rewrite-target": "/"}
            redirect_to = at.annotation("proxy-redirect-to")
            if redirect_to:
                notes["proxy-redirect-to"] = redirect_to.replace(at.prefix + "/", new + "/", 1)
            body = {**annotations_patch(notes), "spec": {"rules": at.rules_with(entry)}}
            patches.append(merge_ingress(at, body, f"{at.label()}: path {at.path} -> {regex}, rewrite-target /"))
            journey = _journey_start(ctx, at.prefix, new)
            if journey is not None:
                patches.append(journey)
    add(rt, Diagnosis("COOKIE_PATH_NOT_COVERING", "error", message, fix, "browser#B2",
                      [at.ref()] if at is not None else [], [p.to_dict() for p in patches]))


def _journey_start(ctx: FixContext, old: str, new: str) -> Patch | None:
    """The Journey document's start URL moved from the old prefix to the new one."""
    if not ctx.start:
        return None
    # The Journey document traced, or (a journey given as the request) the one that starts at the same URL.
    obj = next((o for o in ctx.snapshot.of_kind("Journey") if o.name == ctx.journey), None) if ctx.journey else next(
        (o for o in ctx.snapshot.of_kind("Journey") if str((o.spec or {}).get("start") or "") == ctx.start), None)
    parts = urlsplit(ctx.start)
    if obj is None or not (parts.path == old or parts.path.startswith(old + "/")):
        return None
    moved = parts._replace(path=new + parts.path[len(old):]).geturl()
    return Patch("merge", obj.api_version, "Journey", obj.namespace, obj.name, obj.source.file, {"spec": {"start": moved}},
                 f"Journey {obj.name}: start at {moved}")


def secure_cookie_over_http(ctx: FixContext, rt: RequestTrace) -> None:
    """The app refused a request over http:// that lacked a Secure cookie it had tried to set over http://."""
    if not _app_refused(ctx, rt) or urlsplit(str(rt.request.get("url") or "")).scheme != "http":
        return
    host = (urlsplit(str(rt.request.get("url") or "")).hostname or "").lower()
    for c in _set_cookies(ctx, rt):
        if not (c.secure and c.scheme == "http" and c.host == host and c.name not in (rt.cookies_sent or [])):
            continue
        if not path_match(path_of(rt), c.path):
            continue
        upstream = str((rt.upstream or {}).get("path") or path_of(rt))
        status = ctx.app_would_answer(rt, upstream, (c.name, c.value))
        if status is None or status >= 400:
            continue
        at = ctx.routed(c.by)
        patches = []
        if at is not None and rt.controller == "ingress-nginx":
            patches.append(merge_ingress(at, annotations_patch({"force-ssl-redirect": "true"}),
                                         f"{at.label()}: force-ssl-redirect \"true\"").to_dict())
        query = query_of(c.by)
        add(rt, Diagnosis(
            "SECURE_COOKIE_OVER_HTTP", "error",
            f"The app set {c.name} with the Secure attribute on a plain-HTTP response "
            f"({path_of(c.by)}{'?' + query if query else ''}); a browser ignores a Secure cookie from a non-secure "
            f"origin, so {path_of(rt)} went without it and the app answered {rt.status} (with it: {status}).",
            "Serve the app over HTTPS only: redirect http:// to https:// (force-ssl-redirect, which works even when "
            "TLS ends in front of the controller) and open the https:// URL.",
            "browser#B3", [at.ref()] if at is not None else [], patches,
        ))
        return
