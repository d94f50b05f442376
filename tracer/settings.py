"""Settings, all from environment variables (see README and docs/api.md). SQLite by default.

Environment:
  DEBUG, SECRET_KEY (or SECRET_KEY_FILE), ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, DATABASE_URL, REDIS_URL,
  SECURE_SSL_REDIRECT, SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE, SECURE_HSTS_SECONDS (secure defaults when
  DEBUG is off; set them to 0 to serve over plain http locally), CELERY_VISIBILITY_TIMEOUT,
  TRACER_STALE_SECONDS, TRACER_TASK_DELAY_SECONDS (test hook), TRACER_MAX_UPLOAD_MB,
  EMAIL_HOST / EMAIL_BACKEND (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL,
  EMAIL_TIMEOUT, DEFAULT_FROM_EMAIL: invitations are e-mailed only when one of the first two is set), TRACER_SIGNUP,
  TRACER_LOGIN_MAX_FAILURES(_PER_IP), TRACER_TOKEN_MAX_FAILURES_PER_IP, TRACER_LOGIN_WINDOW_SECONDS,
  TRACER_TRUSTED_PROXIES (docs/security.md).
  Operations (docs/operations.md): TRACER_LOG_FORMAT, TRACER_METRICS_TOKEN, TRACER_METRICS_PUBLIC,
  PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = env_bool("DEBUG", False)
# Programs that only read files and print, signing nothing (no session, CSRF token or reset link), run without a
# key, with a random one that lives as long as the process: the offline commands (`manage.py trace -f ...` and
# `translate` need no set-up) and the type checker, whose Django plugin loads these settings.
_ARGV = [*sys.argv, "", ""]
_OFFLINE = ((Path(_ARGV[0]).name == "manage.py" and _ARGV[1] in ("trace", "explain", "translate"))
            or "mypy" in sys.modules)
SECRET_KEY = env_secret("SECRET_KEY") or ("dev-insecure-key-only-for-debug-" + "x" * 30 if DEBUG else "")
if not SECRET_KEY:
    if not _OFFLINE:
        # A fixed fallback key would be public: anyone could forge sessions and signed links with it.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off: refusing to start with a publicly known key. Set SECRET_KEY "
            "to a long random string, or SECRET_KEY_FILE to a file holding one (./scripts/run keeps one in "
            ".tracer/secret_key); for local development only, DEBUG=1 runs with a development key."
        )
    SECRET_KEY = secrets.token_urlsafe(50)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute base for links printed outside a request (ensure_demo, API share_url fallback).
TRACER_BASE_URL = (os.environ.get("TRACER_BASE_URL") or os.environ.get("SITE_URL") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "tracer.apps.TracerConfig",
]

MIDDLEWARE = [
    "tracer.logs.RequestLogMiddleware",  # first: its request id and status cover the whole request (JSON logs)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tracer.middleware.ResponseHeadersMiddleware",  # after WhiteNoise and CSP: see tracer/middleware.py
    "tracer.middleware.UploadLimitMiddleware",  # before anything reads the body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tracer.middleware.LoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tracer.middleware.PageGenerationMiddleware",  # after a write, cached whole pages are stale
]

ROOT_URLCONF = "tracer.urls"
WSGI_APPLICATION = "tracer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write the same file: wait for the lock instead of failing. A transaction
    # that reads before it writes cannot wait on the busy timeout when it has to upgrade its lock, so each one
    # takes the write lock at BEGIN (IMMEDIATE); WAL lets readers go on while one writes.
    # https://docs.djangoproject.com/en/6.1/ref/databases/#database-is-locked-errors
    # https://docs.djangoproject.com/en/6.1/ref/databases/#setting-pragma-options
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000",
        }
    )
    # Connections are kept (DB_CONN_MAX_AGE, per thread): opening one runs the PRAGMAs above, a few ms that a
    # cached page view would otherwise spend on every request. WAL lets kept connections read without blocking.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tracer-home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, not manifest: pages still render when collectstatic has not run (tests, runserver).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: large snapshots arrive as files; keep request bodies bounded.
TRACER_MAX_UPLOAD_BYTES = env_int("TRACER_MAX_UPLOAD_MB", 64) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = TRACER_MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The counting handler first: it stops a body once its files pass the limit (tracer/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "tracer.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("TRACER_MAX_UPLOAD_FILES", 1000)

# Security: safe production defaults when DEBUG is off, each overridable by env for a local http run.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")
# Content-Security-Policy on every page (https://docs.djangoproject.com/en/6.1/ref/csp/): scripts and styles
# only from tracer's own static files (no inline script or style anywhere), never framed. docs/security.md.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Log-in throttling (tracer/throttle.py): failures per username, per client address, and of API tokens per
# address, in a fixed window. More per address than per username: a whole office may share one address.
TRACER_LOGIN_MAX_FAILURES = env_int("TRACER_LOGIN_MAX_FAILURES", 5)
TRACER_LOGIN_MAX_FAILURES_PER_IP = env_int("TRACER_LOGIN_MAX_FAILURES_PER_IP", 20)
TRACER_TOKEN_MAX_FAILURES_PER_IP = env_int("TRACER_TOKEN_MAX_FAILURES_PER_IP", 20)
TRACER_LOGIN_WINDOW_SECONDS = env_int("TRACER_LOGIN_WINDOW_SECONDS", 15 * 60)
# Reverse proxies in front of tracer that append to X-Forwarded-For (0: the client is REMOTE_ADDR).
TRACER_TRUSTED_PROXIES = env_int("TRACER_TRUSTED_PROXIES", 0)

# TRACER_LOG_FORMAT=json: one JSON object per line, with the request id, path and status (tracer/logs.py).
TRACER_LOG_FORMAT = (os.environ.get("TRACER_LOG_FORMAT") or "text").strip().lower()
if TRACER_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"TRACER_LOG_FORMAT must be text or json, not {TRACER_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "tracer.logs.JsonFormatter"}},
    "filters": {"request": {"()": "tracer.logs.RequestContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            **({"formatter": "json"} if TRACER_LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "tracer.request": {"level": "INFO"},
        # JSON mode: Django's own console handlers (plain text, DEBUG only) give way to the JSON one.
        **(
            {"django": {"handlers": [], "level": "INFO"}, "django.server": {"handlers": ["console"], "propagate": False}}
            if TRACER_LOG_FORMAT == "json"
            else {}
        ),
    },
}
# /metrics (docs/operations.md): scrapers send TRACER_METRICS_TOKEN as a bearer token; TRACER_METRICS_PUBLIC=1
# opens it (only where the port is not reachable from outside). Neither: the endpoint answers 403.
TRACER_METRICS_TOKEN = env_secret("TRACER_METRICS_TOKEN")
TRACER_METRICS_PUBLIC = env_bool("TRACER_METRICS_PUBLIC", False)
# Probes and scrapers talk plain http to the pod: no redirect to https for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# Celery: Redis is only the broker; the Trace row is the result store.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-url
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
# The default cache (log-in throttle counters, rendered pages): Redis when REDIS_URL is set, so all web processes
# share it; without it (tests, a lone runserver) process memory, where each process counts on its own.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tracer",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tracer"}}
# Rendered results of finished traces (tracer/page_cache.py) live in a cache of their own, so big pages never evict
# the throttle's counters: their own Redis key prefix, or their own process-memory store. TRACER_PAGE_CACHE=0 turns
# it off (bench/bench_web_wrk.py measures both); TRACER_PAGE_CACHE_VERSION, when changed, drops every stored page.
CACHES["pages"] = (
    {**CACHES["default"], "KEY_PREFIX": "tracer-pages"}
    if os.environ.get("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tracer-pages",
          "OPTIONS": {"MAX_ENTRIES": 100}}
)
TRACER_PAGE_CACHE = env_bool("TRACER_PAGE_CACHE", True)
TRACER_PAGE_CACHE_ALIAS = "pages"
TRACER_PAGE_CACHE_SECONDS = env_int("TRACER_PAGE_CACHE_SECONDS", 24 * 3600)  # Redis is the broker too: keep it bounded
TRACER_PAGE_CACHE_MAX_BYTES = env_int("TRACER_PAGE_CACHE_MAX_KB", 2048) * 1024
TRACER_PAGE_CACHE_VERSION = os.environ.get("TRACER_PAGE_CACHE_VERSION", "")
# Whole pages are valid only while every web process sees the same generation counter (tracer/page_cache.py):
# on by default with a shared cache (REDIS_URL), off with process memory unless asked for (one process).
TRACER_PAGE_CACHE_WHOLE = env_bool("TRACER_PAGE_CACHE_WHOLE", bool(os.environ.get("REDIS_URL")))
# A whole trace page (shell included) lives this long at most: it says how long ago the trace was queued.
TRACER_PAGE_CACHE_PAGE_SECONDS = env_int("TRACER_PAGE_CACHE_PAGE_SECONDS", 30)
# Redis hands an unacknowledged task back only after the visibility timeout; keep it short and well above
# the hard time limit so a killed worker's task is redelivered soon (the sweep covers the rest).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 300)
# https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Fail fast when Redis is down so a web request is not held up by publish retries.
    "max_retries": env_int("CELERY_PUBLISH_MAX_RETRIES", 1),
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-serializer
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-acks-late
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Per-workspace fairness (tracer/queue.py): traces go to traces.0..N-1 by a hash of their workspace, and a worker
# consuming several queues takes from them in turn (kombu's Redis transport rotates its queue cycle after every
# message: kombu/transport/redis.py, Channel._brpop_read; queue_order_strategy "round_robin" by default). Traces
# of a snapshot flagged for unbounded regexes, or that used up their budget, go to traces.heavy, which a worker of
# its own serves. A worker without -Q consumes every queue listed here.
# https://docs.celeryq.dev/en/stable/userguide/routing.html
TRACER_TRACE_QUEUES = max(1, env_int("TRACER_TRACE_QUEUES", 4))
TRACER_HEAVY_QUEUE = "traces.heavy"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("celery", *(f"traces.{i}" for i in range(TRACER_TRACE_QUEUES)), TRACER_HEAVY_QUEUE)
]
# Seconds one trace may spend in the engine (all its requests and regexes; tracer/engine/budget.py).
TRACER_TRACE_BUDGET_SECONDS = env_float("TRACER_TRACE_BUDGET_SECONDS", 5.0)
CELERY_TASK_IGNORE_RESULT = True
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-time-limit
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-traces": {"task": "tracer.tasks.requeue_stale_traces_task", "schedule": 60.0},
}

# A trace queued or running for longer than this is re-enqueued by the sweep.
TRACER_STALE_SECONDS = env_int("TRACER_STALE_SECONDS", 60)
# A running trace whose worker went silent for longer than this is taken over (default: past the hard limit).
TRACER_RUNNING_STALE_SECONDS = env_int("TRACER_RUNNING_STALE_SECONDS", CELERY_TASK_TIME_LIMIT + 30)
# How often the worker's background sweep runs (0 disables; `manage.py requeue_stale` does one pass).
TRACER_SWEEP_INTERVAL = env_float("TRACER_SWEEP_INTERVAL", 30.0)
# Test hook: the task sleeps this long before storing its result, so a test can kill the worker mid-task.
TRACER_TASK_DELAY_SECONDS = env_float("TRACER_TASK_DELAY_SECONDS", 0.0)
# How long the trace page and its status poll wait server-side for a young trace to finish (a short long-poll).
TRACER_PAGE_WAIT_SECONDS = env_float("TRACER_PAGE_WAIT_SECONDS", 0.3)
TRACER_STATUS_WAIT_SECONDS = env_float("TRACER_STATUS_WAIT_SECONDS", 0.5)
TRACER_ENGINE_CACHE_SIZE = env_int("TRACER_ENGINE_CACHE_SIZE", 8)

# Workspace invitations are e-mailed through the "default" mailer, defined only when EMAIL_HOST or EMAIL_BACKEND is
# set; without it the workspace page shows each invitation's accept link for the owner to pass on. (MAILERS replaces
# the EMAIL_* settings in Django 6.1, https://docs.djangoproject.com/en/6.1/topics/email/; left undefined, nothing
# is configured and `check` stays quiet, where an empty MAILERS raises mail.W001.)
if os.environ.get("EMAIL_HOST") or os.environ.get("EMAIL_BACKEND"):
    _MAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    # The SMTP backend's options (django.core.mail.backends.smtp.EmailBackend); other backends take none of them.
    _SMTP_OPTIONS = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": env_secret("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
    MAILERS = {
        "default": {
            "BACKEND": _MAIL_BACKEND,
            "OPTIONS": _SMTP_OPTIONS if _MAIL_BACKEND.endswith(".smtp.EmailBackend") else {},
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracer@localhost")
# Someone holding an open invitation may create an account to accept it (/signup/?invite=...); there is no
# sign-up without one. TRACER_SIGNUP=0 turns it off: invitees then need an account made by an admin.
TRACER_SIGNUP = env_bool("TRACER_SIGNUP", True)
