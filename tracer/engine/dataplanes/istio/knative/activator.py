"""A Knative revision behind the gateway when the snapshot has no Service for it (istio#S24).

Knative points a revision's public Service at the activator while the revision has no ready pod (scale to
zero, min-scale 0): the activator finds the revision from the Knative-Serving-Revision/-Namespace headers,
holds the request while the autoscaler starts a pod, then passes it to the pod's queue-proxy (port 8012),
which hands it to the user container. With pods up (min-scale 1 or more, or ready pods in the snapshot) the
Service points at the pods directly. What the app answers comes from an AppProfile selecting the revision's
pod labels (serving.knative.dev/service, /configuration, /revision and the template's labels).

Upstream: knative/serving pkg/activator/handler/handler.go, context_handler.go, pkg/queue/sharedmain/handlers.go,
pkg/reconciler/serverlessservice (SKS proxy/serve mode); https://knative.dev/docs/serving/architecture/ and
https://knative.dev/docs/serving/autoscaling/scale-bounds/
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....profiles import merge_headers, profile_pod_hop
from ....request import Request
from ....result import Hop, RequestTrace
from ....services import BackendResolution, Endpoint
from ....snapshot import K8sObject
from .derive import Revision

if TYPE_CHECKING:
    from ..route import IstioRouter

ACTIVATOR = "knative-serving/activator"
QUEUE_PROXY_PORT = 8012
REVISION_LABEL = "serving.knative.dev/revision"


def ready_pods(router: IstioRouter, rev: Revision) -> list[K8sObject]:
    out = []
    for pod in router.snapshot.of_kind("Pod", rev.namespace):
        if pod.labels.get(REVISION_LABEL) != rev.name:
            continue
        conds = {str(c.get("type")): str(c.get("status")) for c in pod.status.get("conditions") or []
                 if isinstance(c, dict)}
        if conds.get("Ready") == "True":
            out.append(pod)
    return out


def _resolution(rev: Revision) -> tuple[BackendResolution, Endpoint]:
    """The revision's private Service as Knative creates it: selecting the revision's pods, port 80 to the
    queue-proxy. The snapshot does not hold it, so it is built here for the profile look-up."""
    svc = K8sObject({"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": f"{rev.name}-private", "namespace": rev.namespace},
                     "spec": {"selector": rev.labels, "ports": [{"port": 80, "targetPort": QUEUE_PROXY_PORT}]}},
                    rev.ksvc.source)
    port = {"port": 80, "targetPort": QUEUE_PROXY_PORT}
    ep = Endpoint("", None, True, None, None, "assumed")
    res = BackendResolution(rev.namespace, svc.name, 80, svc, port, 80, "ClusterIP", None, [ep], True, [],
                            assumed=True)
    return res, ep


def to_revision(router: IstioRouter, trace: RequestTrace, request: Request, rev: Revision, headers: dict[str, str],
                uri: str, gateway_hop: Hop) -> None:
    """Forward to the revision through the activator (no ready pod, min-scale 0) or straight to its pods."""
    cold = rev.min_scale == 0 and not ready_pods(router, rev)
    ref = rev.ksvc.ref()
    status = 200
    answer = None
    if router.context.profiles is not None:
        res, ep = _resolution(rev)
        answer = router.context.profiles.answer_for(res, ep, request.method, uri, headers, upstream_tls=False)
        if answer is not None and not answer.refused:
            merge_headers(trace.response_headers, answer.headers)
            trace.page = answer.page()
            status = answer.status or 200
        elif answer is not None:
            status = 502  # the queue-proxy cannot reach the user container
    trace.status = status
    gateway_hop.status = status
    gateway_hop.details["revision"] = rev.name
    trace.backend = {"namespace": rev.namespace, "service": rev.name, "port": 80}
    trace.hops.append(gateway_hop)
    if cold:
        gateway_hop.summary += f"; revision {rev.name} is scaled to zero, so its Service points at the activator"
        trace.hops.append(Hop(
            "activator", ACTIVATOR, f"revision {rev.namespace}/{rev.name} has no ready pod (min-scale 0): the activator "
            "holds the request until the autoscaler has started one, then forwards it (cold start)",
            status=status, objects=[ref], decision="the Knative-Serving-Revision and -Namespace headers name the revision",
            details={"revision": rev.name, "min_scale": rev.min_scale, "queue_proxy_port": QUEUE_PROXY_PORT},
            rules=["istio#S24"], confidence="assumed"))
    details: dict[str, Any] = {"queue_proxy_port": QUEUE_PROXY_PORT, "container_port": rev.port}
    pod = Hop("pod", f"{rev.namespace}/{rev.name} (a pod of the revision)",
              f"the queue-proxy on port {QUEUE_PROXY_PORT} passes the request to the user container on port "
              f"{rev.port}" + ("; the pod was started for this request" if cold else ""),
              outcome="respond", status=status, objects=[ref], details=details, rules=["istio#S24"],
              confidence="assumed")
    if answer is not None:
        profile_pod_hop(pod, answer)
    trace.hops.append(pod)
