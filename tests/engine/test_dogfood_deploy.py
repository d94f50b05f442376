"""Dogfood: tracer's own cluster manifests (deploy/kustomize/), traced by tracer's engine.

The snapshot is what a cluster running tracer would hold: the kustomize output (the base as written, and each
overlay rendered by `kubectl kustomize` or `kustomize build` when one is installed), the ingress-nginx install
of examples/vscode-6-green, the TLS Secret the Ingress names, and an AppProfile saying how tracer's web pods
answer (test data: the deploy manifests hold no profile). Requests go through the controller, the Service and
its endpoints to a web pod.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from base64 import b64encode
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tracer.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "deploy" / "kustomize"
INGRESS_NGINX = ROOT / "examples" / "vscode-6-green" / "ingress-nginx.yaml"
HOST = "tracer.example.com"
SESSION = {"Cookie": "sessionid=s3ss10n"}

# How tracer's web server answers, as its URLconf and middleware do: the home page needs a login
# (django.contrib.auth's login_required redirects to LOGIN_URL with ?next=), the login page and the health
# endpoints need none, whitenoise serves /static/.
WEB_PROFILE: dict[str, Any] = {
    "apiVersion": "tracer.dev/v1alpha1",
    "kind": "AppProfile",
    "metadata": {"name": "tracer-web", "namespace": "tracer"},
    "spec": {
        "selector": {"service": "tracer-web"},
        "ports": [8000],
        "routes": [
            {"path": {"exact": "/healthz"}, "methods": ["GET", "HEAD"],
             "respond": {"status": 200, "contentType": "application/json"}},
            {"path": {"exact": "/readyz"}, "methods": ["GET", "HEAD"],
             "respond": {"status": 200, "contentType": "application/json"}},
            {"path": {"prefix": "/static/"}, "methods": ["GET", "HEAD"], "respond": {"status": 200}},
            {"path": {"exact": "/login/"}, "respond": {"status": 200, "contentType": "text/html"}},
            {"path": {"exact": "/"}, "methods": ["GET"], "cookies": {"sessionid": "present"},
             "respond": {"status": 200, "contentType": "text/html",
                         "html": {"assets": ["/static/tracer/app.css", "/static/tracer/htmx.min.js"]}}},
            {"path": {"exact": "/"}, "methods": ["GET"], "respond": {"status": 302, "headers": {"Location": "/login/?next=/"}}},
            {"path": {"prefix": "/api/"}, "methods": ["POST"], "respond": {"status": 202}},
        ],
    },
}


def _kustomize_command() -> list[str] | None:
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build"]
    return None


def _documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


@cache
def base_documents() -> tuple[dict[str, Any], ...]:
    """The base's resources exactly as written, in the order its kustomization lists them."""
    base = KUSTOMIZE / "base"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        docs += _documents((base / name).read_text())
    return tuple(docs)


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    command = _kustomize_command()
    if command is None:
        pytest.skip("neither kubectl nor kustomize is installed: overlays are checked only where one is")
    out = subprocess.run([*command, str(KUSTOMIZE / overlay)], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return tuple(_documents(out.stdout))


@cache
def tls_secret() -> dict[str, Any]:
    """tracer-tls as cert-manager would leave it: a certificate for the host (tracer keeps tls.crt only)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": "tracer-tls", "namespace": "tracer"},
        "data": {"tls.crt": b64encode(pem).decode()},
    }


SOURCES = ["base", "overlays/small", "overlays/production"]


@cache
def engine(source: str) -> Engine:
    deploy = base_documents() if source == "base" else rendered(source)
    nginx = _documents(INGRESS_NGINX.read_text())
    return Engine([*deploy, *nginx, tls_secret(), WEB_PROFILE])


def send(source: str, request: str | dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = engine(source).trace(request).to_dict()["requests"][0]
    return result


def _reached_web_pod(req: dict[str, Any]) -> None:
    assert req["pod"] is not None and req["pod"]["namespace"] == "tracer", req["hops"]
    assert req["pod"]["name"].startswith("tracer-web-")
    assert req["pod"]["port"] == 8000
    assert req["hops"][req["decided_by"]]["component"] == "pod"
    assert [d["code"] for d in req["diagnoses"] if d["severity"] in ("error", "warning")] == []


@pytest.mark.parametrize("source", SOURCES)
def test_signed_in_home_page_reaches_a_web_pod(source: str) -> None:
    req = send(source, {"method": "GET", "url": f"https://{HOST}/", "headers": SESSION})
    assert req["status"] == 200
    _reached_web_pod(req)
    assert (req["route"]["kind"], req["route"]["namespace"], req["route"]["name"]) == ("Ingress", "tracer", "tracer")
    assert req["backend"] == {"namespace": "tracer", "service": "tracer-web", "port": 80}
    # TLS ends at ingress-nginx; the web pods trust X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER in the ConfigMap),
    # which only holds if the controller sets it to https.
    upstream = {k.lower(): v for k, v in req["upstream"]["headers"].items()}
    assert upstream["x-forwarded-proto"] == "https"
    assert upstream["host"] == HOST  # in ALLOWED_HOSTS


@pytest.mark.parametrize("source", SOURCES)
def test_health_endpoint_is_the_apps_not_the_controllers(source: str) -> None:
    # ingress-nginx answers /healthz itself only on its catch-all server; a named host passes it to the app.
    req = send(source, f"GET https://{HOST}/healthz")
    assert req["status"] == 200
    _reached_web_pod(req)
    assert req["upstream"]["path"] == "/healthz"


@pytest.mark.parametrize("source", SOURCES)
def test_signed_out_visitor_is_sent_to_the_login_page(source: str) -> None:
    home = send(source, f"GET https://{HOST}/")
    assert (home["status"], home["response_headers"]["location"]) == (302, "/login/?next=/")
    _reached_web_pod(home)
    login = send(source, f"GET https://{HOST}/login/")
    assert login["status"] == 200
    _reached_web_pod(login)


@pytest.mark.parametrize("source", SOURCES)
def test_plain_http_is_redirected_to_https(source: str) -> None:
    req = send(source, f"GET http://{HOST}/")
    assert req["status"] == 308
    # ingress-nginx drops the request URI's trailing slash in this redirect (the engine's ingress-nginx rules).
    assert req["response_headers"]["location"] in (f"https://{HOST}", f"https://{HOST}/")
    assert req["pod"] is None


@pytest.mark.parametrize("source", SOURCES)
def test_snapshot_uploads_up_to_the_app_limit_pass_the_controller(source: str) -> None:
    # proxy-body-size 64m on the Ingress matches TRACER_MAX_UPLOAD_MB; ingress-nginx's own default is 1m.
    url = f"https://{HOST}/api/v1/snapshots"
    ok = send(source, {"method": "POST", "url": url, "headers": SESSION, "body_bytes": 60 * 1024 * 1024})
    assert ok["status"] == 202
    _reached_web_pod(ok)
    too_big = send(source, {"method": "POST", "url": url, "headers": SESSION, "body_bytes": 65 * 1024 * 1024})
    assert too_big["status"] == 413
    assert too_big["pod"] is None


@pytest.mark.parametrize("source", SOURCES)
def test_the_ingress_has_no_route_problems(source: str) -> None:
    rows = [r for r in engine(source).routes() if r["ingress"] and r["ingress"]["name"] == "tracer"]
    assert [(r["host"], r["path"]) for r in rows] == [(HOST, "/")]
    row = rows[0]
    assert row["problems"] == []
    assert row["installation"] is not None and row["controller"] == "ingress-nginx"
    assert (row["backend"]["namespace"], row["backend"]["service"]) == ("tracer", "tracer-web")
    assert row["tls"]["secret"] == "tracer/tracer-tls"


def test_without_its_certificate_the_controller_serves_its_default_one() -> None:
    # The check above is not vacuous: leave the Secret out and tracer names the problem.
    nginx = _documents(INGRESS_NGINX.read_text())
    req = Engine([*base_documents(), *nginx, WEB_PROFILE]).trace(f"GET https://{HOST}/healthz").to_dict()["requests"][0]
    assert "DEFAULT_CERTIFICATE" in [d["code"] for d in req["diagnoses"]]
    row = next(r for r in Engine([*base_documents(), *nginx]).routes() if r["ingress"] and r["ingress"]["name"] == "tracer")
    assert row["tls"]["status"] != "ok"
