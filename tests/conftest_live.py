"""A live tracer stack for the integration and browser tests (and bench/bench_web.py).

Real parts, all on loopback: a redis-server, ``manage.py migrate`` on a temporary SQLite file (or a given
DATABASE_URL), the web server (runserver or gunicorn) and Celery workers as subprocesses. Each subprocess
runs in its own session so that it and its children (the prefork pool) are stopped, or SIGKILLed, as a
group. Logs go to files in the stack's directory; :meth:`LiveStack.logs` returns their tails for a failure.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
OUTPUT = ROOT / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
METRICS = OUTPUT / "metrics.json"
EXAMPLES = ROOT / "examples"
TIMEOUT = 60.0

# Variables of the caller's environment that must not leak into the stack's processes.
_SCRUB = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "TRACER_TASK_DELAY_SECONDS",
    "TRACER_STALE_SECONDS",
    "TRACER_RUNNING_STALE_SECONDS",
    "TRACER_SWEEP_INTERVAL",
    "CELERY_VISIBILITY_TIMEOUT",
    "DJANGO_SETTINGS_MODULE",
    "TRACER_BASE_URL",
    "SITE_URL",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = TIMEOUT, interval: float = 0.2, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what or predicate!r} (last: {last!r})")


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def record_metrics(section: str, values: Mapping[str, Any]) -> None:
    """Merge ``values`` into test-output/metrics.json under ``section``."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(METRICS.read_text())
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data[section] = {**values, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    METRICS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


# -- processes -----------------------------------------------------------------------------------------


class Proc:
    """A subprocess in its own session (process group), logging to a file."""

    def __init__(self, name: str, cmd: list[str], log: Path, env: Mapping[str, str], cwd: Path = ROOT) -> None:
        self.name = name
        self.cmd = cmd
        self.log = log
        self._log_file = log.open("ab")
        self.popen = subprocess.Popen(
            cmd, cwd=cwd, env=dict(env), stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def group_pids(self) -> list[int]:
        """The pids still in this process group (the Celery pool children included)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[2]) == self.popen.pid and fields[0] != "Z":  # pgrp; skip zombies
                    pids.append(int(entry.name))
        return pids

    def kill(self) -> None:
        """SIGKILL the whole group (the worker and its pool, like a pod being killed) and reap it."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)
        with contextlib.suppress(Exception):
            wait_for(lambda: not self.group_pids(), timeout=10, interval=0.1, what=f"{self.name} group to exit")

    def stop(self, grace: float = 10.0) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        self.signal_group(signal.SIGKILL)  # stragglers in the group (pool children), and a hung parent
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)
        self._log_file.close()

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


# -- HTTP ----------------------------------------------------------------------------------------------


class Response:
    def __init__(self, status: int, body: bytes, headers: Mapping[str, str], url: str) -> None:
        self.status = status
        self.body = body
        self.headers = headers
        self.url = url

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.url} {self.text[:300]!r}>"


def multipart(fields: Mapping[str, str], files: Iterable[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) for a multipart/form-data POST; ``files`` holds (field, filename, content)."""
    boundary = "----tracer" + uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for field, filename, content in files:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebSession:
    """A cookie-keeping browser-like client: log in through the login form, post forms with the CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies)
        self.opener_noredirect = urllib.request.build_opener(cookies, _NoRedirect())

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(
        self, method: str, path: str, data: Mapping[str, str] | None = None, follow: bool = True, timeout: float = 30
    ) -> Response:
        url = path if path.startswith("http") else self.base + path
        body = None
        headers = {"Referer": self.base + "/"}
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        opener = self.opener if follow else self.opener_noredirect
        try:
            with opener.open(req, timeout=timeout) as resp:
                return Response(resp.status, resp.read(), dict(resp.headers), resp.url)
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read(), dict(exc.headers), url)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: Mapping[str, str], **kwargs: Any) -> Response:
        """POST with the CSRF token (fetching a page first when there is no csrftoken cookie yet)."""
        if self.cookie("csrftoken") is None:
            self.get("/login/")
        return self.request("POST", path, {**data, "csrfmiddlewaretoken": self.cookie("csrftoken") or ""}, **kwargs)

    def login(self, username: str, password: str) -> None:
        self.get("/login/")
        resp = self.post_form("/login/", {"username": username, "password": password})
        if self.cookie("sessionid") is None:
            raise AssertionError(f"login as {username} failed: {resp!r}")


# -- the stack -----------------------------------------------------------------------------------------


class LiveStack:
    """Redis + database + web + workers for one test session. Call :meth:`close` (always)."""

    def __init__(
        self,
        workdir: Path,
        database_url: str | None = None,
        server: str = "runserver",
        env: Mapping[str, str] | None = None,
        web_workers: int = 2,
        web_threads: int = 4,
    ) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.server = server
        self.web_workers = web_workers
        self.web_threads = web_threads
        self.redis_port = free_port()
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.database_url = database_url or f"sqlite:///{self.dir / 'db.sqlite3'}"
        self.redis: Proc | None = None
        self.web: Proc | None = None
        self.workers: list[Proc] = []
        self._procs: list[Proc] = []
        self._counter = 0
        base_env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        base_env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "SECRET_KEY": "live-test-" + secrets.token_urlsafe(32),
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "CSRF_TRUSTED_ORIGINS": f"{self.base},http://localhost:{self.web_port}",
                "SECURE_SSL_REDIRECT": "0",
                "SESSION_COOKIE_SECURE": "0",
                "CSRF_COOKIE_SECURE": "0",
                "SECURE_HSTS_SECONDS": "0",
                "TRACER_BASE_URL": self.base,
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "DATABASE_URL": self.database_url,
                "LOG_LEVEL": "INFO",
                # The sweep: frequent in the tests, so a lost task is taken over within seconds.
                "TRACER_SWEEP_INTERVAL": "2",
                "TRACER_STALE_SECONDS": "15",
            }
        )
        base_env.update(env or {})
        self.env = base_env

    # -- processes ---------------------------------------------------------------------------------

    def _spawn(self, name: str, cmd: list[str], env: Mapping[str, str] | None = None) -> Proc:
        self._counter += 1
        proc = Proc(name, cmd, self.dir / f"{self._counter:02d}-{name}.log", {**self.env, **(env or {})})
        self._procs.append(proc)
        return proc

    def manage(self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def start_redis(self) -> Proc:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not on the PATH")
        self.redis = self._spawn(
            "redis",
            [
                exe,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
        )

        def ready() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(64).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(ready, timeout=20, interval=0.05, what="redis-server")
        return self.redis

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.stop()
            wait_for(lambda: not port_open(self.redis_port), timeout=20, what="redis port to close")
            self.redis = None

    def migrate(self) -> None:
        self.manage("migrate", "--noinput")

    def start_web(self) -> Proc:
        if self.server == "gunicorn":
            cmd = [
                PYTHON,
                "-m",
                "gunicorn",
                "tracer.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(self.web_workers),
                # web_threads=0: gunicorn's sync workers, as scripts/run starts them
                *(["--threads", str(self.web_threads), "--worker-class", "gthread"] if self.web_threads else []),
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
            ]
        else:
            cmd = [PYTHON, "manage.py", "runserver", f"127.0.0.1:{self.web_port}", "--noreload", "--insecure"]
        self.web = self._spawn("web", cmd)

        def up() -> bool:
            if not self.web or not self.web.alive():
                raise RuntimeError(f"the web server exited:\n{self.web.tail() if self.web else ''}")
            try:
                return self.get("/login/").status == 200
            except OSError:
                return False

        wait_for(up, timeout=TIMEOUT, interval=0.2, what="the web server")
        return self.web

    def start_worker(
        self, env: Mapping[str, str] | None = None, name: str = "worker", concurrency: int = 1, args: Iterable[str] = ()
    ) -> Proc:
        """A Celery worker; ``args`` adds options such as ``-Q traces.heavy`` or ``-X traces.heavy``."""
        proc = self._spawn(
            name,
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "tracer",
                "worker",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "info",
                "--hostname",
                f"{name}-{self._counter}@%h",
                "--without-gossip",
                "--without-mingle",
                *args,
            ],
            env,
        )
        self.workers.append(proc)

        def ready() -> bool:
            if not proc.alive():
                raise RuntimeError(f"the worker exited:\n{proc.tail()}")
            return " ready." in proc.log_text()

        wait_for(ready, timeout=TIMEOUT, interval=0.2, what="the Celery worker to be ready")
        return proc

    def stop_worker(self, proc: Proc) -> None:
        proc.stop()
        if proc in self.workers:
            self.workers.remove(proc)

    def close(self) -> None:
        for proc in reversed(self._procs):
            with contextlib.suppress(Exception):
                proc.stop(grace=5)

    def logs(self, lines: int = 80) -> str:
        out = []
        for proc in self._procs:
            out.append(f"----- {proc.name} (pid {proc.pid}, {proc.log.name}) -----\n{proc.tail(lines)}")
        return "\n".join(out)

    # -- data --------------------------------------------------------------------------------------

    def create_users(self, users: Mapping[str, str]) -> None:
        code = (
            "import json\nfrom django.contrib.auth import get_user_model\nU = get_user_model()\n"
            f"for name, pw in json.loads({json.dumps(json.dumps(dict(users)))}).items():\n"
            "    U.objects.filter(username=name).exists() or U.objects.create_user(name, name + '@example.com', pw)\n"
        )
        self.shell(code)

    def api_token(self, username: str) -> str:
        out = self.manage("create_api_token", username)
        return out.strip().splitlines()[-1].strip()

    # -- HTTP --------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            resp = conn.getresponse()
            return Response(resp.status, resp.read(), dict(resp.getheaders()), self.base + path)
        finally:
            conn.close()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def api(self, token: str, method: str, path: str, data: Any = None) -> Response:
        headers = {"Authorization": f"Token {token}"}
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        return self.request(method, path, body, headers)

    def upload_snapshot(self, token: str, files: Iterable[Path], name: str, root: Path = EXAMPLES) -> dict[str, Any]:
        items = [
            ("files", str(p.relative_to(root)) if p.is_relative_to(root) else p.name, p.read_bytes()) for p in files
        ]
        body, ctype = multipart({"name": name}, items)
        resp = self.request(
            "POST", "/api/v1/snapshots", body, {"Authorization": f"Token {token}", "Content-Type": ctype}
        )
        assert resp.status == 201, resp
        return dict(resp.json())

    def submit_trace(self, token: str, snapshot: str, url: str, method: str = "GET", **extra: Any) -> Response:
        return self.api(
            token, "POST", "/api/v1/traces", {"snapshot": snapshot, "request": {"method": method, "url": url}, **extra}
        )

    def trace(self, token: str, trace_id: str) -> dict[str, Any]:
        resp = self.api(token, "GET", f"/api/v1/traces/{trace_id}")
        assert resp.status == 200, resp
        return dict(resp.json())

    def wait_state(
        self,
        token: str,
        trace_id: str,
        states: Iterable[str] = ("done", "failed"),
        timeout: float = TIMEOUT,
        interval: float = 0.1,
    ) -> dict[str, Any]:
        wanted = set(states)
        last: dict[str, Any] = {}

        def check() -> dict[str, Any] | None:
            nonlocal last
            last = self.trace(token, trace_id)
            return last if last["state"] in wanted else None

        try:
            return dict(
                wait_for(check, timeout=timeout, interval=interval, what=f"trace {trace_id} in {sorted(wanted)}")
            )
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; last seen: state={last.get('state')} attempts={last.get('attempts')}") from exc


def example_files(folder: str) -> list[Path]:
    return sorted(p for p in (EXAMPLES / folder).rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())


def start_stack(workdir: Path, users: Mapping[str, str], database_url: str | None = None, **kwargs: Any) -> LiveStack:
    """Redis, migrated database, users and the web server; the caller starts workers and closes the stack."""
    stack = LiveStack(workdir, database_url=database_url, **kwargs)
    try:
        stack.start_redis()
        stack.migrate()
        stack.create_users(users)
        stack.start_web()
    except BaseException:
        print(stack.logs())
        stack.close()
        raise
    return stack


OWNER = ("ada", "ada-pw-7Hq2x9")


def measure_on_stack[T](prefix: str, database_url: str | None, measure: Callable[[LiveStack], T]) -> T:
    """A benchmark's run: a fresh stack (the owner, one worker) in a temporary folder, ``measure`` on it, the
    subprocess logs printed when it fails, and the stack closed."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        stack = start_stack(Path(tmp), dict([OWNER]), database_url)
        try:
            stack.start_worker()
            return measure(stack)
        except BaseException:
            print(stack.logs(), file=sys.stderr)
            raise
        finally:
            stack.close()
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def postgres_test_url() -> str | None:
    """The PostgreSQL server the live tests may use (TRACER_TEST_DATABASE_URL or DATABASE_URL), if any."""
    for name in ("TRACER_TEST_DATABASE_URL", "DATABASE_URL"):
        value = os.environ.get(name, "")
        if value.startswith(("postgres://", "postgresql://")):
            return value
    return None


@contextlib.contextmanager
def fresh_postgres_database(server_url: str, prefix: str = "tracer_it") -> Iterator[str]:
    """A new, empty database on the server of ``server_url`` for one test; dropped (forcibly) afterwards."""
    import psycopg  # a requirement: with a PostgreSQL URL given, a missing driver is a failure

    parts = urllib.parse.urlsplit(server_url)
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
