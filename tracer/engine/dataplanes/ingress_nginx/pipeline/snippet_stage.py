"""Snippet directives on one request (ingress-nginx#11.4 to #11.7): which snippets apply, and when each acts.

nginx.tmpl writes into a server block the server-snippet of the first Ingress of the host that sets one
(#2.7, inside the server template, before app-root) and, after the locations, the ConfigMap server-snippet;
into every location that is not denied, the Ingress's configuration-snippet and then the ConfigMap
location-snippet, after the controller's own proxy_set_header lines. Annotation snippets reach here only
when the ConfigMap allows them (annotations/snippets.py).

When they act: a server-level ``return`` in P4 (the annotation's before app-root, the ConfigMap's after);
a location ``return`` in P6, after the CORS preflight and before the annotation redirects and rewrite-target
(both written after the snippet); request headers when the request is proxied (P10); response headers on
the way out (P11).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..policies.client import best_http_host, client_ip, pass_port
from ..redirects import Redirect
from ..snippet_directives import (
    ADD_HEADER_STATUSES,
    NO_DIRECTIVES,
    REDIRECT_CODES,
    HeaderEdit,
    SnippetDirectives,
    expand,
    media_type,
    parse_snippet,
)
from .state import RouteState

# Request headers every location sets with proxy_set_header (nginx.tmpl), so a client's header of the same
# name never reaches the pod and a snippet's proxy_set_header of it makes nginx send the header twice.
CONTROLLER_SET = frozenset({
    "host", "upgrade", "connection", "x-request-id", "x-real-ip", "x-forwarded-for", "x-forwarded-host",
    "x-forwarded-port", "x-forwarded-proto", "x-forwarded-scheme", "x-scheme", "x-original-forwarded-for",
    "x-original-forwarded-host", "proxy",
})
NOT_SIMULATED_ON_SUMMARY = 2


@dataclass(frozen=True, slots=True)
class Placed:
    """One snippet as written into the configuration: where, and its directives."""

    where: str  # "configuration-snippet of Ingress default/web"
    directives: SnippetDirectives


def _parsed(s: RouteState, text: str | None) -> SnippetDirectives:
    if not text or not text.strip():
        return NO_DIRECTIVES
    memo = s.ctx.memo
    key = ("snippet", text)
    found: SnippetDirectives | None = memo.get(key)
    if found is None:
        found = memo[key] = parse_snippet(text)
    return found


def _place(s: RouteState, where: str, text: str | None) -> Placed | None:
    directives = _parsed(s, text)
    return None if directives.empty else Placed(where, directives)


def _configmap(s: RouteState) -> str:
    return f"ConfigMap {s.config.configmap}" if s.config.configmap else "the controller ConfigMap"


def _table_has_snippets(s: RouteState) -> bool:
    """Whether any snippet text reaches the configuration at all (most snapshots have none)."""
    memo = s.ctx.memo
    found: bool | None = memo.get("has-snippets")
    if found is None:
        config = s.config
        found = memo["has-snippets"] = bool(
            config.server_snippet.strip() or config.location_snippet.strip()
            or any(a.snippets.server or a.snippets.configuration for a in s.ctx.selection.annotations.values())
        )
    return found


def server_snippets(s: RouteState) -> tuple[Placed | None, Placed | None]:
    """The host's annotation server-snippet (first Ingress that sets one, #2.7) and the ConfigMap's."""
    server = s.server
    if server is None or server.redirect_to is not None or not _table_has_snippets(s):
        return None, None  # the from-to-www counterpart server is written without snippets
    key = ("server-snippets", id(server))
    memo = s.ctx.memo
    found: tuple[Placed | None, Placed | None] | None = memo.get(key)
    if found is None:
        annotation = None
        anns = s.ctx.selection.annotations
        for ing in server.ingresses:
            text = anns[ing.key].snippets.server
            if text:
                annotation = _place(s, f"server-snippet of Ingress {ing.namespace}/{ing.name}", text)
                break
        configmap = _place(s, f"server-snippet of {_configmap(s)}", s.config.server_snippet)
        found = memo[key] = (annotation, configmap)
    return found


def location_snippets(s: RouteState) -> list[Placed]:
    """The chosen location's configuration-snippet and the ConfigMap location-snippet; none when denied."""
    ann = s.ann
    if s.loc is None or ann is None or ann.denied or not _table_has_snippets(s):
        return []
    key = ("location-snippets", id(ann))
    memo = s.ctx.memo
    found: list[Placed] | None = memo.get(key)
    if found is None:
        placed = [
            _place(s, f"configuration-snippet of Ingress {ann.name}", ann.snippets.configuration),
            _place(s, f"location-snippet of {_configmap(s)}", s.config.location_snippet),
        ]
        found = memo[key] = [p for p in placed if p is not None]
    return found


# -- nginx variables --------------------------------------------------------------------------------


def _arg(query: str, name: str) -> str:
    """$arg_NAME: the first query argument of that name (compared case-insensitively), as sent."""
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key.lower() == name.lower():
            return value
    return ""


def variables(s: RouteState, *, uri: str, headers: list[tuple[str, str]] | None = None) -> Callable[[str], str | None]:
    """The value of an nginx variable for this request (None: not one tracer knows)."""
    req, config, loc = s.req, s.config, s.loc
    sent = req.headers if headers is None else headers
    backend = loc.backend if loc is not None else None
    ingress = loc.ingress if loc is not None else None
    fixed: dict[str, str] = {
        "scheme": req.scheme,
        "host": s.host,
        "http_host": req.host_header,
        "server_name": s.server.hostname if s.server is not None else s.host,
        "server_port": str(config.https_port if req.scheme == "https" else config.http_port),
        "remote_addr": client_ip(req, config),
        "request_uri": req.request_uri,
        "uri": uri,
        "document_uri": uri,
        "args": req.query,
        "query_string": req.query,
        "is_args": "?" if req.query else "",
        "request_method": req.method,
        "server_protocol": "HTTP/2.0" if req.http_version == "2" else f"HTTP/{req.http_version}",
        # nginx.tmpl's map: the client's X-Request-ID, else nginx's $request_id when generate-request-id is on
        "req_id": s.hdrs.get("x-request-id") or (s.request_id() if config.generate_request_id else ""),
        # set by every location of nginx.tmpl (empty before a location is chosen)
        "pass_access_scheme": s.scheme,
        "best_http_host": best_http_host(req, config),
        "pass_port": pass_port(req, config),
        "namespace": (ingress.namespace or "") if ingress is not None else "",
        "ingress_name": ingress.name if ingress is not None else "",
        "service_name": backend.service if backend is not None else "",
        "service_port": str(backend.port) if backend is not None else "",
        "location_path": loc.ingress_path if loc is not None else "",
        "proxy_upstream_name": (backend.upstream_name if backend is not None else "upstream-default-backend")
        if loc is not None else "-",
    }

    def lookup(name: str) -> str | None:
        if name in fixed:
            return fixed[name]
        if name.startswith("http_") and name != "http_":
            wanted = name[5:].replace("_", "-")
            return next((v for k, v in sent if k.lower() == wanted), "")
        if name.startswith("arg_") and name != "arg_":
            return _arg(req.query, name[4:])
        if name.startswith("cookie_") and name != "cookie_":
            return req.cookies().get(name[7:], "")
        return None

    return lookup


# -- notes for the hop -------------------------------------------------------------------------------


def _note(s: RouteState, kind: str, text: str) -> None:
    notes = s.snippet_notes
    if notes is None:
        notes = s.snippet_notes = {}
    entries = notes.setdefault(kind, [])
    if text not in entries:
        entries.append(text)


def _expand(s: RouteState, value: str, lookup: Callable[[str], str | None], edit_text: str) -> str:
    out, unknown = expand(value, lookup)
    for name in unknown:
        _note(s, "not_evaluated", f"{name} in {edit_text}: left as written")
    return out


# -- P4 and P6: return ------------------------------------------------------------------------------


def server_return(s: RouteState, *, configmap: bool) -> int | None:
    """P4: the ``return`` of the annotation server-snippet (configmap False) or of the ConfigMap's."""
    placed = server_snippets(s)[1 if configmap else 0]
    if placed is None or placed.directives.first_return is None:
        return None
    return _answer(s, placed, location=False)


def location_return(s: RouteState) -> int | None:
    """P6: the first ``return`` of the location's snippets (the configuration-snippet is written first)."""
    for placed in location_snippets(s):
        if placed.directives.first_return is not None:
            return _answer(s, placed, location=True)
    return None


def _answer(s: RouteState, placed: Placed, *, location: bool) -> int:
    ret = placed.directives.first_return
    assert ret is not None
    rule = "ingress-nginx#11.7"
    lookup = variables(s, uri=s.uri)
    value = _expand(s, ret.value, lookup, ret.text) if ret.value is not None else None
    what = f"{ret.text} in the {placed.where}"
    _note(s, "applied", what)
    s.rules.append("ingress-nginx#11.4")
    if ret.code == 444:
        s.closed = True
        return s.respond(444, f"{what}: nginx closes the connection without sending a response", rule,
                         outcome="reset")
    if ret.code in REDIRECT_CODES and value:
        relative = s.config.relative_redirects or (location and s.ann is not None and s.ann.redirect.relative)
        if value.startswith("/") and not relative:
            value = f"{s.req.scheme}://{s.host}{value}"  # absolute_redirect on, port_in_redirect off
        return s.redirect(Redirect(ret.code, value, f"{what} answers {ret.code}", rule))
    if value is not None:
        s.own_body = True  # a body of its own: error_page (custom-http-errors) does not replace it
        return s.respond(ret.code, f'{what} answers {ret.code} with the text "{value}"', rule)
    return s.respond(ret.code, f"{what} answers {ret.code}", rule)


# -- P10: request headers ------------------------------------------------------------------------


def _pop(headers: dict[str, str], lname: str) -> str | None:
    found = None
    for key in [k for k in headers if k.lower() == lname]:
        found = headers.pop(key)
    return found


def _controller_set(s: RouteState) -> frozenset[str]:
    """The names the location's own proxy_set_header lines set, for this location and server."""
    ann = s.ann
    extra = {k.lower() for k in s.extra_upstream_headers}
    if s.config.proxy_add_original_uri_header:
        extra.add("x-original-uri")
    if ann is not None and ann.basic_auth.type is not None:
        extra.add("authorization")
    if ann is not None and s.rewritten and ann.rewrite.x_forwarded_prefix:
        extra.add("x-forwarded-prefix")
    return CONTROLLER_SET | extra


def upstream_headers(s: RouteState, headers: dict[str, str]) -> None:
    """P10: the snippets' effect on the request the pod receives (ingress-nginx#11.6), in place.

    more_set_input_headers / more_clear_input_headers run at the end of the rewrite phase and change the
    client's headers, which reach the pod unless a proxy_set_header line names them; the location's
    proxy_set_header lines then add theirs. A server-level proxy_set_header is never inherited, because
    every location has proxy_set_header lines of its own.
    """
    server_level = [p for p in server_snippets(s) if p is not None]
    loc_level = location_snippets(s)
    if not server_level and not loc_level:
        return
    controller = _controller_set(s)
    lookup = variables(s, uri=s.rewritten_uri or s.uri)
    content = media_type(s.req.header("content-type"))
    client = list(s.req.headers)
    for placed in [*server_level, *loc_level]:
        for edit in placed.directives.input_headers:
            if edit.types and content not in edit.types:
                continue
            client = _input_edit(s, edit, placed, headers, client, controller, lookup)
    lookup = variables(s, uri=s.rewritten_uri or s.uri, headers=client)  # $http_* after the edits
    for placed in server_level:
        for edit in placed.directives.proxy_headers:
            _note(s, "no_effect", f"{edit.text} in the {placed.where}: not inherited, the location sets its own "
                  "proxy_set_header lines")
    for placed in loc_level:
        for edit in placed.directives.proxy_headers:
            _proxy_header(s, edit, placed, headers, controller, lookup)


def _input_edit(
    s: RouteState, edit: HeaderEdit, placed: Placed, headers: dict[str, str], client: list[tuple[str, str]],
    controller: frozenset[str], lookup: Callable[[str], str | None],
) -> list[tuple[str, str]]:
    lname = edit.name.lower()
    prefix = lname[:-1] if edit.value is None and lname.endswith("*") else None
    hit = [k for k, _ in client if (k.lower().startswith(prefix) if prefix is not None else k.lower() == lname)]
    if edit.replace_only and not hit:
        return client
    value = _expand(s, edit.value, lookup, edit.text) if edit.value is not None else None
    kept = [(k, v) for k, v in client if k not in hit]
    if value is not None:
        kept.append((edit.name, value))
    names = {k.lower() for k in hit} | ({lname} if prefix is None else set())
    passed = sorted(n for n in names if n not in controller)
    for name in passed:
        _pop(headers, name)
    if value is not None and lname not in controller:
        headers[edit.name] = value
    if passed:
        _note(s, "applied", f"{edit.text} in the {placed.where}")
    blocked = sorted(n for n in names if n in controller)
    if blocked:
        _note(s, "no_effect", f"{edit.text} in the {placed.where}: {', '.join(blocked)} is set by the controller's "
              "own proxy_set_header, so the pod does not see the change")
    s.rules.append("ingress-nginx#11.6")
    return kept


def _proxy_header(
    s: RouteState, edit: HeaderEdit, placed: Placed, headers: dict[str, str], controller: frozenset[str],
    lookup: Callable[[str], str | None],
) -> None:
    value = _expand(s, edit.value or "", lookup, edit.text)
    lname = edit.name.lower()
    where = f"{edit.text} in the {placed.where}"
    s.rules.append("ingress-nginx#11.6")
    if lname in controller:
        current = next((v for k, v in headers.items() if k.lower() == lname), "")
        if not value:
            _note(s, "no_effect", f"{where}: an empty value sends nothing, the controller's own line still sends "
                  f"{edit.name}")
            return
        if current:
            # Both lines are sent: two header fields of the same name, read as one comma-separated list.
            key = next(k for k in headers if k.lower() == lname)
            headers[key] = f"{current}, {value}"
            _note(s, "applied", f"{where}: {edit.name} is sent twice (the controller sets it too), the pod "
                  f"sees {current} and {value}")
            return
        headers[edit.name] = value
        _note(s, "applied", where)
        return
    _pop(headers, lname)  # a name set by proxy_set_header: the client's header of that name is not passed
    if value:
        headers[edit.name] = value
    _note(s, "applied", where if value else f"{where}: an empty value removes the header")


# -- P11: response headers -------------------------------------------------------------------------


def _add_header_at_location(s: RouteState) -> bool:
    """nginx.tmpl writes ``add_header Set-Cookie $auth_cookie`` into locations with external auth."""
    ann = s.ann
    if ann is None:
        return False
    return ann.external_auth.url is not None or bool(s.config.global_auth_url and ann.external_auth.enable_global)


def response_headers(s: RouteState, status: int, *, intercepted: bool) -> None:
    """P11: headers-more edits (inherited ones first, then the location's), then add_header (ingress-nginx#11.5).

    add_header lines are inherited from the server only when the location has none of its own.
    """
    server_level = [p for p in server_snippets(s) if p is not None]
    loc_level = [] if intercepted else location_snippets(s)
    if not server_level and not loc_level:
        return
    lookup = variables(s, uri=s.rewritten_uri or s.uri)
    content = media_type(_content_type(s))
    for placed in [*server_level, *loc_level]:
        for edit in placed.directives.response:
            _more_set(s, edit, placed, status, content, lookup)
    own = any(p.directives.add_headers for p in loc_level) or (s.loc is not None and _add_header_at_location(s))
    for placed in loc_level if own else server_level:
        for edit in placed.directives.add_headers:
            _add_header(s, edit, placed, status, lookup)
    if own:
        for placed in server_level:
            for edit in placed.directives.add_headers:
                _note(s, "no_effect", f"{edit.text} in the {placed.where}: not inherited, the location has "
                      "add_header lines of its own")


def _content_type(s: RouteState) -> str | None:
    found = s.headers.get("content-type")
    if isinstance(found, str):
        return found
    if s.answer is not None and not s.answer.refused and s.answer.content_type:
        return s.answer.content_type
    return "text/html" if s.generated else None  # nginx's own pages and return texts: default_type


def _change(s: RouteState, text: str) -> None:
    changed: list[str] = s.changes.setdefault("response_headers", [])
    changed.append(text)


def _more_set(
    s: RouteState, edit: HeaderEdit, placed: Placed, status: int, content: str | None,
    lookup: Callable[[str], str | None],
) -> None:
    if edit.statuses and status not in edit.statuses:
        return
    where = f"{edit.text} in the {placed.where}"
    if edit.types and content is None:
        _note(s, "not_simulated", f"{where}: the response's content type is not known, so -t cannot be decided")
        return
    if edit.types and content not in edit.types:
        return
    headers: dict[str, Any] = s.headers
    lname = edit.name.lower()
    s.rules.append("ingress-nginx#11.5")
    _note(s, "applied", where)
    if edit.value is None:
        prefix = lname[:-1] if lname.endswith("*") else None
        gone = [k for k in headers if (k.startswith(prefix) if prefix is not None else k == lname)]
        for key in gone:
            _change(s, f"{key}: {_shown(headers.pop(key))} -> cleared ({edit.directive}, {placed.where})")
        return
    value = _expand(s, edit.value, lookup, edit.text)
    if lname == "location" and value.startswith("/") and not s.config.relative_redirects and not (
        s.ann is not None and s.ann.redirect.relative
    ):
        value = f"{s.req.scheme}://{s.host}{value}"  # nginx's header filter makes it absolute (absolute_redirect)
    before = headers.get(lname)
    if edit.append and before is not None:
        _append(headers, lname, value)
        _change(s, f"{edit.name}: {value} appended ({edit.directive}, {placed.where})")
        return
    headers[lname] = value
    shown = "(none)" if before is None else _shown(before)
    _change(s, f"{edit.name}: {shown} -> {value} ({edit.directive}, {placed.where})")


def _add_header(
    s: RouteState, edit: HeaderEdit, placed: Placed, status: int, lookup: Callable[[str], str | None]
) -> None:
    if not edit.always and status not in ADD_HEADER_STATUSES:
        return
    value = _expand(s, edit.value or "", lookup, edit.text)
    if not value:
        return  # nginx adds nothing for an empty value
    s.rules.append("ingress-nginx#11.5")
    _note(s, "applied", f"{edit.text} in the {placed.where}")
    _append(s.headers, edit.name.lower(), value)
    _change(s, f"{edit.name}: {value} added (add_header, {placed.where})")


def _append(headers: dict[str, Any], lname: str, value: str) -> None:
    """A second field of the same name: Set-Cookie fields stay separate, others read as a comma list."""
    before = headers.get(lname)
    if before is None:
        headers[lname] = value
    elif lname == "set-cookie":
        headers[lname] = [*before, value] if isinstance(before, list) else [before, value]
    else:
        headers[lname] = f"{_shown(before)}, {value}"


def _shown(value: Any) -> str:
    return "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)


# -- the hop ------------------------------------------------------------------------------------------


def describe(s: RouteState) -> None:
    """The controller hop's account of the snippets this request passed through (ingress-nginx#11.4)."""
    placed = [p for p in server_snippets(s) if p is not None] + location_snippets(s)
    if not placed:
        return
    for p in placed:
        for text in p.directives.not_simulated:
            _note(s, "not_simulated", f"{text} in the {p.where}")
    notes = s.snippet_notes or {}
    s.details["snippets"] = {
        "applied": notes.get("applied", []),
        "no_effect": notes.get("no_effect", []),
        "not_simulated": notes.get("not_simulated", []),
        "not_evaluated": notes.get("not_evaluated", []),
        "in": [p.where for p in placed],
    }
    s.rules.append("ingress-nginx#11.4")
    skipped = notes.get("not_simulated", [])
    if skipped:
        shown = "; ".join(skipped[:NOT_SIMULATED_ON_SUMMARY])
        more = len(skipped) - NOT_SIMULATED_ON_SUMMARY
        s.hop.summary += f"; not simulated: {shown}" + (f" (and {more} more)" if more > 0 else "")
