"""Engine-level behaviour: requests that die before the controller, scenarios of several requests."""

from __future__ import annotations

from pathlib import Path

from tracer.engine import Engine

ROOT = Path(__file__).resolve().parents[2]


def shop_with_source_ranges() -> str:
    shop = ROOT / "examples" / "shop"
    controller = (shop / "ingress-nginx.yaml").read_text().replace(
        "  externalTrafficPolicy: Cluster\n", "  externalTrafficPolicy: Cluster\n  loadBalancerSourceRanges: [10.0.0.0/8]\n"
    )
    rest = [p.read_text() for p in sorted(shop.glob("*.yaml")) if p.name != "ingress-nginx.yaml"]
    return "\n---\n".join([controller, *rest])


def test_R27_source_range_drop_ends_the_request_with_a_timeout() -> None:
    engine = Engine(shop_with_source_ranges())
    blocked = engine.trace("GET https://shop.example.com/").final
    assert blocked.status is None and blocked.error == "timeout"
    assert [h.component for h in blocked.hops] == ["browser", "dns", "load-balancer"]
    assert blocked.hops[-1].outcome == "timeout"
    assert [d.code for d in blocked.diagnoses] == ["LB_SOURCE_RANGE_DROPPED"]
    assert not engine.trace("GET https://shop.example.com/").ok
    allowed = engine.trace({"method": "GET", "url": "https://shop.example.com/", "client_ip": "10.1.2.3"}).final
    assert allowed.status == 200
    assert any(h.component == "pod" for h in allowed.hops)


def test_trace_many_keeps_request_order() -> None:
    engine = Engine(str(ROOT / "examples" / "shop"))
    trace = engine.trace_many(["GET http://shop.example.com/cart", "GET https://shop.example.com/cart"])
    assert [r.status for r in trace.requests] == [308, 200]
    assert trace.final.status == 200 and trace.ok
