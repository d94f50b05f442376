"""Engine-level behaviour: requests that die before the controller, scenarios of several requests, and
engines that never share state."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from tracer.engine import Engine, load_manifests
from tracer.engine.result import Hop

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


def test_engines_never_share_state() -> None:
    shop = load_manifests(str(ROOT / "examples" / "shop"))
    ranged = load_manifests(shop_with_source_ranges())
    a, b, c = Engine(shop), Engine(ranged), Engine(shop)
    assert a.context.services.snapshot is shop and b.context.services.snapshot is ranged
    assert a.context.services is not c.context.services  # the same snapshot object, still its own index
    assert a.route("GET https://shop.example.com/").status == 200
    assert b.route("GET https://shop.example.com/").error == "timeout"  # b's entry: loadBalancerSourceRanges
    assert a.route("GET https://shop.example.com/").status == 200
    assert a.context.services.hop_memo and not c.context.services.hop_memo
    assert len({id(e.context.services.hop_memo) for e in (a, b, c)}) == 3
    assert len({id(e.entry) for e in (a, b, c)}) == 3
    assert c.route("GET https://shop.example.com/").to_dict() == a.route("GET https://shop.example.com/").to_dict()
    spec = Engine(shop, controller="ingress-spec")  # the other data plane fills its own index too
    assert spec.route("GET https://shop.example.com/").status == 200
    assert spec.context.services.hop_memo and spec.context.services not in (a.context.services, c.context.services)


def test_hop_copy_copies_every_field_and_its_containers() -> None:
    hop = Hop(
        "endpoints", "shop/api", "1 of 1 endpoint(s) ready", "respond", 503,
        objects=[{"kind": "Pod", "name": "api-1"}], decision="why", near_misses=["x"], changes={"path": "/"},
        details={"endpoints": [{"ip": "10.0.0.1"}], "mode": "iptables"}, rules=["dataplane#R21"], confidence="inferred",
    )
    copy = hop.copy()
    assert all(getattr(copy, f.name) == getattr(hop, f.name) for f in fields(Hop))
    copy.status = 200
    copy.summary += "; changed"
    copy.objects.append({"kind": "Service", "name": "api"})
    copy.near_misses.clear()
    copy.changes["path"] = "/other"
    copy.details["mode"] = "ipvs"
    copy.rules.append("dataplane#R19")
    assert hop == Hop(
        "endpoints", "shop/api", "1 of 1 endpoint(s) ready", "respond", 503,
        objects=[{"kind": "Pod", "name": "api-1"}], decision="why", near_misses=["x"], changes={"path": "/"},
        details={"endpoints": [{"ip": "10.0.0.1"}], "mode": "iptables"}, rules=["dataplane#R21"], confidence="inferred",
    )
