"""The one validator for what a scenario asks: the request or the browser journey (and the engine options) as
the web form and the JSON API receive them, checked by the engine's own rules and turned into the form a
Scenario stores (a journey as ``{"journey": {...spec...}}``, which the engine traces as it is).

A request line ``[METHOD] URL [HTTP/version]`` (as pasted from a log) is split by the engine, so a version on the
line is honoured (``http_version: "1.0"``) wherever it is typed. A URL itself never contains whitespace:
``https://host/a b`` is refused with a message rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tracer.engine import OptionError, Options, RequestError, parse_request
from tracer.engine.journey.spec import parse_spec
from tracer.engine.request import space_in_url
from tracer.engine.request import split_request_line as engine_split_request_line
from tracer.request_schema import schema_problems

# Keys of the engine's request mapping a Scenario keeps.
REQUEST_KEYS = ("method", "url", "headers", "http_version", "client_ip", "body_bytes", "sni", "via")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Browsers and servers stop well before this (nginx's large_client_header_buffers default is 8k per line).
MAX_URL_CHARS = 8192
# The engine names a journey's field in its message: "journey field journey.idleSeconds: expected ...".
_JOURNEY_FIELD = re.compile(r"^journey field (?P<field>\S+): (?P<message>.*)$", re.S)


class SpecError(ValueError):
    """A request or options the engine would refuse; ``field`` names the input it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _check_shape(data: Any, part: str) -> None:
    """The JSON schema's types and sizes for one part (tracer/schema/api_trace_request.json): the first problem."""
    problems = schema_problems(data, part)
    if problems:
        raise SpecError(problems[0].message, problems[0].field)


def split_request_line(text: str) -> dict[str, str]:
    """The engine's request-line split (method and version optional), its refusal as a SpecError on the URL."""
    try:
        return engine_split_request_line(text)
    except RequestError as exc:
        raise SpecError(str(exc), "url") from exc


def _check_url(url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise SpecError(f"the URL is longer than {MAX_URL_CHARS} characters", "url")
    if " " in url:
        raise SpecError(str(space_in_url(url)), "url")
    if _CONTROL.search(url) or any(c.isspace() for c in url):
        raise SpecError("the URL contains whitespace or a control character; percent-encode it", "url")
    return url


def _header_pair(entry: Any) -> Any:
    if isinstance(entry, str) and ":" in entry:
        name, value = entry.split(":", 1)
        return [name.strip(), value.strip()]
    return entry  # a pair already, or something the engine refuses with its own message


def _header_pairs(raw: Any) -> Any:
    """Headers as ``[[name, value], ...]`` when given as a mapping or as ``"Name: value"`` strings."""
    if isinstance(raw, Mapping):
        return [[str(k), v] for k, v in raw.items()]
    if isinstance(raw, list):
        return [_header_pair(e) for e in raw]
    return raw


def clean_request(raw: str | Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of a request given as a request line or as the engine's mapping.

    Raises SpecError with the engine's message when the engine would refuse it. The method and HTTP
    version are stored as the engine reads them (``get`` -> ``GET``, ``HTTP/2.0`` -> ``2``).
    """
    if isinstance(raw, str):
        data: dict[str, Any] = dict(split_request_line(raw))
    elif isinstance(raw, Mapping):
        data = {k: raw[k] for k in REQUEST_KEYS if k in raw}  # other keys are not kept (the API refuses them)
        _check_shape(data, "request_object")
    else:
        raise SpecError("the request must be a request line ('GET https://host/path') or a JSON object", "request")
    if not isinstance(data.get("url"), str) or not data["url"].strip():
        raise SpecError("the request has no URL", "url")
    data["url"] = _check_url(data["url"])
    if "headers" in data:
        data["headers"] = _header_pairs(data["headers"])
    try:
        parsed = parse_request(data)
    except RequestError as exc:
        raise SpecError(str(exc)) from exc
    data["method"] = parsed.method
    if "http_version" in data:
        data["http_version"] = parsed.http_version
    return {k: data[k] for k in REQUEST_KEYS if k in data}


def clean_journey(raw: Any) -> dict[str, Any]:
    """The stored form of a journey spec (``{"journey": {...}}``), once the engine's journey parser accepts it.

    Raises SpecError whose field is the spec's (``journey.idleSeconds``). The spec is kept as given, with the
    start URL and the method as the engine reads them, so the stored scenario stays what was asked.
    """
    _check_shape(raw, "journey")
    if isinstance(raw, Mapping) and isinstance(raw.get("start"), str):
        try:
            _check_url(raw["start"])  # as for a single request: a space is refused, not silently encoded
        except SpecError as exc:
            raise SpecError(exc.message, "journey.start") from exc
    try:
        parsed = parse_spec(raw, prefix="journey")
    except RequestError as exc:
        match = _JOURNEY_FIELD.match(str(exc))
        if match is None:
            raise SpecError(str(exc), "journey") from exc
        raise SpecError(match["message"], match["field"]) from exc
    spec = dict(raw)
    spec["start"] = parsed.start
    if "method" in spec:
        spec["method"] = parsed.method
    return {"journey": spec}


def is_journey(request: Mapping[str, Any]) -> bool:
    """Whether a stored scenario request is a journey."""
    return isinstance(request.get("journey"), Mapping)


def clean_options(raw: Any) -> dict[str, Any]:
    """Engine options as given, once the engine accepts them."""
    if not isinstance(raw, Mapping):
        raise SpecError("options must be a JSON object", "options")
    _check_shape(raw, "options")
    options = dict(raw)
    try:
        Options.from_kwargs(**options)
    except OptionError as exc:
        raise SpecError(str(exc), "options") from exc
    return options
