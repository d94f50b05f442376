"""The request validator shared by the scenario form and the JSON API."""

from __future__ import annotations

import pytest

from tracer.request_spec import SpecError, clean_options, clean_request, split_request_line


def test_request_line_parts() -> None:
    assert split_request_line("GET https://shop.example.com/cart HTTP/1.0") == {
        "method": "GET",
        "url": "https://shop.example.com/cart",
        "http_version": "1.0",
    }
    assert split_request_line("post shop.example.com") == {"method": "POST", "url": "shop.example.com"}
    assert split_request_line("https://a/ HTTP/2") == {"url": "https://a/", "http_version": "2"}
    assert split_request_line("https://a/") == {"url": "https://a/"}


@pytest.mark.parametrize("line", ["", "GET", "GET HTTP/1.0", "HTTP/1.1"])
def test_request_line_without_url(line: str) -> None:
    with pytest.raises(SpecError, match="no URL"):
        clean_request(line or {"url": " "})


def test_stored_form_is_what_the_engine_reads() -> None:
    assert clean_request({"url": "http://x/", "method": "get", "http_version": "HTTP/2", "headers": {"A": "1"}}) == {
        "method": "GET",
        "url": "http://x/",
        "headers": [["A", "1"]],
        "http_version": "2",
    }
    assert clean_request({"url": "http://x/", "headers": ["A: 1", ["B", "2"]], "other": 1})["headers"] == [
        ["A", "1"],
        ["B", "2"],
    ]


@pytest.mark.parametrize(
    "request_",
    [
        "https://shop.example.com/my cart",
        "GET https://shop.example.com/my cart HTTP/1.1",
        {"url": "https://shop.example.com/my cart"},
        {"url": "GET https://shop.example.com/cart HTTP/1.0"},
    ],
)
def test_spaces_in_the_url_are_refused(request_: object) -> None:
    with pytest.raises(SpecError, match="contains a space; write it as %20") as exc:
        clean_request(request_)  # type: ignore[arg-type]
    assert exc.value.field == "url"


@pytest.mark.parametrize("url", ["https://a/x\ty", "https://a/x\ny", "https://a/x\u00a0y"])
def test_other_whitespace_and_control_characters_are_refused(url: str) -> None:
    with pytest.raises(SpecError, match="percent-encode"):
        clean_request({"url": url})


def test_engine_rules_apply() -> None:
    with pytest.raises(SpecError, match="scheme"):
        clean_request({"url": "ftp://x"})
    with pytest.raises(SpecError, match="http_version"):
        clean_request("GET http://x/ HTTP/9")
    with pytest.raises(SpecError, match="request line"):
        clean_request(["GET", "http://x/"])  # type: ignore[arg-type]


def test_options() -> None:
    assert clean_options({"assume_endpoints": True, "seed": 3}) == {"assume_endpoints": True, "seed": 3}
    with pytest.raises(SpecError, match="unknown option"):
        clean_options({"nope": 1})
    with pytest.raises(SpecError, match="JSON object"):
        clean_options([1])
