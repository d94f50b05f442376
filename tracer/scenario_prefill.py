"""Scenarios made from a trace: the scenario form filled with its request (edit and trace again), and the
request a client sends next when the trace ends in a redirect (follow redirect).

The form shows what a person usually edits; fields it has no input for (a request's ``sni``/``via``, a
journey's ``cookies``/``via``, engine options such as ``controller_class``) are kept from the original when
asked, so an edit changes only what was edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tracer.engine.journey.redirects import RedirectStep, next_request
from tracer.engine.journey.urls import UrlError, parse

from .forms import JOURNEY_SWITCHES, ScenarioForm
from .models import Scenario, Trace
from .request_spec import SpecError, clean_journey, clean_options, clean_request

# What each kind of scenario may carry that the form has no input for.
REQUEST_EXTRAS = ("sni", "via")
JOURNEY_EXTRAS = ("cookies", "via")
FORM_OPTIONS = ("controller", "assume_endpoints", "seed")
# Fetch, HTTP-redirect fetch step 12: when the method becomes GET the body goes, and with it these headers.
BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-language", "content-location"})


def header_lines(raw: Any) -> str:
    """Stored headers (pairs, 'Name: value' strings or a mapping) as the form's one-per-line text."""
    if isinstance(raw, Mapping):
        return "\n".join(f"{k}: {v}" for k, v in raw.items())
    lines = []
    for entry in raw or []:
        if isinstance(entry, str):
            lines.append(entry)
        elif isinstance(entry, list | tuple) and len(entry) == 2:
            lines.append(f"{entry[0]}: {entry[1]}")
    return "\n".join(lines)


def initial_from_scenario(scenario: Scenario) -> dict[str, Any]:
    """The scenario form's initial values for ``scenario`` (its request or journey, and its options)."""
    opts = scenario.options or {}
    initial: dict[str, Any] = {
        "controller": opts.get("controller") or "",
        "assume_endpoints": bool(opts.get("assume_endpoints")),
        "seed": opts.get("seed"),
    }
    journey = scenario.journey
    if journey is not None:
        initial.update(
            mode="journey",
            url=str(journey.get("start") or ""),
            method=str(journey.get("method") or "GET").upper(),
            headers=header_lines(journey.get("headers")),
            http_version=str(journey.get("httpVersion") or "1.1"),
            client_ip=journey.get("clientIP") or "",
            idle_seconds=journey.get("idleSeconds"),
        )
        # The defaults of tracer/engine/journey/spec.py JourneySpec: on, except favicon and strictTLS.
        defaults = {"followRedirects": True, "loadAssets": True, "openWebSockets": True}
        for name, key in JOURNEY_SWITCHES:
            initial[name] = bool(journey.get(key, defaults.get(key, False)))
        return initial
    req = scenario.request
    initial.update(
        mode="request",
        url=str(req.get("url") or ""),
        method=str(req.get("method") or "GET").upper(),
        headers=header_lines(req.get("headers")),
        http_version=str(req.get("http_version") or "1.1"),
        client_ip=req.get("client_ip") or "",
        body_bytes=req.get("body_bytes"),
    )
    return initial


def scenario_form(scenario: Scenario) -> ScenarioForm:
    """An unbound scenario form showing ``scenario``."""
    return ScenarioForm(initial=initial_from_scenario(scenario))


@dataclass(frozen=True, slots=True)
class Extras:
    """What the form cannot show, kept from the original scenario."""

    request: dict[str, Any] = field(default_factory=dict)  # sni / via of a request
    journey: dict[str, Any] = field(default_factory=dict)  # cookies / via of a journey
    options: dict[str, Any] = field(default_factory=dict)  # engine options other than the form's

    @property
    def names(self) -> list[str]:
        """The kept fields as people name them (the form's words for options: "controller class")."""
        words = {"sni": "TLS server name", "via": "via", "cookies": "cookies"}
        return sorted({words.get(k, k.replace("_", " ")) for k in (*self.request, *self.journey, *self.options)})


def extras_of(scenario: Scenario) -> Extras:
    journey = scenario.journey
    return Extras(
        request={} if journey is not None else {k: scenario.request[k] for k in REQUEST_EXTRAS if k in scenario.request},
        journey={k: journey[k] for k in JOURNEY_EXTRAS if k in journey} if journey is not None else {},
        options={k: v for k, v in (scenario.options or {}).items() if k not in FORM_OPTIONS},
    )


def with_extras(request: dict[str, Any], options: dict[str, Any], extras: Extras) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's validated request and options with the kept fields added (those the form's kind takes:
    a journey's cookies never go on a single request), validated again as the API would."""
    opts = {**extras.options, **options}
    spec = request.get("journey")
    if isinstance(spec, dict):
        kept = {**extras.request, **extras.journey}
        journey = {**{k: kept[k] for k in JOURNEY_EXTRAS if k in kept}, **spec}
        return clean_journey(journey), clean_options(opts)
    kept = {**extras.journey, **extras.request}
    merged = {**{k: kept[k] for k in REQUEST_EXTRAS if k in kept}, **request}
    return clean_request(merged), clean_options(opts)


def _plain(request: Mapping[str, Any]) -> dict[str, Any]:
    """A stored request without the values that say nothing (no headers, HTTP/1.1), for comparing two."""
    try:
        req = dict(request) if isinstance(request.get("journey"), Mapping) else clean_request(request)
    except SpecError:
        return dict(request)
    return {k: v for k, v in req.items() if not (k == "headers" and not v) and not (k == "http_version" and v == "1.1")}


def asks_the_same(request: dict[str, Any], options: dict[str, Any], scenario: Scenario) -> bool:
    """Whether an edited request and options are the scenario's own (then the scenario is traced again)."""
    return _plain(request) == _plain(scenario.request) and options == (scenario.options or {})


# -- following a redirect ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The request a client sends after the trace's redirect, or why there is none (``stop``)."""

    status: int
    location: str
    method: str = ""
    url: str = ""
    request: dict[str, Any] = field(default_factory=dict)  # the scenario request to submit
    stop: str = ""  # people's words: why following is not offered


def _same_host(a: str, b: str) -> bool:
    try:
        return bool(parse(a).hostname == parse(b).hostname)
    except UrlError:
        return False


def _next_headers(headers: Any, step: RedirectStep, new_host: bool) -> list[list[str]]:
    out = []
    for entry in headers or []:
        if not (isinstance(entry, list | tuple) and len(entry) == 2):
            continue
        name = str(entry[0]).lower()
        if not step.keeps_body and name in BODY_HEADERS:
            continue
        if step.drop_authorization and name == "authorization":  # Fetch, HTTP-redirect fetch step 13
            continue
        if new_host and name == "host":  # the client names the new host itself
            continue
        out.append([str(entry[0]), str(entry[1])])
    return out


def follow_redirect(trace: Trace) -> FollowUp | None:
    """The next request of a finished single-request trace whose response is a redirect with a Location.

    None when there is nothing to follow (a journey follows redirects itself; not finished; not a 3xx;
    no Location). The method and URL follow the browser's rules the journey runner uses
    (tracer/engine/journey/redirects.py: RFC 9110 section 15.4 as Fetch applies it: 303 -> GET, 301/302
    turn POST into GET, 307/308 keep the method; the Location resolved against the request URL).
    """
    if trace.scenario.journey is not None or trace.state != Trace.State.DONE:
        return None
    final = trace.final
    if not final or final.get("error") or not isinstance(final.get("status"), int):
        return None
    status = int(final["status"])
    location = (final.get("response_headers") or {}).get("location")
    if not 300 <= status < 400 or not isinstance(location, str) or not location.strip():
        return None
    sent = final.get("request") or {}
    method = str(sent.get("method") or trace.scenario.request.get("method") or "GET")
    url = str(sent.get("url") or trace.scenario.request.get("url") or "")
    step = next_request(method, url, status, location, [(method, url)])
    if not isinstance(step, RedirectStep):
        reasons = {
            "not-redirect": f"a client does not follow a {status} on its own",
            "loop": "its Location leads back to this same request",
        }
        return FollowUp(status, location, stop=reasons.get(step.reason, step.detail))
    new_host = not _same_host(url, step.url)
    asked = trace.scenario.request
    nxt: dict[str, Any] = {k: v for k, v in asked.items() if k not in ("method", "url", "headers")}
    nxt.update(method=step.method, url=step.url, headers=_next_headers(asked.get("headers"), step, new_host))
    if not step.keeps_body:
        nxt.pop("body_bytes", None)
    if new_host:
        nxt.pop("sni", None)  # TLS names the new host
    try:
        request = clean_request(nxt)
    except SpecError as exc:
        return FollowUp(status, location, stop=exc.message)
    return FollowUp(status, location, method=step.method, url=step.url, request=request)
