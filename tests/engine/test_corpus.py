"""Every file of the real-world corpus (tests/corpus/, see its README.md) loads and traces without surprises.

Each file is loaded on its own. Files the loader refuses must be exactly the ones listed in ``REFUSED`` (with
why), so a valid manifest that starts being refused fails here. Every Ingress rule of the others is traced (its
host or a made-up one; http and https; its first path and a sub-path under it) under automatic detection and each
simulated controller, with and without ``assume_endpoints``. Each trace must validate against the trace-v1 schema,
show no Python literal in text people read, and render as CLI text within 100 columns. Bad input may raise a
TracerError subclass; anything else is an engine bug. The whole corpus takes a few seconds, so nothing is sampled.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from text_checks import find_literals, literals_in  # tests/engine is on sys.path (no __init__.py)

from tracer.engine import Engine, LoadError, Snapshot, TracerError, load_manifests
from tracer.engine.textreport import render_text

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
NOT_MANIFESTS = {"INDEX.md", "provenance.tsv", "README.md"}
VALIDATOR = jsonschema.Draft202012Validator(json.loads((ROOT / "tracer/engine/schema/trace-v1.schema.json").read_text()))
MADE_UP_HOST = "made-up.example.com"
HOSTNAME = re.compile(r"[A-Za-z0-9.-]+")
TEXT_WIDTH = 100

HELM = "Helm template: {{ }} directives are not YAML until Helm renders them"
# Relative path -> why the loader must refuse it. Kept explicit so a newly refused file fails the test.
REFUSED = {
    "argo-cd/util/helm/testdata/minio/templates/ingress.yaml": HELM,
    "dashboard/charts/kubernetes-dashboard/templates/deployments/web.yaml": HELM,
    "dashboard/charts/kubernetes-dashboard/templates/networking/ingress.yaml": HELM,
    "dashboard/charts/kubernetes-dashboard/templates/services/api.yaml": HELM,
    "dashboard/charts/kubernetes-dashboard/templates/services/web.yaml": HELM,
    "jupyterhub/jupyterhub/templates/hub/service.yaml": HELM,
    "jupyterhub/jupyterhub/templates/ingress.yaml": HELM,
    "jupyterhub/jupyterhub/templates/proxy/deployment.yaml": HELM,
    "jupyterhub/jupyterhub/templates/proxy/service.yaml": HELM,
    "microservices-demo/helm-chart/templates/frontend.yaml": HELM,
    "ingress-nginx/docs/examples/customization/custom-errors/custom-default-backend.helm.values.yaml": (
        "Helm values file: settings for a chart, not Kubernetes objects (no kind)"
    ),
    "handmade/loader/tabs.yaml": "tabs used as block indentation, which YAML forbids",
}
CONTROLLERS = (None, "ingress-nginx", "ingress-spec")


def corpus_files() -> list[str]:
    return sorted(
        p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file() and p.name not in NOT_MANIFESTS
    )


def load(rel: str) -> Snapshot | LoadError:
    try:
        return load_manifests(CORPUS / rel)
    except LoadError as exc:
        return exc


def _paths(rule: dict[str, Any]) -> list[str]:
    """The rule's first path and a sub-path under it, quoted so regex paths still make a valid URL."""
    paths = (rule.get("http") or {}).get("paths") or []
    first = paths[0] if isinstance(paths, list) and paths and isinstance(paths[0], dict) else {}
    path = str(first.get("path") or "/")
    path = quote(path if path.startswith("/") else "/" + path, safe="/-._~!$&'()*+,;=:@%")
    return list(dict.fromkeys([path, path.rstrip("/") + "/corpus-sub"]))


def requests_for(snapshot: Snapshot) -> list[str]:
    """Requests covering every Ingress rule; a made-up host for host-less rules and placeholders such as
    ``registry.<your domain>``, for an Ingress with no rules (default backend only) and for a file with no
    Ingress at all."""
    targets: list[tuple[str, str]] = []
    for obj in snapshot:
        if obj.kind != "Ingress":
            continue
        rules = (obj.body.get("spec") or {}).get("rules") or [{}]
        for rule in rules if isinstance(rules, list) else [{}]:
            rule = rule if isinstance(rule, dict) else {}
            host = str(rule.get("host") or MADE_UP_HOST).replace("*", "any")
            host = host if HOSTNAME.fullmatch(host) else MADE_UP_HOST
            targets += [(host, path) for path in _paths(rule)]
    unique = list(dict.fromkeys(targets)) or [(MADE_UP_HOST, "/")]  # no Ingress: what the entry answers
    return [f"GET {scheme}://{host}{path}" for host, path in unique for scheme in ("http", "https")]


def check_trace(data: dict[str, Any], case: str) -> list[str]:
    """The problems of one trace-v1 dict: schema errors, Python literals, CLI text wider than TEXT_WIDTH."""
    problems = [f"{case}: schema: {e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    problems += [f"{case}: literal {lit} in {where}: {text}" for where, lit, text in find_literals(data)]
    problems += [
        f"{case}: text line of {len(line)} columns: {line}"
        for line in render_text(data, width=TEXT_WIDTH).splitlines()
        if len(line) > TEXT_WIDTH
    ]
    return problems


def test_the_loader_refuses_exactly_the_listed_files() -> None:
    refused = {rel: result for rel in corpus_files() if isinstance(result := load(rel), LoadError)}
    assert sorted(refused) == sorted(REFUSED), {rel: str(exc) for rel, exc in refused.items()}
    for rel, exc in refused.items():
        # A clear refusal names the file and the line, and says what is wrong in words.
        assert exc.file and rel in exc.file and exc.line is not None, str(exc)
        assert exc.message and not literals_in(exc.message), str(exc)


@pytest.mark.parametrize("rel", [rel for rel in corpus_files() if rel not in REFUSED])
def test_every_rule_traces(rel: str) -> None:
    snapshot = load(rel)
    assert isinstance(snapshot, Snapshot), str(snapshot)
    problems: list[str] = []
    for controller in CONTROLLERS:
        for assume in (False, True):
            options: dict[str, Any] = {"assume_endpoints": assume}
            if controller:
                options["controller"] = controller
            case = f"controller={controller or 'detected'} assume_endpoints={'on' if assume else 'off'}"
            try:
                engine = Engine(snapshot, **options)
            except TracerError as exc:  # bad input, said in words
                problems += [f"{case}: literal {lit} in error: {exc}" for lit in literals_in(str(exc))]
                continue
            for request in requests_for(snapshot):
                try:
                    data = engine.trace(request).to_dict()
                except TracerError as exc:
                    problems += [f"{request} {case}: literal {lit} in error: {exc}" for lit in literals_in(str(exc))]
                    continue
                problems += check_trace(data, f"{request} {case}")
    assert not problems, "\n".join(problems[:20])
