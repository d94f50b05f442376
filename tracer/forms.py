"""Forms: scenario (one request plus engine options), workspace members, API tokens, share links."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import ShareLink

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
HTTP_VERSIONS = (("1.1", "HTTP/1.1"), ("2", "HTTP/2"), ("1.0", "HTTP/1.0"), ("3", "HTTP/3"))


def controller_choices() -> list[tuple[str, str]]:
    from tracer.engine.options import CONTROLLERS

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
    url = forms.CharField(
        label="URL",
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "https://shop.example.com/cart", "data-testid": "scenario-url"}),
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
    body_bytes = forms.IntegerField(label="Body size (bytes)", required=False, min_value=0)
    controller = forms.ChoiceField(label="Controller", required=False, choices=())
    assume_endpoints = forms.BooleanField(label="Assume every Service has ready endpoints", required=False)
    seed = forms.IntegerField(required=False, min_value=0, widget=forms.NumberInput(attrs={"placeholder": "random"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["controller"].choices = controller_choices()
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("data-testid", f"scenario-{name.replace('_', '-')}")

    def clean_headers(self) -> list[list[str]]:
        return parse_header_lines(self.cleaned_data.get("headers") or "")

    def clean(self) -> dict[str, Any]:
        from tracer.engine import OptionError, RequestError, parse_request
        from tracer.engine.options import Options

        data = super().clean()
        if self.errors:
            return data
        try:
            parse_request(self.request_spec())
        except RequestError as exc:
            raise forms.ValidationError(str(exc)) from exc
        try:
            Options.from_kwargs(**self.options())
        except OptionError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data

    def request_spec(self) -> dict[str, Any]:
        d = self.cleaned_data
        spec: dict[str, Any] = {
            "method": d["method"],
            "url": d["url"].strip(),
            "headers": d.get("headers") or [],
            "http_version": d.get("http_version") or "1.1",
        }
        if d.get("client_ip"):
            spec["client_ip"] = d["client_ip"]
        if d.get("body_bytes") is not None:
            spec["body_bytes"] = d["body_bytes"]
        return spec

    def options(self) -> dict[str, Any]:
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
    name = forms.CharField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "CI pipeline", "data-testid": "token-name"}),
    )


class ShareForm(forms.Form):
    visibility = forms.ChoiceField(choices=ShareLink.Visibility.choices, initial=ShareLink.Visibility.WORKSPACE)
