"""Static checks of the container recipe (Containerfile) and the cluster manifests (deploy/kustomize/).

No image is built here and nothing is applied to a cluster: the checks read the files. Overlays and components
are rendered with `kubectl kustomize` (or `kustomize build`) when one is installed; the rest runs everywhere.
Tracing requests through the manifests is tests/engine/test_dogfood_deploy.py.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTAINERFILE = ROOT / "Containerfile"
KUSTOMIZE = ROOT / "deploy" / "kustomize"
KUSTOMIZATIONS = sorted(p.parent for p in KUSTOMIZE.rglob("kustomization.yaml"))
OVERLAYS = sorted(p.name for p in (KUSTOMIZE / "overlays").iterdir() if p.is_dir())
SECRET_NAMES = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PASSWORD", "TOKEN")
# What the application reads at run time, relative to the repository root.
RUNTIME_PATHS = ("manage.py", "requirements.txt", "tracer", "templates", "static", "docs", "examples")


# ---- Containerfile -----------------------------------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comment lines dropped, as a builder reads them."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "the Containerfile ends inside a continued line"
    return out


def stages(ins: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The build stages, each from its FROM on (ARGs before the first FROM are left out)."""
    out: list[list[tuple[str, str]]] = []
    for word, rest in ins:
        if word == "FROM":
            out.append([])
        if out:
            out[-1].append((word, rest))
    return out


def base_image(ins: list[tuple[str, str]], reference: str) -> str:
    """A FROM reference with global ARG defaults substituted (`${PYTHON_IMAGE}`)."""
    defaults: dict[str, str] = {}
    for word, rest in ins:
        if word == "FROM":
            break
        if word == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            defaults[name.strip()] = value.strip()
    return re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), reference)


@pytest.fixture(scope="module")
def recipe() -> list[tuple[str, str]]:
    return instructions(CONTAINERFILE.read_text())


def test_base_images_are_python_312_slim_with_a_pinned_version(recipe: list[tuple[str, str]]) -> None:
    names: set[str] = set()
    froms = [rest.split()[0] for word, rest in recipe if word == "FROM"]
    assert len(froms) >= 2, "multi-stage: a build stage and a run stage"
    for ref in froms:
        if ref in names:  # FROM an earlier stage
            continue
        image = base_image(recipe, ref)
        # A full version and a variant: python:3.12.N-slim[-debian], never a moving tag such as 3.12-slim or latest.
        assert re.fullmatch(r"(docker\.io/library/)?python:3\.12\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), image
    for word, rest in recipe:
        if word == "FROM" and " AS " in rest.upper():
            names.add(rest.split()[-1])


def test_runs_as_a_fixed_non_root_user(recipe: list[tuple[str, str]]) -> None:
    final = stages(recipe)[-1]
    users = [rest for word, rest in final if word == "USER"]
    assert users, "the run stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0, "numeric, so runAsNonRoot can verify it"
    assert not gid or (gid.isdigit() and int(gid) > 0)
    assert uid == str(manifest_uid())


def test_no_remote_add_and_no_baked_secrets(recipe: list[tuple[str, str]]) -> None:
    for word, rest in recipe:
        assert not (word == "ADD" and re.search(r"\b(https?|git)://|\.git\b", rest)), f"ADD of a remote source: {rest}"
        if word in ("ENV", "ARG", "LABEL"):
            for name in SECRET_NAMES:
                assert name not in rest.upper(), f"{word} {rest} would keep a secret in the image"


def test_static_files_are_collected_at_build_time(recipe: list[tuple[str, str]]) -> None:
    runs = [rest for word, rest in stages(recipe)[0] if word == "RUN"]
    assert any("manage.py collectstatic" in r and "--noinput" in r for r in runs)
    # The collected files reach the run stage (STATIC_ROOT is /app/staticfiles).
    assert ("COPY", "--from=build /app /app") in stages(recipe)[-1]


def test_commands_work_on_a_read_only_root_filesystem(recipe: list[tuple[str, str]]) -> None:
    final = stages(recipe)[-1]
    cmd = next(rest for word, rest in reversed(final) if word == "CMD")
    argv = yaml.safe_load(cmd)  # the exec form is a JSON array
    assert argv[0] == "gunicorn" and "tracer.wsgi:application" in argv
    # gunicorn's heartbeat files go to the /tmp emptyDir; its control socket would be made under $HOME.
    assert argv[argv.index("--worker-tmp-dir") + 1] == "/tmp"
    assert "--no-control-socket" in argv
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "TMPDIR=/tmp" in env


def test_healthcheck_asks_healthz(recipe: list[tuple[str, str]]) -> None:
    checks = [rest for word, rest in stages(recipe)[-1] if word == "HEALTHCHECK"]
    assert len(checks) == 1 and "/healthz" in checks[0] and "CMD" in checks[0]
    assert "'Host': 'localhost'" in checks[0]
    assert "localhost" in configmap()["ALLOWED_HOSTS"].split(",")


def test_everything_the_app_reads_is_copied_and_not_ignored(recipe: list[tuple[str, str]]) -> None:
    copied: set[str] = set()
    for word, rest in stages(recipe)[0]:
        if word == "COPY" and not rest.startswith("--from"):
            copied.update(p.rstrip("/") for p in shlex.split(rest)[:-1])
    assert set(RUNTIME_PATHS) <= copied
    for ignore in (".containerignore", ".dockerignore"):
        patterns = [ln for ln in (ROOT / ignore).read_text().splitlines() if ln and not ln.startswith("#")]
        assert not set(RUNTIME_PATHS) & set(patterns), ignore
        # Local state that may hold secrets never enters the build context.
        assert {".git", ".venv", ".tracer", "db.sqlite3"} <= set(patterns), ignore
    strip = lambda name: [ln for ln in (ROOT / name).read_text().splitlines() if not ln.startswith("#")]  # noqa: E731
    assert strip(".containerignore") == strip(".dockerignore")


# ---- kustomize ---------------------------------------------------------------------------------------------------


def load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def base_objects() -> list[dict[str, Any]]:
    base = KUSTOMIZE / "base"
    return [d for name in yaml.safe_load((base / "kustomization.yaml").read_text())["resources"] for d in load(base / name)]


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def configmap() -> dict[str, str]:
    data: dict[str, str] = find(base_objects(), "ConfigMap", "tracer-config")["data"]
    return data


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield d["metadata"]["name"], d["spec"]["template"]["spec"]


def manifest_uid() -> int:
    uids = {spec["securityContext"]["runAsUser"] for _, spec in pod_specs(base_objects())}
    assert len(uids) == 1, uids
    return int(uids.pop())


@pytest.mark.parametrize("folder", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(KUSTOMIZE)))
def test_every_file_a_kustomization_names_exists_and_parses(folder: Path) -> None:
    k = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert k["kind"] in ("Kustomization", "Component")
    named = [*k.get("resources", []), *k.get("components", [])]
    named += [p["path"] for p in k.get("patches", []) if "path" in p]
    assert named
    for entry in named:
        target = (folder / entry).resolve()
        assert target.exists(), f"{folder.name}/kustomization.yaml names {entry}, which does not exist"
        if target.is_dir():
            assert (target / "kustomization.yaml").is_file(), entry
            continue
        for doc in load(target):
            assert {"apiVersion", "kind", "metadata"} <= doc.keys(), f"{entry}: {doc}"
            assert doc["metadata"].get("name"), entry
    for p in k.get("patches", []):
        assert "path" in p or ("patch" in p and "target" in p)


def test_every_pod_is_locked_down() -> None:
    specs = dict(pod_specs(base_objects()))
    assert set(specs) == {"tracer-web", "tracer-worker", "tracer-worker-heavy", "tracer-migrate"}
    for name, spec in specs.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        tmp = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, (name, c["name"])
            assert sc["allowPrivilegeEscalation"] is False, (name, c["name"])
            assert sc["capabilities"]["drop"] == ["ALL"], (name, c["name"])
            assert {"cpu", "memory"} <= c["resources"]["requests"].keys() <= c["resources"]["limits"].keys()
            # The one writable path, on an emptyDir.
            assert any(m["mountPath"] == "/tmp" and m["name"] in tmp for m in c["volumeMounts"]), (name, c["name"])


# Values that wire a pod to its own volumes and ports, not configuration: literal in the Deployment.
POD_WIRING = {"PROMETHEUS_MULTIPROC_DIR", "TRACER_WORKER_METRICS_PORT"}


def test_secrets_come_from_the_secret_only() -> None:
    data = configmap()
    for key in data:
        assert not any(s in key for s in SECRET_NAMES), f"ConfigMap key {key} should be in the Secret"
    for name, spec in pod_specs(base_objects()):
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            defined = set(data)
            for e in c.get("env", []):
                if "value" in e and e["name"] in POD_WIRING:
                    assert not any(s in e["name"] for s in SECRET_NAMES)
                elif "value" in e:
                    # Only references to variables defined before it (the kubelet expands no others).
                    refs = re.findall(r"\$\((\w+)\)", e["value"])
                    assert refs and re.fullmatch(r"(\$\(\w+\)|,)+", e["value"]), (name, e)
                    assert set(refs) <= defined, (name, e)
                elif "fieldRef" in e["valueFrom"]:
                    assert e["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
                else:
                    ref = e["valueFrom"]["secretKeyRef"]
                    assert (ref["name"], ref["key"]) == ("tracer-secrets", e["name"])
                defined.add(e["name"])
            wanted = {"SECRET_KEY", "DATABASE_URL"} | ({"REDIS_URL"} if c in spec["containers"] else set())
            assert wanted <= {e["name"] for e in c.get("env", [])}, (name, c["name"])


def test_web_probes_and_their_headers() -> None:
    web = dict(pod_specs(base_objects()))["tracer-web"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    allowed = configmap()["ALLOWED_HOSTS"].split(",")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = web[probe]["httpGet"]
        assert get["port"] == "http"
        headers = {h["name"]: h["value"] for h in get["httpHeaders"]}
        assert headers["Host"] in allowed, probe
        assert headers["X-Forwarded-Proto"] == "https" and configmap()["SECURE_PROXY_SSL_HEADER"] == "1", probe
    assert web["ports"] == [{"name": "http", "containerPort": 8000}]
    # Scrapers of /metrics reach a pod by its IP, which the pod adds to the ConfigMap's hosts.
    env = [e["name"] for e in web["env"]]
    assert env.index("POD_IP") < env.index("ALLOWED_HOSTS")
    assert web["env"][env.index("ALLOWED_HOSTS")]["value"] == "$(ALLOWED_HOSTS),$(POD_IP)"


def test_web_and_workers_scale_independently_and_budgets_select_them() -> None:
    docs = base_objects()
    deployments = [find(docs, "Deployment", n) for n in ("tracer-web", "tracer-worker", "tracer-worker-heavy")]
    selectors = [yaml.safe_dump(d["spec"]["selector"]) for d in deployments]
    assert len(set(selectors)) == 3
    for deployment in deployments:
        pdb = find(docs, "PodDisruptionBudget", deployment["metadata"]["name"])
        assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
        assert pdb["spec"]["maxUnavailable"] == 1
    job = find(docs, "Job", "tracer-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["python", "manage.py", "migrate", "--noinput"]


def celery_queues() -> tuple[set[str], str]:
    """Every queue the Celery settings define, and the heavy one (tracer/settings.py, tracer/queue.py)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracer.settings")
    from django.conf import settings

    from tracer.celery import app

    queues = {q.name for q in (app.conf.task_queues or [])} or {app.conf.task_default_queue}
    return queues, str(getattr(settings, "TRACER_HEAVY_QUEUE", ""))


def consumed(deployment: dict[str, Any], queues: set[str]) -> set[str]:
    """The queues a `celery worker` container consumes, from its -Q / -X options (neither: all of them)."""
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:4] == ["celery", "-A", "tracer", "worker"]
    picked, excluded = set(queues), set()
    for arg in container["args"]:
        name, _, value = arg.partition("=")
        if name in ("--queues", "-Q"):
            picked = set(value.split(","))
        elif name in ("--exclude-queues", "-X"):
            excluded = set(value.split(","))
    return picked - excluded


def test_workers_consume_every_queue_and_heavy_traces_have_their_own() -> None:
    queues, heavy = celery_queues()
    docs = base_objects()
    light = consumed(find(docs, "Deployment", "tracer-worker"), queues)
    assert light | consumed(find(docs, "Deployment", "tracer-worker-heavy"), queues) == queues
    if heavy:
        assert heavy in queues and heavy not in light
        assert consumed(find(docs, "Deployment", "tracer-worker-heavy"), queues) == {heavy}


def rbac_rules(path: Path) -> dict[str, list[dict[str, Any]]]:
    return {d["metadata"]["name"]: d["rules"] for d in load(path) if d["kind"] == "ClusterRole"}


def test_live_pull_rbac_is_the_read_only_rbac_of_deploy() -> None:
    component = rbac_rules(KUSTOMIZE / "components" / "live-pull" / "rbac.yaml")
    assert component == rbac_rules(ROOT / "deploy" / "rbac-metadata-only.yaml")
    for rules in component.values():
        for rule in rules:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}, rule
    bindings = [d for d in load(KUSTOMIZE / "components" / "live-pull" / "rbac.yaml") if d["kind"] == "ClusterRoleBinding"]
    assert {b["roleRef"]["name"] for b in bindings} == set(component)
    for b in bindings:
        assert b["subjects"] == [{"kind": "ServiceAccount", "name": "tracer-worker", "namespace": "tracer"}]


def keda_queues() -> set[str]:
    docs = load(KUSTOMIZE / "components" / "keda-worker-autoscaling" / "scaledobject.yaml")
    scaled = find(docs, "ScaledObject", "tracer-worker")
    assert scaled["spec"]["scaleTargetRef"] == {"name": "tracer-worker"}
    return {t["metadata"]["listName"] for t in scaled["spec"]["triggers"] if t["type"] == "redis"}


def test_keda_example_watches_the_queues_its_worker_consumes() -> None:
    queues, _ = celery_queues()
    assert keda_queues() == consumed(find(base_objects(), "Deployment", "tracer-worker"), queues)


# ---- rendered with kustomize -------------------------------------------------------------------------------------


def kustomize(folder: Path) -> list[dict[str, Any]]:
    if kubectl := shutil.which("kubectl"):
        command = [kubectl, "kustomize", str(folder)]
    elif binary := shutil.which("kustomize"):
        command = [binary, "build", str(folder)]
    else:
        pytest.skip("neither kubectl nor kustomize is installed")
    out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_render(overlay: str) -> None:
    docs = kustomize(KUSTOMIZE / "overlays" / overlay)
    for d in docs:
        if d["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert d["metadata"]["namespace"] == "tracer", d["metadata"]
    for _, spec in pod_specs(docs):
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            assert re.fullmatch(r"[\w.-]+(:\d+)?/[\w./-]+:[\w.-]+", c["image"]), c["image"]
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Job", "Service", "Ingress", "ConfigMap", "PodDisruptionBudget", "ClusterRole"} <= kinds
    config = find(docs, "ConfigMap", "tracer-config")["data"]
    assert config["TRACER_KUBE_CONTEXTS"] == "in-cluster"
    hosts = {r["host"] for r in find(docs, "Ingress", "tracer")["spec"]["rules"]}
    assert hosts <= set(config["ALLOWED_HOSTS"].split(","))
    worker = find(docs, "Deployment", "tracer-worker")["spec"]["template"]["spec"]
    assert worker["automountServiceAccountToken"] is True
    assert find(docs, "Deployment", "tracer-web")["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keda_component_on_top_of_an_overlay_hands_the_worker_count_to_keda(overlay: str, tmp_path: Path) -> None:
    # As docs/deploy.md says to enable it: an overlay on top of one of ours, here in another namespace.
    rel = os.path.relpath(KUSTOMIZE, tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: tools\n"
        f"resources: [{rel}/overlays/{overlay}]\ncomponents: [{rel}/components/keda-worker-autoscaling]\n"
    )
    docs = kustomize(tmp_path)
    plain = kustomize(KUSTOMIZE / "overlays" / overlay)
    assert "replicas" not in find(docs, "Deployment", "tracer-worker")["spec"]
    for name in ("tracer-web", "tracer-worker-heavy"):
        assert find(docs, "Deployment", name)["spec"]["replicas"] == find(plain, "Deployment", name)["spec"]["replicas"]
    scaled = find(docs, "ScaledObject", "tracer-worker")
    assert scaled["metadata"]["namespace"] == "tools"
    assert {t["authenticationRef"]["name"] for t in scaled["spec"]["triggers"]} == {"tracer-redis"}
    assert find(docs, "TriggerAuthentication", "tracer-redis")["metadata"]["namespace"] == "tools"
    binding = find(docs, "ClusterRoleBinding", "tracer-worker-snapshot")
    assert binding["subjects"][0]["namespace"] == "tools"  # follows the namespace the overlay picks
