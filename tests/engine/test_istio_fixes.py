"""The Istio and Knative fix finders (tracer/engine/fixes/istio_fixes.py) beyond seed report 003's own path:
when they offer a patch, what it keeps, and when they offer none."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tracer.engine import Engine, load_manifests
from tracer.engine.fixes import apply_patches
from tracer.engine.fixes.patch import Patch
from tracer.engine.result import Diagnosis, RequestTrace

ROOT = Path(__file__).resolve().parents[2]
STAGE1 = ROOT / "examples" / "knative-003-1-custom-domain"
DOMAIN = "api-test.sls.intra.kaku.com"
NET = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-network", "namespace": "knative-serving"},
       "data": {"autocreate-cluster-domain-claims": "true"}}


def stage1_docs() -> list[dict[str, Any]]:
    """Stage 1 of report 003 (the gateway accepts HTTP/1.0; the company domain has no route) as documents."""
    return [copy.deepcopy(o.body) for o in load_manifests(str(STAGE1)).objects if o.kind != "Journey"]


def one(docs: list[dict[str, Any]], request: str | dict[str, Any]) -> RequestTrace:
    return Engine(docs).trace(request).requests[0]


def diag(rt: RequestTrace, code: str) -> Diagnosis:
    return next(d for d in rt.diagnoses if d.code == code)


def patched(docs: list[dict[str, Any]], d: Diagnosis) -> list[dict[str, Any]]:
    snap = apply_patches(Engine(docs).snapshot, [Patch.from_dict(p) for p in d.patches])
    return [o.body for o in snap.objects]


def gateway_containers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    dep = next(d for d in docs if d["kind"] == "Deployment")
    containers: list[dict[str, Any]] = dep["spec"]["template"]["spec"]["containers"]
    return containers


def ksvc(name: str) -> dict[str, Any]:
    return {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"template": {"spec": {"containers": [{"image": "ghcr.io/knative/helloworld-go"}]}}}}


def test_http10_fix_replaces_a_wrong_value_and_keeps_the_other_containers_as_written() -> None:
    docs = stage1_docs()
    containers = gateway_containers(docs)
    containers[0]["env"] = [{"name": "ISTIO_META_HTTP10", "value": "true"}, {"name": "LOG_LEVEL", "value": "debug"}]
    containers.append({"name": "sidecar", "image": "busybox"})
    rt = one(docs, f"GET http://{DOMAIN}/ HTTP/1.0")
    assert rt.status == 426  # only "1" enables HTTP/1.0 (istio#S14)
    fixed = patched(docs, diag(rt, "HTTP10_UPGRADE_REQUIRED"))
    after = gateway_containers(fixed)
    assert after[0]["env"] == [{"name": "LOG_LEVEL", "value": "debug"}, {"name": "ISTIO_META_HTTP10", "value": "1"}]
    assert after[1] == {"name": "sidecar", "image": "busybox"}
    assert one(fixed, f"GET http://{DOMAIN}/ HTTP/1.0").status == 404  # past the 426, on to routing


def test_no_http10_patch_when_the_gateway_workload_is_assumed() -> None:
    rt = one([ksvc("hello")], "GET http://hello.default.example.com/ HTTP/1.0")
    assert rt.status == 426 and diag(rt, "HTTP10_UPGRADE_REQUIRED").patches == []


def test_host_header_names_the_domain_to_map_as_the_reports_second_curl_sent_it() -> None:
    rt = one(stage1_docs(), {"method": "GET", "url": "http://10.88.128.112/", "headers": {"Host": DOMAIN}})
    d = diag(rt, "ISTIO_NO_ROUTE")
    assert [p["target"]["name"] for p in d.patches] == [DOMAIN, DOMAIN]


def test_no_domain_patch_when_the_choice_of_service_is_not_tracer_s_to_make() -> None:
    docs = stage1_docs()
    two = [*docs, ksvc("other")]
    rt = one(two, f"GET http://{DOMAIN}/")
    assert rt.status == 404 and diag(rt, "ISTIO_NO_ROUTE").patches == []
    assert "VirtualService" in diag(rt, "ISTIO_NO_ROUTE").fix
    none = [d for d in docs if d["kind"] != "Service" or d["apiVersion"] == "v1"]
    assert diag(one(none, f"GET http://{DOMAIN}/"), "ISTIO_NO_ROUTE").patches == []
    by_ip = one(docs, "GET http://10.88.128.112/")
    assert by_ip.status == 404 and diag(by_ip, "ISTIO_NO_ROUTE").patches == []


def test_no_domain_patch_when_another_namespace_owns_the_domain() -> None:
    claim = {"apiVersion": "networking.internal.knative.dev/v1alpha1", "kind": "ClusterDomainClaim",
             "metadata": {"name": DOMAIN}, "spec": {"namespace": "payments"}}
    rt = one([*stage1_docs(), claim], f"GET http://{DOMAIN}/")
    assert rt.status == 404 and diag(rt, "ISTIO_NO_ROUTE").patches == []


def test_with_autocreated_claims_the_mapping_alone_is_the_fix() -> None:
    docs = [*stage1_docs(), NET]
    d = diag(one(docs, f"GET http://{DOMAIN}/"), "ISTIO_NO_ROUTE")
    assert [p["target"]["kind"] for p in d.patches] == ["DomainMapping"] and "ClusterDomainClaim" not in d.fix
    assert one(patched(docs, d), f"GET http://{DOMAIN}/").status == 200


def test_mapping_without_its_claim_gets_the_claim() -> None:
    mapping = {"apiVersion": "serving.knative.dev/v1beta1", "kind": "DomainMapping",
               "metadata": {"name": DOMAIN, "namespace": "default"},
               "spec": {"ref": {"name": "helloworld-go", "kind": "Service", "apiVersion": "serving.knative.dev/v1"}}}
    docs = [*stage1_docs(), mapping]
    rt = one(docs, f"GET http://{DOMAIN}/")
    d = diag(rt, "KNATIVE_HOST_NOT_EXPOSED")
    assert [(p["op"], p["target"]["kind"]) for p in d.patches] == [("create", "ClusterDomainClaim")]
    assert d.patches[0]["patch"]["spec"] == {"namespace": "default"}
    assert diag(rt, "ISTIO_NO_ROUTE").patches == []  # one fix per failure, on the diagnosis that explains it
    assert one(patched(docs, d), f"GET http://{DOMAIN}/").status == 200
    elsewhere = {"apiVersion": "networking.internal.knative.dev/v1alpha1", "kind": "ClusterDomainClaim",
                 "metadata": {"name": DOMAIN}, "spec": {"namespace": "payments"}}
    taken = one([*docs, elsewhere], f"GET http://{DOMAIN}/")
    assert diag(taken, "KNATIVE_HOST_NOT_EXPOSED").patches == []
