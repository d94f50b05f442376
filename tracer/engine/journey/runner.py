"""The journey runner: a browser's requests, one after another, each routed through the Engine.

It starts at the journey's URL, follows redirects, loads the page's assets in document order and then opens its
WebSockets (only when every script of the page loaded: a browser never runs a refused script), carrying one cookie
jar through all of them. The browser model (:mod:`.urls`, :mod:`.cookies`, :mod:`.redirects`, :mod:`.assets`,
:mod:`.websocket`) decides what the browser does; the Engine decides what each request meets on its way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..request import parse_request
from ..result import Diagnosis, Hop, RequestTrace
from ..verdicts import assign_verdicts
from .assets import kind_of, mixed_content_action, refusal, upgraded_url
from .cookies import CookieJar
from .idle import idle_cut
from .redirects import Stop, is_redirect, next_request
from .spec import JourneySpec
from .urls import HTTP_SCHEMES, UrlError, document_base, resolve, scheme_of, websocket_url, without_fragment
from .websocket import ABNORMAL_CLOSURE, SocketOutcome, handshake_outcome, handshake_request, idle_close

if TYPE_CHECKING:
    from ..api import Engine

# The simulated clock (2026-01-01T00:00:00Z): fixed so that a journey traced twice is identical; cookie
# Max-Age and Expires are judged against it.
JOURNEY_CLOCK = 1_767_225_600.0
# The trace-v1 error a redirect chain that a browser abandons ends with.
REDIRECT_ERRORS = {"loop": "redirect-loop", "too-many": "too-many-redirects", "bad-location": "bad-location"}
# Diagnoses that mean the certificate served does not cover the host (ingress-nginx, portable Ingress).
CERTIFICATE_CODES = ("DEFAULT_CERTIFICATE", "TLS_HOST_NOT_COVERED")


class JourneyRunner:
    """One journey through one Engine; :meth:`run` returns its requests in the order the browser sends them."""

    def __init__(self, engine: Engine, spec: JourneySpec) -> None:
        self.engine = engine
        self.spec = spec
        self.jar = CookieJar()
        self.now = JOURNEY_CLOCK
        self.requests: list[RequestTrace] = []
        for name, value in spec.cookies:
            # Pre-set cookies behave as if the start URL's host had set them for every path.
            self.jar.set_from_response(spec.start, [f"{name}={value}; Path=/"], self.now)

    def run(self) -> list[RequestTrace]:
        page, url = self._chain(self.spec.method, self.spec.start, self.spec.headers, "start", None)
        self._load_page(page, url)
        if self.spec.favicon and page.status is not None:
            # Requested after the first page, against the page's own URL; its failure never fails the journey.
            self._asset("/favicon.ico", url, url, _index(page), optional=True)
        return self.requests

    # -- one request -------------------------------------------------------------------------------
    def _send(
        self, method: str, url: str, headers: tuple[tuple[str, str], ...], cause: str, parent: int | None
    ) -> RequestTrace:
        wire = without_fragment(url)
        cookie, names = self.jar.header_for(wire, self.now)
        sent = [*headers, ("Cookie", cookie)] if cookie else list(headers)
        request: dict[str, Any] = {
            "method": method, "url": wire, "headers": sent, "http_version": self.spec.http_version,
        }
        if self.spec.client_ip:
            request["client_ip"] = self.spec.client_ip
        if self.spec.via is not None:
            request["via"] = self.spec.via
        rt = self.engine.route(request)
        if self.spec.strict_tls and scheme_of(wire) in ("https", "wss"):
            _refuse_uncovered_certificate(rt)
        if rt.status is not None and rt.error is None:
            set_cookie = rt.response_headers.get("set-cookie")
            if set_cookie:
                values = set_cookie if isinstance(set_cookie, list) else [set_cookie]
                self.jar.set_from_response(wire, [str(v) for v in values], self.now)
        return self._record(rt, cause, parent, names)

    def _record(self, rt: RequestTrace, cause: str, parent: int | None, cookies: list[str]) -> RequestTrace:
        rt.step = {"index": len(self.requests) + 1, "cause": cause, "parent": parent}
        rt.cookies_sent = list(cookies)
        self.requests.append(rt)
        return rt

    def _chain(
        self, method: str, url: str, headers: tuple[tuple[str, str], ...], cause: str, parent: int | None
    ) -> tuple[RequestTrace, str]:
        """A request and the redirects the browser follows from it: the last response and its URL."""
        rt = self._send(method, url, headers, cause, parent)
        seen = [(method, url)]
        while self.spec.follow_redirects and rt.error is None and rt.status is not None and is_redirect(rt.status):
            location = rt.response_headers.get("location")
            step = next_request(method, url, rt.status, str(location) if location is not None else None, seen)
            if isinstance(step, Stop):
                if step.reason in REDIRECT_ERRORS:
                    rt.error = REDIRECT_ERRORS[step.reason]
                    rt.add_diagnosis(_redirect_stopped(url, step))
                break
            method, url = step.method, step.url
            seen.append((method, url))
            # Journey headers go on the start request only; cookies go wherever the jar sends them.
            rt = self._send(method, url, (), "redirect", _index(rt))
        return rt, url

    # -- a page and what it loads ------------------------------------------------------------------
    def _load_page(self, page: RequestTrace, url: str) -> None:
        html = (page.page or {}).get("html") if page.status is not None else None
        if not html:
            return
        base = document_base(url, html.get("base"))
        parent = _index(page)
        scripts_loaded = True
        if self.spec.load_assets:
            for ref in html.get("assets") or []:
                if not self._asset(str(ref), base, url, parent):
                    scripts_loaded = False
        if self.spec.open_websockets and scripts_loaded:
            for ref in html.get("websockets") or []:
                self._websocket(str(ref), base, url, parent)

    def _asset(self, ref: str, base: str, page_url: str, parent: int, *, optional: bool = False) -> bool:
        """Fetch one asset; False when it is a script the browser refused (so the page's scripts do not run)."""
        try:
            asset_url = resolve(ref, base)
        except UrlError:
            return True  # the browser cannot even build the URL: nothing is requested
        if scheme_of(asset_url) not in HTTP_SCHEMES:
            return True  # data:, blob: and the like never reach the network
        kind = kind_of(asset_url)
        action = mixed_content_action(page_url, asset_url, kind)
        if action == "block":
            entry = self._blocked(asset_url, "asset", parent, f"an https page may not load the {kind} {asset_url}")
            entry.optional = optional
            return kind != "script"
        if action == "upgrade":
            asset_url = upgraded_url(asset_url)
        first_index = len(self.requests)
        last, _ = self._chain("GET", asset_url, (), "asset", parent)
        entry = self.requests[first_index]
        if last.status is None or last.error is not None:
            entry.blocked = "status"
        else:
            nosniff = str(last.response_headers.get("x-content-type-options", "")).strip().lower() == "nosniff"
            content_type = last.response_headers.get("content-type") or (last.page or {}).get("content_type")
            entry.blocked = refusal(kind, last.status, str(content_type) if content_type else None, nosniff)
        for rt in self.requests[first_index:]:
            rt.optional = optional
        return kind != "script" or entry.blocked is None

    def _websocket(self, ref: str, base: str, page_url: str, parent: int) -> None:
        try:
            ws_url = websocket_url(ref, base)
        except UrlError:
            return  # new WebSocket() throws a SyntaxError: nothing is requested
        if mixed_content_action(page_url, ws_url, "websocket") == "block":
            entry = self._blocked(ws_url, "websocket", parent, f"an https page may not open the WebSocket {ws_url}")
            entry.websocket = _socket(SocketOutcome(False, ABNORMAL_CLOSURE, 0.0, "blocked as mixed content"))
            return
        hs = handshake_request(ws_url, page_url, self.jar, self.now, seed=self.spec.start)
        headers = tuple((k, v) for k, v in hs.headers if k.lower() != "cookie")  # _send adds the jar's
        rt = self._send("GET", ws_url, headers, "websocket", parent)
        if rt.status is None or rt.error is not None:
            outcome = SocketOutcome(False, ABNORMAL_CLOSURE, 0.0, "the handshake got no HTTP answer")
        else:
            outcome = handshake_outcome(rt.status, hs.key)
            if not outcome.opened and rt.status < 400:
                rt.error = "websocket-closed"  # a 2xx or 3xx is no WebSocket either: the page sees 1006
        if outcome.opened:
            cut = idle_cut(self.engine, rt)
            if cut is not None and self.spec.idle_seconds >= cut.seconds:
                outcome = idle_close(cut.seconds)
                rt.error = "websocket-closed"
                rt.close_code = ABNORMAL_CLOSURE
                cut.hop.outcome = "websocket-closed"
                assign_verdicts(rt)  # the hop that cuts the idle socket decides now
                rt.add_diagnosis(cut.diagnosis(ws_url, self.spec.idle_seconds))
        rt.websocket = _socket(outcome)

    def _blocked(self, url: str, cause: str, parent: int, why: str) -> RequestTrace:
        """A request the browser never sends (mixed content): one browser hop says why."""
        req = parse_request({"method": "GET", "url": without_fragment(url)}).to_dict()
        hop = Hop("browser", "browser", f"blocked as mixed content: {why}", outcome="refused", confidence="inferred")
        rt = RequestTrace(request=req, status=None, error="mixed-content", hops=[hop])
        rt.blocked = "mixed-content"
        assign_verdicts(rt)  # never routed: the browser hop decides
        return self._record(rt, cause, parent, [])


def _index(rt: RequestTrace) -> int:
    return int((rt.step or {})["index"])


def _socket(outcome: SocketOutcome) -> dict[str, Any]:
    return {"opened": outcome.opened, "closed_after_s": outcome.closed_after_s, "close_code": outcome.close_code}


def _refuse_uncovered_certificate(rt: RequestTrace) -> None:
    """strictTLS: the browser aborts the handshake when the certificate served does not cover the host."""
    bad = next((d for d in rt.diagnoses if d.code in CERTIFICATE_CODES), None)
    if bad is None or rt.status is None:
        return
    at = next((i for i, h in enumerate(rt.hops) if h.component == "controller"), len(rt.hops) - 1)
    rt.hops = rt.hops[: at + 1]
    for hop in rt.hops:
        hop.status = None
    if rt.hops:
        rt.hops[-1].outcome = "tls-error"
    rt.status, rt.error = None, "tls-error"
    rt.response_headers, rt.page, rt.pod, rt.upstream = {}, None, None, None
    assign_verdicts(rt)  # the browser ended it at the controller's handshake: that hop decides now
    rt.add_diagnosis(
        Diagnosis(
            "STRICT_TLS_REFUSED",
            "error",
            f"The journey checks certificates (strictTLS) and the certificate served for {rt.request.get('url')} "
            "does not cover its host, so the browser aborts the TLS handshake and sends no request.",
            "Give the host a TLS entry whose Secret holds a certificate for it (see the certificate diagnosis), or "
            "trace with strictTLS off to see the request as a browser would after accepting the warning.",
            bad.rule,
            bad.objects,
        )
    )


def _redirect_stopped(url: str, stop: Stop) -> Diagnosis:
    return Diagnosis(
        "REDIRECT_CHAIN_ABANDONED",
        "error",
        f"The browser stops following redirects at {url}: {stop.detail}; it shows an error page instead.",
        "Make the redirect target answer without redirecting back (check the Location headers along the chain, "
        "and ssl-redirect or app redirects that undo each other).",
        "ingress-nginx#5",
    )


def run_journey(engine: Engine, spec: JourneySpec) -> list[RequestTrace]:
    return JourneyRunner(engine, spec).run()
