"""A real nginx on a route table of the same shape as bench_engine's synthetic snapshot, loaded with wrk.

Not a test. bench/bench_engine.py uses it to put tracer's route decisions/s next to what nginx itself answers on
the same machine: one ``server`` block per Ingress host, one ``location`` per path as ingress-nginx renders it
(a Prefix path ``/p`` becomes ``location /p/`` plus ``location = /p``; every path of a host in regex mode becomes
``location ~* "^<path>"``, longest first; tracer/engine/dataplanes/ingress_nginx/locations.py), each location
answering ``return 200`` (no upstreams), and a default server answering 404 for unknown hosts, as the
controller's default backend does. Canary Ingresses add no location (ingress-nginx picks the canary in Lua).

nginx runs with one worker process (tracer's figure is one core) on a free loopback port; wrk cycles through the
bench's request mix with a Lua script. Debian's ``nginx-light`` and ``wrk`` are installed with apt-get
(scripts/_setup.sh) when missing.
"""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
USE_REGEX = "nginx.ingress.kubernetes.io/use-regex"
CANARY = "nginx.ingress.kubernetes.io/canary"

# wrk calls done() once with the merged statistics (https://github.com/wg/wrk/blob/master/SCRIPTING).
_LUA = """
local reqs = {}
for line in io.lines("%s") do
  local host, path = line:match("([^\t]*)\t(.*)")
  reqs[#reqs + 1] = wrk.format("GET", path, {Host = host})
end
local started = 0
setup = function(thread)
  thread:set("offset", started * 7919)
  started = started + 1
end
local i = 0
request = function()
  if i == 0 then i = (offset or 0) %% #reqs end
  i = i %% #reqs + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("TRACER-WRK requests=%%d duration_us=%%d status=%%d connect=%%d read=%%d write=%%d timeout=%%d\\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def ensure_tools() -> tuple[str, str]:
    """The nginx and wrk binaries, installed from Debian (apt-get via scripts/_setup.sh) when missing."""
    missing = [pkg for pkg, exe in (("nginx-light", "nginx"), ("wrk", "wrk")) if _which(exe) is None]
    if missing:
        subprocess.run(["bash", "-c", f"source scripts/_setup.sh && apt_install {' '.join(missing)}"], cwd=ROOT,
                       check=True)
    nginx, wrk = _which("nginx"), _which("wrk")
    if nginx is None or wrk is None:
        raise RuntimeError("nginx or wrk is not installed and apt-get could not install them")
    return nginx, wrk


def _which(exe: str) -> str | None:
    return shutil.which(exe) or shutil.which(exe, path="/usr/sbin:/usr/bin")


def _locations(paths: list[tuple[str, str]], regex_mode: bool) -> list[str]:
    """nginx location lines for a host's (path, pathType) list, in ingress-nginx's order (longest first)."""
    ordered = sorted(dict.fromkeys(paths), key=lambda p: -len(p[0].encode()))
    if regex_mode:
        return [f'location ~* "^{path}" {{ return 200; }}' for path, _ in ordered]
    out: list[str] = []
    exact = {path for path, kind in ordered if kind == "Exact"}
    for path, kind in ordered:
        if kind == "Exact":
            out.append(f'location = "{path}" {{ return 200; }}')
        elif path == "/" or path.endswith("/"):
            out.append(f'location "{path}" {{ return 200; }}')
        else:
            out.append(f'location "{path}/" {{ return 200; }}')
            if path not in exact:
                out.append(f'location = "{path}" {{ return 200; }}')
    return out


def route_table(objs: list[dict[str, Any]]) -> dict[str, tuple[bool, list[tuple[str, str]]]]:
    """host -> (regex mode, [(path, pathType)]) from the Ingresses of a synthetic snapshot."""
    hosts: dict[str, tuple[bool, list[tuple[str, str]]]] = {}
    for obj in objs:
        if obj.get("kind") != "Ingress":
            continue
        ann = obj["metadata"].get("annotations") or {}
        if ann.get(CANARY) == "true":
            continue
        regex = ann.get(USE_REGEX) == "true"
        for rule in obj["spec"].get("rules") or []:
            was_regex, paths = hosts.get(rule["host"], (False, []))
            paths.extend((p["path"], p["pathType"]) for p in rule["http"]["paths"])
            hosts[rule["host"]] = (was_regex or regex, paths)
    return hosts


def nginx_conf(objs: list[dict[str, Any]], port: int, workdir: Path) -> str:
    servers = []
    for host, (regex, paths) in route_table(objs).items():
        body = "\n    ".join(_locations(paths, regex))
        servers.append(f"  server {{\n    listen 127.0.0.1:{port};\n    server_name {host};\n    {body}\n  }}")
    temp = "\n".join(f"  {kind}_temp_path {workdir / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""daemon off;
worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  server_names_hash_max_size 131072;
  server_names_hash_bucket_size 128;
{temp}
  server {{
    listen 127.0.0.1:{port} default_server;
    return 404;
  }}
{chr(10).join(servers)}
}}
"""


def wrk_script(requests: list[str], workdir: Path) -> str:
    """A wrk script that cycles through ``requests`` (written beside it as host TAB path lines)."""
    lines = []
    for r in requests:
        url = urlsplit(r.split()[1])
        lines.append(f"{url.hostname}\t{url.path or '/'}\n")
    table = workdir / "requests.tsv"
    table.write_text("".join(lines))
    return _LUA % table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with status {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on port {port} within {timeout:.0f} s")


def _statuses(port: int, requests: list[str]) -> list[int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    for r in requests:
        url = urlsplit(r.split()[1])
        conn.request("GET", url.path or "/", headers={"Host": url.hostname or ""})
        resp = conn.getresponse()
        resp.read()
        out.append(resp.status)
    conn.close()
    return out


def run(objs: list[dict[str, Any]], requests: list[str], tracer_statuses: list[int | None], workdir: Path,
        duration: int = 10, threads: int = 2, connections: int = 20) -> dict[str, Any]:
    """Start nginx on the route table, check it answers the sample as tracer decided, run wrk; nginx's figures."""
    nginx, wrk = ensure_tools()
    port = _free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_conf(objs, port, workdir))
    script = workdir / "requests.lua"
    script.write_text(wrk_script(requests, workdir))
    check = subprocess.run([nginx, "-t", "-q", "-c", str(conf), "-p", str(workdir)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejected the generated configuration: {check.stderr.strip()}")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(workdir)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, proc)
        sample = requests[: len(tracer_statuses)]
        answered = _statuses(port, sample)
        agree = sum(1 for a, b in zip(answered, tracer_statuses, strict=True) if a == b)
        cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", str(script), f"http://127.0.0.1:{port}/"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    finally:
        proc.terminate()  # SIGTERM: nginx's fast shutdown of the master and its worker
        proc.wait(timeout=30)
    match = re.search(r"^TRACER-WRK (.*)$", out, re.M)
    if match is None:
        raise RuntimeError(f"no statistics from wrk:\n{out}")
    raw = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    seconds = raw["duration_us"] / 1e6
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
    return {
        "nginx": version.removeprefix("nginx version: "),
        "command": f"wrk -t{threads} -c{connections} -d{duration}s, one nginx worker process",
        "servers": len(route_table(objs)),
        "requests_per_s": round(raw["requests"] / seconds) if seconds else 0,
        "not_2xx": raw["status"],
        "socket_errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        "sample_agree": agree,
        "sample_size": len(sample),
    }
