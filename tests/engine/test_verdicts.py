"""Each hop's verdict and the request's decided_by (tracer.engine.verdicts; docs/engine.md, trace-v1)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tracer.engine import Engine, RequestTrace, trace
from tracer.engine.result import Hop
from tracer.engine.verdicts import VERDICTS, assign_verdicts, hop_verdict

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tracer/engine/schema/trace-v1.schema.json").read_text(encoding="utf-8"))
HOST = "shop.example.com"
CLASS = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
         "spec": {"controller": "k8s.io/ingress-nginx"}}
CONTROLLER = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
    "spec": {"template": {"metadata": {"labels": {"app": "ingress-nginx"}}, "spec": {"containers": [{
        "name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.15.1",
        "args": ["/nginx-ingress-controller"]}]}}},
}


def ingress(paths: list[tuple[str, str]] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "shop", "annotations": annotations or {}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": HOST, "http": {"paths": [
            {"path": p, "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": 80}}}}
            for p, svc in (paths or [("/", "web")])]}}]},
    }


def service(name: str = "web") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"selector": {"app": name}, "clusterIP": "10.96.0.10",
                     "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}


def slice_(name: str = "web", *, ready: bool = True, ip: str = "10.0.0.1") -> dict[str, Any]:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{name}-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4", "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": ready},
                           "targetRef": {"kind": "Pod", "name": f"{name}-0", "namespace": "shop"}}]}


def base(ready: bool = True) -> list[dict[str, Any]]:
    return [CLASS, CONTROLLER, ingress(), service(), slice_(ready=ready)]


def route(objects: list[Any], request: Any, **options: Any) -> RequestTrace:
    return Engine(objects, **options).route(request)


def verdicts(rt: RequestTrace) -> list[tuple[str, str]]:
    return [(h.component, h.verdict) for h in rt.hops]


def decider(rt: RequestTrace) -> Hop:
    assert rt.decided_by is not None
    return rt.hops[rt.decided_by]


def test_a_503_without_ready_endpoints_is_the_controllers_own_answer() -> None:
    rt = route(base(ready=False), f"GET http://{HOST}/")
    assert rt.status == 503
    # Every hop carries the 503 it passes back; only the controller produced it.
    assert all(h.status == 503 for h in rt.hops)
    assert verdicts(rt) == [("browser", "forwarded"), ("dns", "forwarded"), ("load-balancer", "forwarded"),
                            ("controller", "answered"), ("service", "forwarded"), ("endpoints", "answered")]
    assert decider(rt).component == "controller" and rt.decided_by == 3


def test_a_404_without_a_matching_rule_is_decided_by_the_controller() -> None:
    rt = route(base(), "GET http://other.example.com/")
    assert rt.status == 404
    assert verdicts(rt)[-1] == ("controller", "answered")
    assert [v for _, v in verdicts(rt)[:-1]] == ["forwarded"] * (len(rt.hops) - 1)
    assert rt.decided_by == len(rt.hops) - 1


def test_a_controller_redirect_is_redirected_at_the_controller() -> None:
    objects = [CLASS, CONTROLLER, ingress(annotations={"nginx.ingress.kubernetes.io/permanent-redirect":
                                                       "https://www.example.com/"}), service(), slice_()]
    rt = route(objects, f"GET http://{HOST}/")
    assert rt.status == 301
    assert decider(rt).component == "controller" and decider(rt).verdict == "redirected"
    assert not any(h.component == "pod" for h in rt.hops)


def test_an_l4_drop_in_front_of_the_controller_is_dropped_there() -> None:
    shop = ROOT / "examples" / "shop"
    controller = (shop / "ingress-nginx.yaml").read_text().replace(
        "  externalTrafficPolicy: Cluster\n", "  externalTrafficPolicy: Cluster\n  loadBalancerSourceRanges: [10.0.0.0/8]\n"
    )
    rest = [p.read_text() for p in sorted(shop.glob("*.yaml")) if p.name != "ingress-nginx.yaml"]
    rt = route("\n---\n".join([controller, *rest]), f"GET https://{HOST}/")
    assert rt.status is None and rt.error == "timeout"
    assert verdicts(rt) == [("browser", "forwarded"), ("dns", "forwarded"), ("load-balancer", "dropped")]
    assert rt.decided_by == 2


def test_kube_proxy_refusing_behind_service_upstream_is_the_drop_and_the_controller_answers_502() -> None:
    objects = [CLASS, CONTROLLER, ingress(annotations={"nginx.ingress.kubernetes.io/service-upstream": "true"}),
               service(), slice_(ready=False)]
    rt = route(objects, f"GET http://{HOST}/")
    assert rt.status == 502
    by_component = dict(verdicts(rt))
    assert by_component["kube-proxy"] == "dropped" and by_component["controller"] == "answered"
    assert decider(rt).component == "kube-proxy"


def test_an_app_302_from_its_profile_is_redirected_at_the_pod() -> None:
    profile = {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"selector": {"service": "web"}, "routes": [
                   {"path": {"exact": "/"}, "respond": {"status": 302, "headers": {"Location": "/login"}}}]}}
    rt = route(base(), f"GET http://{HOST}/", app_profiles=[profile])
    assert rt.status == 302
    assert decider(rt).component == "pod" and decider(rt).verdict == "redirected"
    assert dict(verdicts(rt))["controller"] == "forwarded"


def test_a_pod_without_a_profile_is_assumed_to_answer() -> None:
    rt = route(base(), f"GET http://{HOST}/")
    assert rt.status == 200
    pod = decider(rt)
    assert pod.component == "pod" and pod.verdict == "assumed" and pod.confidence == "from-snapshot"
    assert [v for _, v in verdicts(rt)[:-1]] == ["forwarded"] * (len(rt.hops) - 1)


def test_a_websocket_upgrade_without_a_profile_is_assumed_to_answer_101() -> None:
    request = {"method": "GET", "url": f"ws://{HOST}/ws", "headers": {"Upgrade": "websocket", "Connection": "Upgrade"}}
    rt = route(base(), request)
    assert rt.status == 101  # was 200: a WebSocket handshake never gets a 200 from a WebSocket endpoint
    pod = decider(rt)
    assert pod.component == "pod" and pod.status == 101 and pod.verdict == "assumed"
    assert pod.summary.endswith("no app profile: assumed the app accepts the WebSocket upgrade and answers 101")
    controller = next(h for h in rt.hops if h.component == "controller")
    assert controller.verdict == "forwarded" and "WebSocket upgrade is assumed accepted" in controller.summary
    # A plain request to the same backend keeps the assumed 200.
    assert route(base(), f"GET http://{HOST}/ws").status == 200


def test_a_profile_that_answers_the_upgrade_replaces_the_assumption() -> None:
    profile = {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"selector": {"service": "web"}, "routes": [
                   {"path": {"exact": "/ws"}, "websocket": True, "respond": {"status": 101}}]}}
    request = {"method": "GET", "url": f"ws://{HOST}/ws", "headers": {"Upgrade": "websocket", "Connection": "Upgrade"}}
    rt = route(base(), request, app_profiles=[profile])
    pod = decider(rt)
    assert rt.status == 101 and pod.verdict == "answered"
    assert "no app profile" not in pod.summary and pod.summary.endswith("the app answers 101")


def test_a_journey_websocket_to_a_backend_without_a_profile_opens() -> None:
    page = {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"selector": {"service": "web"}, "routes": [
                {"path": {"exact": "/"}, "respond": {"status": 200, "contentType": "text/html",
                                                     "html": {"assets": [], "websockets": ["/live"]}}}]}}
    objects = [CLASS, CONTROLLER, ingress([("/", "web"), ("/live", "live")]), service(), slice_(),
               service("live"), slice_("live", ip="10.0.0.2"), page]
    d = trace(objects, {"journey": {"start": f"http://{HOST}/"}}).to_dict()
    ws = d["requests"][-1]
    assert ws["step"]["cause"] == "websocket" and ws["status"] == 101 and ws["error"] is None
    assert ws["websocket"]["opened"] is True
    assert ws["hops"][ws["decided_by"]]["component"] == "pod" and ws["hops"][ws["decided_by"]]["verdict"] == "assumed"
    jsonschema.validate(d, SCHEMA)


def test_an_idle_cut_is_decided_by_the_hop_that_cuts_it() -> None:
    routes = [{"path": {"exact": "/"}, "respond": {"status": 200, "contentType": "text/html",
                                                   "html": {"websockets": ["/live"]}}},
              {"path": {"exact": "/live"}, "websocket": True, "respond": {"status": 101}}]
    profile = {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"selector": {"service": "web"}, "routes": routes}}
    d = trace([*base(), profile], {"journey": {"start": f"http://{HOST}/", "idleSeconds": 120}}).to_dict()
    ws = d["requests"][-1]
    assert ws["error"] == "websocket-closed"
    cut = ws["hops"][ws["decided_by"]]
    assert cut["component"] == "controller" and cut["outcome"] == "websocket-closed" and cut["verdict"] == "dropped"
    # The pod still accepted the handshake: its own verdict does not change.
    assert ws["hops"][-1]["verdict"] == "answered"


def test_a_mixed_content_block_is_dropped_by_the_browser() -> None:
    routes = [{"path": {"exact": "/"}, "respond": {"status": 200, "contentType": "text/html",
                                                   "html": {"assets": [f"http://{HOST}/a.js"]}}}]
    profile = {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"selector": {"service": "web"}, "routes": routes}}
    d = trace([*base(), profile], {"journey": {"start": f"https://{HOST}/"}}).to_dict()
    blocked = d["requests"][1]
    assert blocked["error"] == "mixed-content"
    assert blocked["decided_by"] == 0 and blocked["hops"][0]["verdict"] == "dropped"


def test_a_controller_that_is_not_simulated_is_assumed() -> None:
    objects = [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "istio"},
                "spec": {"controller": "istio.io/ingress-controller"}},
               {**ingress(), "spec": {**ingress()["spec"], "ingressClassName": "istio"}}, service(), slice_()]
    rt = route(objects, f"GET http://{HOST}/")
    assert rt.error == "not-simulated"
    assert decider(rt).verdict == "assumed" and decider(rt).component == "controller"


def test_the_json_carries_verdicts_and_decided_by_and_validates() -> None:
    t = trace(base(ready=False), f"GET http://{HOST}/")
    d = t.to_dict()
    rq = d["requests"][0]
    assert rq["decided_by"] == 3
    assert [h["verdict"] for h in rq["hops"]] == [h.verdict for h in t.final.hops]
    assert {h["verdict"] for h in rq["hops"]} <= set(VERDICTS)
    jsonschema.validate(d, SCHEMA)
    # A trace stored before verdicts existed still validates: both are optional.
    old = copy.deepcopy(d)
    for r in old["requests"]:
        r.pop("decided_by")
        for h in r["hops"]:
            h.pop("verdict")
    jsonschema.validate(old, SCHEMA)


def test_assigning_again_gives_the_same_result_and_follows_later_changes() -> None:
    rt = route(base(), f"GET http://{HOST}/")
    before = (verdicts(rt), rt.decided_by)
    assert (verdicts(assign_verdicts(rt)), rt.decided_by) == before
    rt.hops[2].outcome, rt.hops[2].status = "timeout", None  # as the journey runner changes a hop afterwards
    assign_verdicts(rt)
    assert rt.decided_by == 2 and rt.hops[2].verdict == "dropped"


def test_hop_verdict_of_each_outcome() -> None:
    def hop(outcome: str, status: int | None = 200, **kw: Any) -> Hop:
        return Hop("controller", "c", "s", outcome=outcome, status=status, **kw)

    assert hop_verdict(hop("forward"), False) == "forwarded"
    assert hop_verdict(hop("forward", confidence="assumed"), False) == "forwarded"
    assert hop_verdict(hop("respond", 404), False) == "answered"
    assert hop_verdict(hop("respond", 308), False) == "redirected"
    assert hop_verdict(hop("respond", 304), False) == "answered"  # not a redirect to follow
    assert hop_verdict(hop("redirect", 302), False) == "redirected"
    assert hop_verdict(hop("respond", 500, confidence="assumed"), False) == "assumed"
    assert hop_verdict(hop("unknown", None), False) == "assumed"
    for outcome in ("timeout", "refused", "reset", "tls-error", "websocket-closed"):
        assert hop_verdict(hop(outcome, None), False) == "dropped"
    assert hop_verdict(hop("refused", 502), True) == "answered"
    assert hop_verdict(hop("refused", None), True) == "forwarded"


def test_every_example_request_gets_a_verdict_per_hop_and_a_deciding_hop() -> None:
    for example in sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir() and p.name != "profiles"):
        objects = [o for f in sorted(example.glob("*.yaml")) for o in yaml.safe_load_all(f.read_text()) if o]
        hosts = sorted({r.get("host") for o in objects if o.get("kind") == "Ingress"
                        for r in (o.get("spec") or {}).get("rules") or [] if r.get("host")})
        engine = Engine(objects)
        for host in hosts[:2]:
            for scheme in ("http", "https"):
                rt = engine.route(f"GET {scheme}://{host}/")
                assert all(h.verdict in VERDICTS for h in rt.hops), example.name
                assert rt.decided_by is not None and 0 <= rt.decided_by < len(rt.hops)
                deciding = rt.hops[rt.decided_by]
                # An error the client sees (no HTTP answer) is always a drop; an HTTP answer never is a drop
                # at the deciding hop unless a hop behind the controller failed (504, 502).
                if rt.status is None:
                    assert deciding.verdict in ("dropped", "assumed"), (example.name, host)
                assert all(h.verdict == "forwarded" for h in rt.hops[: rt.decided_by]), (example.name, host)
