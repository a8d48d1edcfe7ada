"""Canvass settings: one module, driven by environment variables.

Every variable is listed in `.env.example`. Development defaults are safe: SQLite under the
project and DEBUG off unless asked for. A value that cannot be parsed stops start-up with a
message naming the variable, so a typo never silently turns a feature off.
"""

import ipaddress
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from botocore.config import Config
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is convenient in development; real environment variables win over it.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name, default):
    """Parse a boolean strictly: django-environ reads any unknown word as False."""
    raw = env.str(name, default=None)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of: {', '.join(sorted(_TRUE | _FALSE))}."
    )


def env_int(name, default):
    raw = env.str(name, default=None)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


DEBUG = env_bool("DEBUG", False)

DEVELOPMENT_SECRET_KEY = "django-insecure-canvass-development-only-key"
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key but DEBUG is off. Set SECRET_KEY to a long random "
        "value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), or DEBUG=true "
        "for local development."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Addresses of the reverse proxies (NGINX) allowed to tell us the client's address and
# scheme. A request from anywhere else keeps its own REMOTE_ADDR, whatever headers it sends.
# Gunicorn on a Unix socket reports an empty address: only local processes can connect.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1", ""])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "django_guid",
    "accounts",
    "surveys",
    "integrations",
    "dbtools",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "lib.proxy.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "lib.redact.SecretPageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

try:
    DATABASES = {
        "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    }
except (ImproperlyConfigured, ValueError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from None

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections save a connect per request; the health check replaces a
    # connection the server dropped (restart, failover) instead of failing a request on it.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait for each other
        # (up to the timeout) instead of failing with "database is locked" half-way through.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not the shared in-memory database, so tests with several threads get real
    # locking instead of SQLite's shared-cache table locks; one per test run, so two runs
    # at once don't share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"canvass-test-{os.getpid()}.sqlite3")
    }

# Seconds a request waits for one Redis call (cache, rate limit, publishing a task) before
# it carries on without: a fraction of a second, as Redis on a network answers in one ms.
REDIS_DEADLINE = 0.25
try:
    # Default: this process's memory, fine for one process. With more than one worker or
    # node, rate limits and cached structures must be shared: CACHE_URL=redis://host:6379/0
    CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://canvass")}
except (ImproperlyConfigured, ValueError) as exc:
    raise ImproperlyConfigured(f"CACHE_URL could not be parsed: {exc}") from None
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis that is down, unreachable or frozen is a cache miss, and must answer fast:
    # pages are then built from the database and rate limits let requests through
    # (lib/cache.py, lib/ratelimit.py) rather than hold a taker's submission. The socket
    # timeout bounds reads on an open connection too; redis-py retries nothing here.
    CACHES["default"]["BACKEND"] = "lib.cache.FailOpenRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": REDIS_DEADLINE, "socket_timeout": REDIS_DEADLINE}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or client before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Brute-force protection (django-axes): 10 failures lock the account and, separately, the
# client address for an hour, so at most 10 guesses an hour reach any one account. A
# successful log-in clears that account's count, and nothing else. The address is REMOTE_ADDR as
# TrustedProxyMiddleware left it: forged X-Forwarded-For values don't count as new clients.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = 1  # hours; accounts/locked_out.html says "up to an hour"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True  # clears only the account that logged in (accounts/lockout.py)
AXES_HANDLER = "accounts.lockout.AccountResetHandler"
AXES_CLIENT_IP_CALLABLE = "lib.proxy.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Email: the console in development (messages appear in `make run`'s output); SMTP in
# production, e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.com:587
try:
    globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
except (ImproperlyConfigured, ValueError) as exc:
    raise ImproperlyConfigured(f"EMAIL_URL could not be parsed: {exc}") from None
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Canvass <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PASSWORD_RESET_TIMEOUT = int(timedelta(hours=2).total_seconds())  # reset links work once
# Answers accepted per minute from one client address for one survey; more get a 429 page
# and nothing is stored. A classroom behind one address fits comfortably.
SUBMISSIONS_PER_MINUTE = env_int("SUBMISSIONS_PER_MINUTE", 120)
# Changes a taker makes through receipt links (edits, withdrawals, emails), per hour: through
# one link, and through every link from one client address. Past either, a 429 page and
# nothing changes: each change is an event, and a webhook call for each subscriber.
RECEIPT_WRITES_PER_HOUR = env_int("RECEIPT_WRITES_PER_HOUR", 20)
RECEIPT_WRITES_PER_HOUR_PER_CLIENT = env_int("RECEIPT_WRITES_PER_HOUR_PER_CLIENT", 120)
# The sending policy (lib/mail_policy.py) for emails anyone can have sent to an address they
# type: at most this many an hour per recipient address, per survey, per client address and
# for the whole site. Past a cap the email is not sent, and the page says it was.
MAIL_PER_RECIPIENT_PER_HOUR = env_int("MAIL_PER_RECIPIENT_PER_HOUR", 3)
MAIL_PER_SURVEY_PER_HOUR = env_int("MAIL_PER_SURVEY_PER_HOUR", 200)
MAIL_PER_CLIENT_PER_HOUR = env_int("MAIL_PER_CLIENT_PER_HOUR", 30)
MAIL_PER_HOUR = env_int("MAIL_PER_HOUR", 1000)
# An operator can insist on a confirmed address before a survey is started.
REQUIRE_VERIFIED_EMAIL_TO_PUBLISH = env_bool("REQUIRE_VERIFIED_EMAIL_TO_PUBLISH", False)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "surveys:list"
LOGOUT_REDIRECT_URL = "landing"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Survey forms are small; a body larger than this (files aside) is refused with 400 before
# any work is done.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Files takers upload (file questions). UPLOAD_MAX_MB is the one setting the limits come
# from: the largest file a question may take (each question sets its own limit up to it,
# 10 MB by default), and with FILE_QUESTIONS_PER_SURVEY the largest request body, which
# NGINX's client_max_body_size is rendered from (manage.py body_limit).
UPLOAD_MAX_MB = env_int("UPLOAD_MAX_MB", 10)
FILE_QUESTIONS_PER_SURVEY = 5
REQUEST_MAX_BYTES = UPLOAD_MAX_MB * 1024 * 1024 * FILE_QUESTIONS_PER_SURVEY + 2 * (
    DATA_UPLOAD_MAX_MEMORY_SIZE
)
DATA_UPLOAD_MAX_NUMBER_FILES = FILE_QUESTIONS_PER_SURVEY
# Images are re-encoded without their metadata and downscaled to this many pixels on the
# long side; a thumbnail is this small. Pillow refuses images of more pixels than this
# (a decompression bomb: a small file that unpacks to gigabytes).
UPLOAD_IMAGE_MAX_SIDE = env_int("UPLOAD_IMAGE_MAX_SIDE", 2048)
UPLOAD_THUMBNAIL_SIDE = 320
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 50_000_000)

# HTTPS: the site is served over TLS (by NGINX). On by default unless DEBUG; tests and
# plain-HTTP development turn it off.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ping/$"]
SECURE_HSTS_SECONDS = 63072000 if HTTPS else 0  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# __Host- cookies are refused by browsers unless Secure, host-only and Path=/.
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        # Pico CSS draws checkmarks and select arrows as data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# The request id NGINX generates (X-Request-ID) tags every log line of that request; a
# request that didn't come through NGINX gets a fresh id.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
}

# Logs go to stderr. Under Gunicorn, capture_output sends them to its error log, which
# logrotate rotates: one writer per file. A rotating file handler in every worker process
# would rotate the same file several times over and lose lines.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId"},
    },
    "formatters": {
        # Redacting: no secret link (lib/redact.py) reaches a log line.
        "plain": {
            "()": "lib.redact.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s rid=%(correlation_id)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Bad input, CSRF failures, disallowed hosts: always kept.
        "django.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django_guid": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # runserver's request lines (`make run`), redacted like every other line.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "canvass": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["djangorestframework_camel_case.render.CamelCaseJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttles.AnonRateThrottle",
        "api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="300/minute"),
        "user": env.str("API_USER_RATE", default="1200/minute"),
    },
    # 0: the client is REMOTE_ADDR, as TrustedProxyMiddleware settled it. DRF's default
    # would key on the whole X-Forwarded-For header, which a client can change at will.
    "NUM_PROXIES": 0,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Canvass API",
    "DESCRIPTION": "Surveys, their results and public submissions. JSON keys are camelCase.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "CAMELIZE_NAMES": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SurveyStatusEnum": "surveys.models.Survey.Status",
        "ExportStatusEnum": "surveys.models.Export.Status",
    },
}

# Work outside requests (config/celery.py). With a broker, tasks go to Celery workers;
# without one (`make run`, the tests) they run in-process at once.
CELERY_TASK_ALWAYS_EAGER = not env.str("CELERY_BROKER_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it has finished, not when it starts: if its worker dies, the
# broker hands it to another. Every task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged task to another worker after this long: it must be
    # longer than the longest task, or a long export would run twice at once.
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 15 * 60,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# Sending a task while Redis is down gives up quickly instead of holding a request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
HEARTBEAT_SECONDS = 30
EXPORT_SWEEP_SECONDS = env_int("EXPORT_SWEEP_SECONDS", 60)
# Webhooks (integrations/). Deliveries wait at most this long for beat's sweep when the
# message sent at once was lost (or for their retry time).
WEBHOOK_SWEEP_SECONDS = env_int("WEBHOOK_SWEEP_SECONDS", 15)
# Without a broker, a thread of the web process sends them (integrations/sender.py).
WEBHOOK_SEND_IN_PROCESS = env_bool("WEBHOOK_SEND_IN_PROCESS", True)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "config.celery.heartbeat", "schedule": HEARTBEAT_SECONDS},
    "sweep-exports": {"task": "surveys.tasks.sweep_exports", "schedule": EXPORT_SWEEP_SECONDS},
    "purge-expired-responses": {
        "task": "surveys.tasks.purge_expired_responses",
        "schedule": crontab(minute=30),
    },
    "deliver-webhooks": {
        "task": "integrations.tasks.dispatch",
        "schedule": WEBHOOK_SWEEP_SECONDS,
    },
    "pause-failing-webhooks": {
        "task": "integrations.tasks.pause_failing_endpoints",
        "schedule": crontab(minute=5),
    },
    "held-back-summaries": {
        "task": "integrations.tasks.send_held_back_summaries",
        "schedule": crontab(minute=0),
    },
    "daily-digests": {
        "task": "integrations.tasks.send_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    "purge-webhook-logs": {
        "task": "integrations.tasks.purge_old_events",
        "schedule": crontab(hour=3, minute=45),
    },
}

# Webhooks: each attempt is cut off after WEBHOOK_TIMEOUT seconds; a failed one is tried
# again after each of these delays in turn (seconds, with 20% jitter: 30 s, 2 min, 10 min,
# 30 min, 1 h, 2 h, 4 h, 8 h, 16 h; about 32 hours in all), then given up. An endpoint
# failing for WEBHOOK_PAUSE_AFTER_DAYS is paused and its owner told.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
try:
    WEBHOOK_RETRY_SCHEDULE = [
        int(delay)
        for delay in env.list(
            "WEBHOOK_RETRY_SCHEDULE",
            default=["30", "120", "600", "1800", "3600", "7200", "14400", "28800", "57600"],
        )
    ]
except ValueError:
    raise ImproperlyConfigured(
        "WEBHOOK_RETRY_SCHEDULE must be whole seconds, comma-separated."
    ) from None
WEBHOOK_PAUSE_AFTER = timedelta(days=env_int("WEBHOOK_PAUSE_AFTER_DAYS", 3))
# Events and their delivery logs are kept this many days (those still waiting, longer).
WEBHOOK_LOG_DAYS = env_int("WEBHOOK_LOG_DAYS", 30)
# Where webhooks may go besides the public internet (integrations/policy.py): host names
# ("host:port", or "host" for ports 443 and 80 only) and networks the operator trusts,
# e.g. an internal receiver; and whether plain http:// is allowed at all.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
for _host in WEBHOOK_ALLOWED_HOSTS:
    _parts = urlsplit(f"//{_host}")
    try:
        _parts.port  # noqa: B018 - it raises for a port that isn't a number
    except ValueError:
        _parts = None
    if _parts is None or not _parts.hostname or _parts.path:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_HOSTS: {_host!r} is not a host name or host:port."
        )
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
for _network in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_NETWORKS: {_network!r} is not a network."
        ) from None
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
# Emails for each response: at most this many an hour per survey, then one summary.
NOTIFY_EMAILS_PER_HOUR = env_int("NOTIFY_EMAILS_PER_HOUR", 10)

# The site's address, for links in emails sent by workers (no request to take it from).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Every S3 client (private files, uploads, backups): an S3 that accepts connections and
# never answers fails a call in about 18 s (two tries; a try of an upload waits up to two
# 5 s reads), not botocore's 60 s reads tried three times (a fault run saw a backup wait
# 248 s). S3 answers a request, a part's upload included, well within 5 s.
S3_CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}
)

# Private files (exports of responses): never served by NGINX, only through views that
# check who asks. A local folder, or s3://bucket/prefix (credentials as for backups).
PRIVATE_STORAGE = env.str("PRIVATE_STORAGE", default="") or str(BASE_DIR / "private")
PRIVATE_STORAGE_S3_ENDPOINT_URL = env.str("PRIVATE_STORAGE_S3_ENDPOINT_URL", default="")
if PRIVATE_STORAGE.startswith("s3://"):
    _bucket, _, _prefix = PRIVATE_STORAGE.removeprefix("s3://").partition("/")
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "location": _prefix,
            "endpoint_url": PRIVATE_STORAGE_S3_ENDPOINT_URL or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "client_config": S3_CLIENT_CONFIG,
        },
    }
else:
    STORAGES["private"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE, "base_url": None},
    }

# Exports with more answers than this are built by a worker, with progress and an email
# when ready; smaller ones download at once (about two seconds of work at most).
EXPORT_INLINE_MAX_ANSWERS = env_int("EXPORT_INLINE_MAX_ANSWERS", 100_000)
# How long a finished export stays downloadable before it is deleted.
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24)
# A running export whose progress hasn't moved for this long lost its worker: it is sent
# to another (surveys.tasks.sweep_exports).
EXPORT_STALL_SECONDS = env_int("EXPORT_STALL_SECONDS", 5 * 60)

# Backups (manage.py backup_db / restore_db): s3://bucket/prefix or a local folder. S3
# credentials come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables.
BACKUP_DESTINATION = env.str("BACKUP_DESTINATION", default="")
BACKUP_S3_ENDPOINT_URL = env.str("BACKUP_S3_ENDPOINT_URL", default="")
BACKUP_S3_REGION = env.str("BACKUP_S3_REGION", default="")
BACKUP_KEEP_DAILY = env_int("BACKUP_KEEP_DAILY", 7)
BACKUP_KEEP_WEEKLY = env_int("BACKUP_KEEP_WEEKLY", 4)
# With workers, beat runs the daily backup at 03:15 UTC. On a single machine without
# workers, or with the systemd timer in deploy/ instead, set BACKUPS_BY_BEAT=false.
if BACKUP_DESTINATION and env_bool("BACKUPS_BY_BEAT", True):
    CELERY_BEAT_SCHEDULE["backup"] = {
        "task": "dbtools.tasks.backup",
        "schedule": crontab(hour=3, minute=15),
    }

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.05),
    )
