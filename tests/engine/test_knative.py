"""Knative Serving on the Istio ingress gateway (docs/knative.md, istio#S20..#S25): hosts from the domain
template and config-domain, cluster-local visibility, traffic splits and tags, DomainMapping with its claim,
the activator at zero scale, and Knative's own objects taken as given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracer.engine import Engine
from tracer.engine.result import RequestTrace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knative-helloworld"


def ksvc(name: str = "hello", ns: str = "default", labels: dict[str, str] | None = None,
         traffic: list[dict[str, Any]] | None = None, annotations: dict[str, str] | None = None,
         revision: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"annotations": annotations or {}}
    if revision:
        meta["name"] = revision
    spec: dict[str, Any] = {"template": {"metadata": meta, "spec": {"containers": [{"image": "ghcr.io/knative/helloworld-go"}]}}}
    if traffic is not None:
        spec["traffic"] = traffic
    return {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}}, "spec": spec}


def config_domain(data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-domain", "namespace": "knative-serving"},
            "data": data}


def components(rt: RequestTrace) -> list[str]:
    return [h.component for h in rt.hops]


def codes(rt: RequestTrace) -> list[str]:
    return [d.code for d in rt.diagnoses]


def controller_hop(rt: RequestTrace) -> Any:
    return next(h for h in rt.hops if h.component == "controller")


def test_default_domain_template_host_routes_to_the_latest_revision() -> None:
    rt = Engine([ksvc()]).route("http://hello.default.example.com/")
    assert rt.controller == "istio" and rt.status == 200
    assert rt.route is not None and rt.route["name"] == "hello-ingress"
    assert rt.backend is not None and rt.backend["service"] == "hello-00001"
    assert rt.upstream is not None and rt.upstream["headers"]["Knative-Serving-Revision"] == "hello-00001"
    hop = controller_hop(rt)
    assert "istio#S20" in hop.rules and "istio#S24" in hop.rules
    assert any(o["name"] == "knative-ingress-gateway" for o in hop.objects)


def test_config_domain_most_specific_selector_wins() -> None:
    cm = config_domain({"example.org": "", "prod.example.net": "selector:\n  app: shop\n",
                        "edge.example.net": "selector:\n  app: shop\n  tier: edge\n"})
    docs = [cm, ksvc("plain"), ksvc("shop", labels={"app": "shop"}), ksvc("edge", labels={"app": "shop", "tier": "edge"})]
    e = Engine(docs)
    assert e.route("http://plain.default.example.org/").status == 200
    assert e.route("http://shop.default.prod.example.net/").status == 200
    assert e.route("http://edge.default.edge.example.net/").status == 200
    assert e.route("http://edge.default.prod.example.net/").status == 404
    assert e.route("http://plain.default.example.com/").status == 404  # the configured domain replaces example.com


def test_config_domain_without_default_entry_makes_services_cluster_local() -> None:
    e = Engine([config_domain({"shop.example.net": "selector:\n  app: shop\n"}), ksvc("plain")])
    rt = e.route("http://plain.default.svc.cluster.local/")
    assert rt.status == 404 and "KNATIVE_HOST_NOT_EXPOSED" in codes(rt)


def test_domain_template_from_config_network() -> None:
    net = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-network", "namespace": "knative-serving"},
           "data": {"domain-template": "{{.Name}}-{{.Namespace}}.{{.Domain}}"}}
    e = Engine([net, ksvc()])
    assert e.route("http://hello-default.example.com/").status == 200
    assert e.route("http://hello.default.example.com/").status == 404


def test_cluster_local_service_is_404_nr_at_the_gateway() -> None:
    rt = Engine([ksvc(labels={"networking.knative.dev/visibility": "cluster-local"})]).route(
        "http://hello.default.example.com/")
    assert rt.status == 404
    assert controller_hop(rt).details["response_flags"] == "NR"
    assert "KNATIVE_HOST_NOT_EXPOSED" in codes(rt) and "istio#S13" in controller_hop(rt).rules


def test_traffic_split_by_percent_is_deterministic_per_seed() -> None:
    docs = [ksvc(revision="hello-00002", traffic=[{"revisionName": "hello-00001", "percent": 20},
                                                   {"latestRevision": True, "percent": 80}])]
    picked = {}
    for seed in range(40):
        rt = Engine(docs, seed=seed).route("http://hello.default.example.com/")
        assert rt.status == 200 and rt.backend is not None
        picked[seed] = rt.backend["service"]
        assert Engine(docs, seed=seed).route("http://hello.default.example.com/").backend == rt.backend
    assert set(picked.values()) == {"hello-00001", "hello-00002"}
    assert sum(v == "hello-00002" for v in picked.values()) > sum(v == "hello-00001" for v in picked.values())
    hop = controller_hop(Engine(docs, seed=1).route("http://hello.default.example.com/"))
    assert hop.details["weights"] == {"hello-00001.default.svc.cluster.local": 20,
                                      "hello-00002.default.svc.cluster.local": 80}


def test_tag_gets_its_own_host_routed_to_its_revision() -> None:
    docs = [ksvc(revision="hello-00002", traffic=[{"latestRevision": True, "percent": 100},
                                                   {"revisionName": "hello-00001", "percent": 0, "tag": "old"}])]
    e = Engine(docs)
    rt = e.route("http://old-hello.default.example.com/")
    assert rt.status == 200 and rt.backend is not None and rt.backend["service"] == "hello-00001"
    for seed in range(10):
        main = Engine(docs, seed=seed).route("http://hello.default.example.com/")
        assert main.backend is not None and main.backend["service"] == "hello-00002"


def domain_mapping(domain: str, ns: str = "default", target: str = "hello") -> dict[str, Any]:
    return {"apiVersion": "serving.knative.dev/v1beta1", "kind": "DomainMapping",
            "metadata": {"name": domain, "namespace": ns},
            "spec": {"ref": {"name": target, "kind": "Service", "apiVersion": "serving.knative.dev/v1"}}}


def claim(domain: str, ns: str) -> dict[str, Any]:
    return {"apiVersion": "networking.internal.knative.dev/v1alpha1", "kind": "ClusterDomainClaim",
            "metadata": {"name": domain}, "spec": {"namespace": ns}}


def test_domain_mapping_with_its_claim_routes_the_custom_domain() -> None:
    rt = Engine([ksvc(), domain_mapping("app.shop.io"), claim("app.shop.io", "default")]).route("http://app.shop.io/x")
    assert rt.status == 200 and rt.backend is not None and rt.backend["service"] == "hello-00001"
    assert rt.upstream is not None
    assert rt.upstream["host"] == "hello.default.svc.cluster.local"
    assert rt.upstream["headers"]["K-Original-Host"] == "app.shop.io"


def test_domain_mapping_without_claim_or_claimed_elsewhere_is_404() -> None:
    for extra in ([], [claim("app.shop.io", "other")]):
        rt = Engine([ksvc(), domain_mapping("app.shop.io"), *extra]).route("http://app.shop.io/")
        assert rt.status == 404 and "KNATIVE_HOST_NOT_EXPOSED" in codes(rt)
    net = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-network", "namespace": "knative-serving"},
           "data": {"autocreate-cluster-domain-claims": "true"}}
    assert Engine([ksvc(), domain_mapping("app.shop.io"), net]).route("http://app.shop.io/").status == 200


def test_unknown_custom_domain_is_404_nr() -> None:
    rt = Engine([ksvc()]).route("http://www.shop.io/")
    assert rt.status == 404 and codes(rt) == ["ISTIO_NO_ROUTE"]
    assert controller_hop(rt).details["response_flags"] == "NR"


def test_activator_at_zero_scale_and_pods_direct_with_min_scale() -> None:
    cold = Engine([ksvc()]).route("http://hello.default.example.com/")
    assert components(cold)[-3:] == ["controller", "activator", "pod"]
    act = cold.hops[-2]
    assert act.name == "knative-serving/activator" and act.confidence == "assumed" and "cold start" in act.summary
    warm = Engine([ksvc(annotations={"autoscaling.knative.dev/min-scale": "1"})]).route("http://hello.default.example.com/")
    assert "activator" not in components(warm) and components(warm)[-1] == "pod"


def test_ready_pod_of_the_revision_skips_the_activator() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello-00001-deployment-abc", "namespace": "default",
                                                            "labels": {"serving.knative.dev/revision": "hello-00001"}},
           "spec": {"containers": [{"name": "user-container", "image": "x"}]},
           "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    rt = Engine([ksvc(), pod]).route("http://hello.default.example.com/")
    assert "activator" not in components(rt)


def test_profile_answers_for_the_revision_pod() -> None:
    profile = {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile", "metadata": {"name": "hello", "namespace": "default"},
               "spec": {"selector": {"matchLabels": {"serving.knative.dev/service": "hello"}},
                        "routes": [{"path": {"exact": "/"}, "respond": {"status": 200}}]}}
    e = Engine([ksvc(), profile])
    assert e.route("http://hello.default.example.com/").status == 200
    rt = e.route("http://hello.default.example.com/missing")
    assert rt.status == 404 and rt.hops[-1].component == "pod"


def test_derived_objects_in_the_snapshot_are_taken_as_given() -> None:
    given = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
             "metadata": {"name": "hello-ingress", "namespace": "default"},
             "spec": {"hosts": ["hello.given.io"], "gateways": ["knative-serving/knative-ingress-gateway"],
                      "http": [{"route": [{"destination": {"host": "hello-00001.default.svc.cluster.local",
                                                           "port": {"number": 80}}}]}]}}
    e = Engine([ksvc(), given])
    assert e.route("http://hello.given.io/").status == 200
    assert e.route("http://hello.default.example.com/").status == 404  # nothing derived next to it
    route = {"apiVersion": "serving.knative.dev/v1", "kind": "Route", "metadata": {"name": "hello", "namespace": "default"},
             "spec": {"traffic": [{"revisionName": "hello-00001", "percent": 100}]}}
    assert Engine([ksvc(), route]).route("http://hello.default.example.com/").status == 404


def test_example_journey_and_installation() -> None:
    e = Engine(EXAMPLE)
    installs = [i.family for i in e.installations]
    assert "istio" in installs
    rt = e.route("http://helloworld-go.default.example.com/")
    assert rt.status == 200 and "activator" in components(rt)
