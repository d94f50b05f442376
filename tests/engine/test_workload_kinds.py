"""Endpoints inferred from any pod-making workload (dataplane#R65) and the near misses that name them (R13).

Each case is a snapshot without Pods or EndpointSlices, traced through ingress-nginx: an Ingress, its
IngressClass, a Service selecting ``app=web`` and the workload(s) under test.
"""

from __future__ import annotations

from typing import Any

from tracer.engine import trace

NS = "shop"
TREATED = "treated kind {} as a workload because it has a pod template"


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NS, **extra}


def base(selector: dict[str, str] | None = None) -> list[dict[str, Any]]:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "nginx"},
            "spec": {"controller": "k8s.io/ingress-nginx"},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": meta("web"),
            "spec": {
                "ingressClassName": "nginx",
                "rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta("web"),
            "spec": {"selector": selector or {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
        },
    ]


def template(labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"labels": labels or {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "web:1", "ports": [{"name": "http", "containerPort": 8080}]}]},
    }


def workload(api_version: str, kind: str, name: str = "web", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": meta(name), "spec": spec}


def run(*objs: dict[str, Any], selector: dict[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The traced request as a dict, and the trace's warnings."""
    out = trace([*base(selector), *objs], "GET http://host/").to_dict()
    return out["requests"][0], out["warnings"]


def hop(request: dict[str, Any], component: str) -> dict[str, Any]:
    return next(h for h in request["hops"] if h["component"] == component)


def assert_inferred_from(request: dict[str, Any], display: str, count: int) -> dict[str, Any]:
    assert request["status"] == 200
    eps = hop(request, "endpoints")
    assert eps["confidence"] == "inferred"
    assert f"{count} of {count} endpoint(s) ready, inferred from {display}" in eps["summary"]
    assert {e["source"] for e in eps["details"]["endpoints"]} == {"inferred"}
    assert {e["port"] for e in eps["details"]["endpoints"]} == {8080}  # the named targetPort, from the template
    assert hop(request, "pod")["confidence"] == "inferred"
    return eps


def test_R65_replication_controller_pods_are_inferred_endpoints() -> None:
    rc = workload("v1", "ReplicationController", replicas=3, selector={"app": "web"}, template=template())
    request, warnings = run(rc)
    assert_inferred_from(request, f"ReplicationController {NS}/web", 3)
    assert not any("ReplicationController" in w for w in warnings)


def test_R65_replication_controller_without_selector_defaults_to_its_template_labels() -> None:
    request, _ = run(workload("v1", "ReplicationController", template=template()))
    assert_inferred_from(request, f"ReplicationController {NS}/web", 1)


def test_R65_argo_rollout_with_an_inline_template() -> None:
    rollout = workload(
        "argoproj.io/v1alpha1", "Rollout", replicas=2, selector={"matchLabels": {"app": "web"}}, template=template()
    )
    request, warnings = run(rollout)
    assert_inferred_from(request, f"Rollout {NS}/web", 2)
    assert not warnings


def test_R65_argo_rollout_workload_ref_takes_the_deployments_template() -> None:
    # The usual migration: the Deployment keeps the template, scaled to 0; the Rollout runs the pods.
    deployment = workload(
        "apps/v1", "Deployment", "web-template", replicas=0, selector={"matchLabels": {"app": "web"}},
        template=template(),
    )
    rollout = workload(
        "argoproj.io/v1alpha1",
        "Rollout",
        replicas=4,
        selector={"matchLabels": {"app": "web"}},
        workloadRef={"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-template"},
    )
    request, _ = run(deployment, rollout)
    eps = assert_inferred_from(request, f"Rollout {NS}/web", 4)
    assert {e["pod"] for e in eps["details"]["endpoints"]} == {f"web-<replica {i}>" for i in range(1, 5)}
    assert eps["details"]["notes"] == [f"Deployment {NS}/web-template scaled to 0 replicas"]


def test_R65_a_replicaset_owned_by_a_rollout_is_left_out() -> None:
    rollout = workload("argoproj.io/v1alpha1", "Rollout", replicas=2, selector={"app": "web"}, template=template())
    owned = workload("apps/v1", "ReplicaSet", "web-6f7d", replicas=2, selector={"app": "web"}, template=template())
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "web"}]
    request, _ = run(rollout, owned)
    assert_inferred_from(request, f"Rollout {NS}/web", 2)


def test_R65_cronjob_pods_are_inferred_and_run_to_completion() -> None:
    job_spec = {"parallelism": 2, "template": template()}
    cron = workload("batch/v1", "CronJob", schedule="*/5 * * * *", jobTemplate={"spec": job_spec})
    owned_job = workload("batch/v1", "Job", "web-28000000", **job_spec)
    owned_job["metadata"]["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "web"}]
    request, _ = run(cron, owned_job)
    eps = assert_inferred_from(request, f"CronJob {NS}/web", 2)
    (note,) = eps["details"]["notes"]
    assert f"CronJob {NS}/web run to completion" in note and "only while a run is active" in note


def test_R65_job_replicas_are_its_parallelism() -> None:
    request, _ = run(workload("batch/v1", "Job", parallelism=3, template=template()))
    eps = assert_inferred_from(request, f"Job {NS}/web", 3)
    assert any("run to completion" in n for n in eps["details"]["notes"])


def test_R65_unknown_kind_with_a_pod_template_is_a_workload_with_one_warning() -> None:
    crs = [
        workload("apps.example.com/v1", "WebApp", name, replicas=1, selector={"app": "web"}, template=template())
        for name in ("web-a", "web-b")
    ]
    request, warnings = run(*crs)
    assert_inferred_from(request, f"WebApp {NS}/web-a, WebApp {NS}/web-b", 2)
    assert sum(TREATED.format("WebApp") in w for w in warnings) == 1
    assert not any("WebApp is not modelled" in w for w in warnings)


def test_R65_a_kind_without_the_workload_shape_is_not_used() -> None:
    # A pod template but no spec.selector: not the shape of a workload, so no endpoints come from it.
    request, warnings = run(workload("apps.example.com/v1", "WebApp", template=template()))
    assert request["status"] == 503
    assert any("kind WebApp is not modelled" in w for w in warnings)
    assert not any(TREATED.format("WebApp") in w for w in warnings)


def test_R13_selector_matching_nothing_names_the_new_kinds_as_near_misses() -> None:
    request, _ = run(
        workload("v1", "ReplicationController", "legacy", template=template({"app": "web-v1"})),
        workload("argoproj.io/v1alpha1", "Rollout", "canary", selector={"app": "web-v3"},
                 template=template({"app": "web-v3"})),
        workload("batch/v1", "CronJob", "report", jobTemplate={"spec": {"template": template({"app": "web-v2"})}}),
        selector={"app": "web"},
    )
    assert request["status"] == 503
    (diag,) = [d for d in request["diagnoses"] if d["code"] == "SELECTOR_MATCHES_NOTHING"]
    for near in (
        f"ReplicationController {NS}/legacy has labels app=web-v1",
        f"Rollout {NS}/canary has labels app=web-v3",
        f"CronJob {NS}/report has labels app=web-v2",
    ):
        assert near in diag["message"]
