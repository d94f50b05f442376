"""The CLI's text output (``manage.py trace -o text``) fits the terminal and loses nothing while wrapping."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from tracer.engine import Engine
from tracer.engine.textreport import NAME_MAX, render_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WIDTHS = (100, 80, 60, 40)


@pytest.fixture(scope="module")
def shop() -> dict[str, Any]:
    return Engine(EXAMPLES / "shop").trace("GET https://shop.example.com/cart").to_dict()


@pytest.fixture(scope="module")
def long_summary(shop: dict[str, Any]) -> dict[str, Any]:
    """The shop trace with one hop carrying a paragraph-long summary, a long name and an unbreakable word."""
    data = copy.deepcopy(shop)
    hop = data["requests"][0]["hops"][4]
    hop["name"] = "ingress-nginx-controller-with-a-really-long-name (ingress-nginx/ingress-nginx-controller)"
    hop["summary"] = " ".join(
        [
            "the controller matched server shop.example.com and location /cart;",
            "x" * 150,
            "then it proxied the request to the upstream shop-web-80 which lists three endpoints, "
            "honouring proxy-read-timeout 60s and proxy-body-size 1m as the ConfigMap sets them",
        ]
        * 3
    )
    data["warnings"] = ["a warning that is long enough to need wrapping at every width the tests use " * 4]
    return data


def summary_column(text: str) -> list[str]:
    """The SUMMARY text of each hop row, continuation lines joined, read back from a wide (one column) table."""
    lines = text.splitlines()
    start = lines[1].index("SUMMARY")
    rows: list[str] = []
    for line in lines[2:]:
        if not line.strip() or line.startswith("   near miss"):
            break
        if line[0].isdigit():
            rows.append(line[start:])
        else:
            rows[-1] += " " + line[start:]
    return rows


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", ["shop", "long_summary"])
def test_no_line_is_wider_than_the_terminal(case: str, width: int, request: pytest.FixtureRequest) -> None:
    text = render_text(request.getfixturevalue(case), width=width)
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long, "\n".join(too_long)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", ["shop", "long_summary"])
def test_wrapping_keeps_every_word(case: str, width: int, request: pytest.FixtureRequest) -> None:
    """Wrapping moves words onto continuation lines; it never drops one (names are cut, texts never)."""
    data = request.getfixturevalue(case)
    rt = data["requests"][0]
    text = squeeze(render_text(data, width=width))
    texts = [hop["summary"] for hop in rt["hops"]]
    texts += [miss for hop in rt["hops"] for miss in (hop.get("near_misses") or [])]
    texts += [d[field] for d in rt["diagnoses"] for field in ("message", "fix")]
    texts += data["warnings"]
    for piece in texts:
        assert squeeze(piece) in text, piece


def test_summaries_continue_under_the_summary_column(long_summary: dict[str, Any]) -> None:
    text = render_text(long_summary, width=120)
    start = text.splitlines()[1].index("SUMMARY")
    summaries = summary_column(text)
    hops = long_summary["requests"][0]["hops"]
    assert [squeeze(s) for s in summaries] == [squeeze(hop["summary"]) for hop in hops]
    table = text.split("\n\n")[0].split("\n   near miss")[0].splitlines()[2:]
    continuation = [line for line in table if not line[0].isdigit()]
    assert continuation and all(line[:start].strip() == "" and line[start] != " " for line in continuation)


def test_long_names_are_cut_with_an_ellipsis(long_summary: dict[str, Any]) -> None:
    name = long_summary["requests"][0]["hops"][4]["name"]
    row = next(line for line in render_text(long_summary, width=200).splitlines() if line.startswith("5 "))
    assert name not in row and name[: NAME_MAX - 1] + "…" in row


def test_without_a_width_nothing_wraps(long_summary: dict[str, Any]) -> None:
    text = render_text(long_summary, width=None)
    hop = long_summary["requests"][0]["hops"][4]
    assert any(hop["summary"] in line and hop["name"] in line for line in text.splitlines())


def test_the_headline_stays_whole_when_it_fits(shop: dict[str, Any]) -> None:
    assert render_text(shop).splitlines()[0] == "GET https://shop.example.com/cart  ->  200 OK  [ingress-nginx]"
