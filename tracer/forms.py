"""Forms: scenario (one request or a browser journey, plus engine options), workspace members, API tokens,
share links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from tracer.engine.options import CONTROLLERS
from tracer.names import NameField

from .models import ShareLink
from .request_spec import SpecError, clean_journey, clean_options, clean_request, split_request_line

# The API's JSON schema bound for whole numbers (tracer/schema/api_trace_request.json): int64, as Kubernetes.
INT64_MAX = 2**63 - 1
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
HTTP_VERSIONS = (("1.1", "HTTP/1.1"), ("2", "HTTP/2"), ("1.0", "HTTP/1.0"), ("3", "HTTP/3"))
MODES = (("request", "Single request"), ("journey", "Browser journey"))
# Form field -> journey spec field, for the browser switches.
JOURNEY_SWITCHES = (
    ("follow_redirects", "followRedirects"),
    ("load_assets", "loadAssets"),
    ("open_websockets", "openWebSockets"),
    ("favicon", "favicon"),
    ("strict_tls", "strictTLS"),
)


# Journey spec field -> the form field that shows its error.
JOURNEY_FIELDS = {
    "journey.start": "url",
    "journey.method": "method",
    "journey.headers": "headers",
    "journey.httpVersion": "http_version",
    "journey.clientIP": "client_ip",
    "journey.idleSeconds": "idle_seconds",
    **{f"journey.{key}": name for name, key in JOURNEY_SWITCHES},
}


def controller_choices() -> list[tuple[str, str]]:
    return [("", "Detect from the snapshot"), *((c, c) for c in CONTROLLERS)]


def parse_header_lines(text: str) -> list[list[str]]:
    """ "Name: value" per line -> [[name, value], ...]; raises ValidationError naming the bad line."""
    headers: list[list[str]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name or any(c in name for c in " \t"):
            raise forms.ValidationError(f"line {n}: write headers as 'Name: value'")
        headers.append([name, value.strip()])
    return headers


class ScenarioForm(forms.Form):
    mode = forms.ChoiceField(label="Trace", choices=MODES, initial="request", required=False, widget=forms.RadioSelect)
    url = forms.CharField(
        label="URL",
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "https://shop.example.com/cart", "data-testid": "scenario-url"}),
        help_text="A whole request line (GET https://host/path HTTP/1.0) also sets the method and HTTP version.",
    )
    method = forms.ChoiceField(choices=[(m, m) for m in METHODS], initial="GET")
    headers = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Cookie: session=abc\nX-Canary: always"}),
        help_text="One 'Name: value' per line.",
    )
    http_version = forms.ChoiceField(label="HTTP version", choices=HTTP_VERSIONS, initial="1.1")
    client_ip = forms.GenericIPAddressField(
        label="Client IP", required=False, widget=forms.TextInput(attrs={"placeholder": "203.0.113.10"})
    )
    body_bytes = forms.IntegerField(label="Body size (bytes)", required=False, min_value=0, max_value=INT64_MAX)
    controller = forms.ChoiceField(label="Controller", required=False, choices=controller_choices)
    assume_endpoints = forms.BooleanField(label="Assume every Service has ready endpoints", required=False)
    seed = forms.IntegerField(required=False, min_value=0, max_value=INT64_MAX, widget=forms.NumberInput(attrs={"placeholder": "random"}))
    # A journey starts at the URL above with the method, headers, HTTP version and client IP above.
    idle_seconds = forms.FloatField(
        label="WebSocket idle (s)",
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"placeholder": "0", "step": "any"}),
        help_text="How long each opened WebSocket stays idle.",
    )
    follow_redirects = forms.BooleanField(label="Follow redirects", required=False, initial=True)
    load_assets = forms.BooleanField(label="Load the page's assets", required=False, initial=True)
    open_websockets = forms.BooleanField(label="Open its WebSockets", required=False, initial=True)
    favicon = forms.BooleanField(label="Request /favicon.ico", required=False)
    strict_tls = forms.BooleanField(label="Strict TLS (refuse a certificate that does not cover the host)", required=False)

    def __init__(self, *args: Any, url_suggestions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request: dict[str, Any] = {}
        self._options: dict[str, Any] = {}
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("data-testid", f"scenario-{name.replace('_', '-')}")
        # The snapshot's own hosts (http(s)://host/) as the URL's suggestions and example, not a host it lacks.
        self.url_suggestions = list(url_suggestions or [])
        if self.url_suggestions:
            attrs = self.fields["url"].widget.attrs
            attrs["list"] = "scenario-url-suggestions"
            attrs["placeholder"] = self.url_suggestions[0]

    @staticmethod
    def initial_from_query(query: Mapping[str, str]) -> dict[str, str]:
        """Initial values from a link to the form (``?url=...&method=...``, e.g. a route's "Trace this")."""
        initial: dict[str, str] = {}
        url = str(query.get("url") or "").strip()
        if url:
            initial["url"] = url[:2000]
        method = str(query.get("method") or "").strip().upper()
        if method in METHODS:
            initial["method"] = method
        return initial

    def clean_headers(self) -> list[list[str]]:
        return parse_header_lines(self.cleaned_data.get("headers") or "")

    def clean(self) -> dict[str, Any]:
        """The request goes through the same validator as the API's (tracer.request_spec)."""
        super().clean()
        d = self.cleaned_data
        if self.errors:
            return d
        raw: dict[str, Any] = {
            "method": d["method"],
            "headers": d.get("headers") or [],
            "http_version": d.get("http_version") or "1.1",
        }
        if d.get("client_ip"):
            raw["client_ip"] = d["client_ip"]
        if d.get("body_bytes") is not None:
            raw["body_bytes"] = d["body_bytes"]
        try:
            raw.update(split_request_line(d["url"]))  # a method or version on the line wins over the fields
            if d.get("mode") == "journey":
                self._request = clean_journey(self._journey_spec(raw))
            else:
                self._request = clean_request(raw)
            self._options = clean_options(self._chosen_options())
        except SpecError as exc:
            name = JOURNEY_FIELDS.get(exc.field, exc.field).removeprefix("options.")
            if name in self.fields:
                self.add_error(name, exc.message)
            else:
                raise forms.ValidationError(exc.message) from exc
        return d

    def _journey_spec(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The journey spec of the form: the request fields as its start, the browser switches as they are."""
        d = self.cleaned_data
        spec: dict[str, Any] = {"start": raw["url"], "method": raw.get("method") or "GET"}
        if raw.get("headers"):
            spec["headers"] = [f"{name}: {value}" for name, value in raw["headers"]]
        if raw.get("http_version") and raw["http_version"] != "1.1":
            spec["httpVersion"] = raw["http_version"]
        if raw.get("client_ip"):
            spec["clientIP"] = raw["client_ip"]
        if d.get("idle_seconds"):
            spec["idleSeconds"] = d["idle_seconds"]
        for name, key in JOURNEY_SWITCHES:
            spec[key] = bool(d.get(name))
        return spec

    @property
    def journey_switches(self) -> list[forms.BoundField]:
        """The browser switches of a journey, for the template."""
        return [self[name] for name, _ in JOURNEY_SWITCHES]

    def request_spec(self) -> dict[str, Any]:
        """The validated request or ``{"journey": ...}``, as a Scenario stores it (only after is_valid())."""
        return self._request

    def options(self) -> dict[str, Any]:
        """The validated engine options (only after is_valid())."""
        return self._options

    def _chosen_options(self) -> dict[str, Any]:
        d = self.cleaned_data
        opts: dict[str, Any] = {}
        if d.get("controller"):
            opts["controller"] = d["controller"]
        if d.get("assume_endpoints"):
            opts["assume_endpoints"] = True
        if d.get("seed") is not None:
            opts["seed"] = d["seed"]
        return opts


class AddMemberForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"data-testid": "member-username"}))


class TokenForm(forms.Form):
    name = NameField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "CI pipeline", "data-testid": "token-name"}),
    )


class ShareForm(forms.Form):
    visibility = forms.ChoiceField(choices=ShareLink.Visibility.choices, initial=ShareLink.Visibility.WORKSPACE)
