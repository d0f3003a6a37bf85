"""Settings for Smart Container, read from the environment (12-factor).

With no environment at all the project runs embedded: a SQLite file, Celery tasks
executed in-process and media on local disk under ``var/``.  ``DATABASE_URL`` switches
to PostgreSQL and ``REDIS_URL`` to a Redis broker, result backend and cache; nothing
else in the code path changes.  Every variable is listed in the README.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").is_file() else None

VAR_DIR = Path(env("SC_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key() -> str:
    """A per-install key kept in var/, so the embedded default needs no setup yet never
    ships a key that is the same on every machine."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Server mode: any sign of a real deployment.  It refuses to start without the settings every
# server process needs (checked at the end of this file); the embedded default needs none.
SERVER_MODE_BECAUSE = [
    reason
    for reason, present in (
        ("DATABASE_URL is set", bool(os.environ.get("DATABASE_URL"))),
        ("REDIS_URL is set", bool(os.environ.get("REDIS_URL"))),
        (
            "DJANGO_ALLOWED_HOSTS is set and DJANGO_DEBUG is off",
            bool(os.environ.get("DJANGO_ALLOWED_HOSTS")) and not DEBUG,
        ),
    )
    if present
]
# Behind a load balancer every web host must sign with the same key, so a server never makes its own.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or ("" if SERVER_MODE_BECAUSE else _embedded_secret_key())
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
if not DEBUG and env.bool("DJANGO_SECURE", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # Ours, in layer order: each app may import only the apps above it (pyproject.toml, import-linter).
    "smart_container",  # the project: settings, API conventions, schedules, rundemo, setup_schedules
    "catalog",
    "recognition",
    "gallery",
    "accounts",
    "orders",
    "payments",
    "reconciliation",
    "checkout",
    "reports",
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the language cookie, else Accept-Language, else LANGUAGE_CODE
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "smart_container.api.DependencyUnavailableMiddleware",
]

ROOT_URLCONF = "smart_container.urls"
WSGI_APPLICATION = "smart_container.wsgi.application"
ASGI_APPLICATION = "smart_container.asgi.application"

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

# --- Internationalisation: stores are in China, so Simplified Chinese first and English on
# request (the language switch, or the browser's / mini-program's Accept-Language).  The
# catalogues are locale/<lang>/LC_MESSAGES/*.po, compiled by `manage.py compilemessages`
# (docs/i18n.md).  Timestamps are stored in UTC.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Logging.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Database: SQLite file by default, anything dj-database-url style via DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# PostgreSQL timeouts (docs/failure-modes.md): connecting, each statement (server side), and the
# TCP connection itself (unacknowledged writes, and keepalive probes while a reply is awaited).
DATABASE_CONNECT_TIMEOUT_SECONDS = env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=3)
DATABASE_STATEMENT_TIMEOUT_SECONDS = env.int("DATABASE_STATEMENT_TIMEOUT_SECONDS", default=30)
DATABASE_TCP_TIMEOUT_SECONDS = env.int("DATABASE_TCP_TIMEOUT_SECONDS", default=10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and in-process tasks share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=max(2, DATABASE_CONNECT_TIMEOUT_SECONDS),  # libpq treats 1 as 2
        options=f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000}",
        tcp_user_timeout=DATABASE_TCP_TIMEOUT_SECONDS * 1000,
        keepalives=1,
        keepalives_idle=max(1, DATABASE_TCP_TIMEOUT_SECONDS // 2),
        keepalives_interval=max(1, DATABASE_TCP_TIMEOUT_SECONDS // 6),
        keepalives_count=3,
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, result backend and cache when REDIS_URL is set; in-process otherwise.
REDIS_URL = env("REDIS_URL", default="")
# Every Redis call (cache, broker, results) gives up after these; a frozen Redis costs a request
# about one timeout and answers 503 (docs/failure-modes.md).  Redis answers in well under 1 ms.
REDIS_CONNECT_TIMEOUT_SECONDS = env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=1.0)
REDIS_SOCKET_TIMEOUT_SECONDS = env.float("REDIS_SOCKET_TIMEOUT_SECONDS", default=1.0)
HEALTHZ_TIMEOUT_SECONDS = env.float("HEALTHZ_TIMEOUT_SECONDS", default=2.0)  # /healthz answers within this
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="sc"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: one queue per kind of work.  Embedded mode runs tasks in-process.
# "memory://localhost/": in-process; the host only spares kombu's "no hostname" warning.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "checkout.tasks.recognize*": {"queue": "recognition"},  # checkout photos: latency-critical
    "gallery.tasks.probe": {"queue": "recognition"},  # searches the live gallery of a recognition worker
    "gallery.tasks.*": {"queue": "gallery"},  # embedding product photos, gallery housekeeping
    "orders.tasks.close_expired_orders": {"queue": "payments"},  # defined in payments.tasks (name kept)
    "payments.tasks.*": {"queue": "payments"},
    "reconciliation.tasks.*": {"queue": "payments"},  # the daily bills: talks to WeChat Pay like payments
    "reports.tasks.*": {"queue": "reports"},
}
# A task is acknowledged when it ends, and put back when its worker process dies under it;
# a worker killed outright leaves its message "unacked" until the visibility timeout, which
# must exceed the longest task (checkout's watchdog re-queues recognitions much sooner).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_VISIBILITY_TIMEOUT_SECONDS = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    "unacked_restore_interval": 10,  # look for overdue unacked messages every 10 s (not every 100 s)
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a web request: two quick retries, then the request answers 503.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT_SECONDS
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# --- Static and media files.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it even before collectstatic
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=12 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=12 * 1024 * 1024)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

# --- REST API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Credentials sent in the Authorization header come first: a bad Bearer token or Basic
        # password is a 401 even when a staff session cookie rides along.
        "accounts.authentication.CustomerTokenAuthentication",  # customers: our bearer tokens
        "rest_framework.authentication.BasicAuthentication",  # staff
        "rest_framework.authentication.SessionAuthentication",  # staff
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "smart_container.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "smart_container.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "smart_container.schema.AutoSchema",
    "EXCEPTION_HANDLER": "smart_container.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, so a number is a number; upload endpoints opt in to MultiPartParser.  Every
    # parser is bounded in size (and JSON in depth): smart_container/parsers.py.
    "DEFAULT_PARSER_CLASSES": ["smart_container.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "wechat_login": env("THROTTLE_WECHAT_LOGIN", default="20/min"),
        "recognize": env("THROTTLE_RECOGNIZE", default="30/min"),
        "order_create": env("THROTTLE_ORDER_CREATE", default="10/min"),
    },
}
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)  # a JSON or form body
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)  # nested arrays and objects
# Proxies whose X-Forwarded-For is believed for throttling (addresses or CIDR networks).
API_TRUSTED_PROXIES = env.list("API_TRUSTED_PROXIES", default=[])
API_MAX_UPLOAD_BYTES = env.int("API_MAX_UPLOAD_BYTES", default=64 * 1024 * 1024)  # a whole multipart body
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "Smart Container API",
    "DESCRIPTION": "Vision self-checkout: catalog, orders, checkout and recognition.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "smart_container.api.schema_paths_without_trailing_slash",
    ],
}

# --- Demo: manage.py seed_demo / rundemo.
SC_DEMO_CATALOG = env("SC_DEMO_CATALOG", default="")  # catalog folder when --catalog is not given
DEMO_ADMIN_USER = env("DEMO_ADMIN_USER", default="admin")
DEMO_ADMIN_PASSWORD = env("DEMO_ADMIN_PASSWORD", default="")  # empty: generated once into var/

# --- Recognition (PP-ShiTuV2).  See the README's variable table and docs/recognition.md.
# Model folders: explicit folders win; otherwise the ones `shitu fetch-models` put in the cache.
SHITU_DET_MODEL_DIR = env("SHITU_DET_MODEL_DIR", default="")
SHITU_REC_MODEL_DIR = env("SHITU_REC_MODEL_DIR", default="")
SHITU_MODEL_CACHE = Path(env("SHITU_MODEL_CACHE", default=str(VAR_DIR / "models")))
SHITU_MODEL_BASE_URL = env("SHITU_MODEL_BASE_URL", default="https://paddle-imagenet-models-name.bj.bcebos.com")
SHITU_DET_SHA256 = env("SHITU_DET_SHA256", default="")  # pin the detector archive (no published checksum)
SHITU_REC_SHA256 = env("SHITU_REC_SHA256", default="")  # overrides the published extractor checksum
SHITU_DOWNLOAD_TIMEOUT = env.float("SHITU_DOWNLOAD_TIMEOUT", default=60.0)
# Inference: backend, CPU threads per predictor, oneDNN, feature-extractor batch chunk.
SHITU_CPU_THREADS = env.int("SHITU_CPU_THREADS", default=2)
SHITU_MKLDNN = env.bool("SHITU_MKLDNN", default=True)
SHITU_BACKEND = env("SHITU_BACKEND", default="auto")  # auto (per model: fastest proven equal) | paddle | openvino
SHITU_DEVICE = env("SHITU_DEVICE", default="cpu")
SHITU_REC_MAX_BATCH = env.int("SHITU_REC_MAX_BATCH", default=32)
SHITU_REC_BF16 = env.bool("SHITU_REC_BF16", default=False)  # bfloat16 extractor on CPUs with AVX512-BF16/AMX
SHITU_WARMUP = env.bool("SHITU_WARMUP", default=True)  # one throw-away pass when the models are built
# Uploaded photos: limits checked before decoding.
SHITU_MAX_IMAGE_BYTES = env.int("SHITU_MAX_IMAGE_BYTES", default=20 * 1024 * 1024)
SHITU_MAX_IMAGE_PIXELS = env.int("SHITU_MAX_IMAGE_PIXELS", default=40_000_000)
SHITU_MIN_IMAGE_SIDE = env.int("SHITU_MIN_IMAGE_SIDE", default=16)
SHITU_DECODE_MAX_SIDE = env.int("SHITU_DECODE_MAX_SIDE", default=0)  # >0: decode big JPEGs at 1/2..1/8 scale
# Checkout post-processing thresholds.
SHITU_DET_SCORE_THRESHOLD = env.float("SHITU_DET_SCORE_THRESHOLD", default=0.5)
SHITU_MAX_DETECTIONS = env.int("SHITU_MAX_DETECTIONS", default=30)
SHITU_MIN_BOX_SIZE = env.float("SHITU_MIN_BOX_SIZE", default=16.0)
SHITU_MATCH_THRESHOLD = env.float("SHITU_MATCH_THRESHOLD", default=0.5)
SHITU_UNSURE_MARGIN = env.float("SHITU_UNSURE_MARGIN", default=0.05)
SHITU_TOP_K = env.int("SHITU_TOP_K", default=5)
SHITU_SEARCH_K = env.int("SHITU_SEARCH_K", default=20)
SHITU_DEDUPE_IOU = env.float("SHITU_DEDUPE_IOU", default=0.5)
# Gallery index.
SHITU_INDEX_PATH = Path(env("SHITU_INDEX_PATH", default=str(VAR_DIR / "gallery" / "index.faiss")))
SHITU_INDEX_KIND = env("SHITU_INDEX_KIND", default="flat")  # flat | hnsw | ivf
SHITU_HNSW_M = env.int("SHITU_HNSW_M", default=32)
SHITU_HNSW_EF_SEARCH = env.int("SHITU_HNSW_EF_SEARCH", default=64)
SHITU_IVF_NLIST = env.int("SHITU_IVF_NLIST", default=0)  # 0: about 4 * sqrt(n)
SHITU_IVF_NPROBE = env.int("SHITU_IVF_NPROBE", default=16)
SHITU_SEARCH_THREADS = env.int("SHITU_SEARCH_THREADS", default=1)  # faiss OpenMP threads per process

# --- Live gallery (see docs/gallery.md).
GALLERY_PRELOAD = env.bool("GALLERY_PRELOAD", default=False)  # recognition workers: load the gallery at start
GALLERY_SYNC_THREAD = env.bool("GALLERY_SYNC_THREAD", default=True)  # background sync of each live index
GALLERY_SYNC_INTERVAL_MS = env.int("GALLERY_SYNC_INTERVAL_MS", default=200)  # head check (cache) period
GALLERY_DB_CHECK_SECONDS = env.float("GALLERY_DB_CHECK_SECONDS", default=5.0)  # head check in the database
GALLERY_SYNC_MAX_BACKOFF_SECONDS = env.float("GALLERY_SYNC_MAX_BACKOFF_SECONDS", default=5.0)  # sync while failing
GALLERY_HEARTBEAT_SECONDS = env.float("GALLERY_HEARTBEAT_SECONDS", default=10.0)
GALLERY_WORKER_ALIVE_SECONDS = env.int("GALLERY_WORKER_ALIVE_SECONDS", default=60)
GALLERY_MAX_INCREMENTAL = env.int("GALLERY_MAX_INCREMENTAL", default=20_000)  # more pending changes: full reload
GALLERY_REQUEUE_AFTER_SECONDS = env.int("GALLERY_REQUEUE_AFTER_SECONDS", default=3600)  # re-embed pass: skip fresh rows
GALLERY_MAINBODY_CROP = env.bool("GALLERY_MAINBODY_CROP", default=False)  # embed the detector's best box
GALLERY_CROP_MIN_SCORE = env.float("GALLERY_CROP_MIN_SCORE", default=0.5)
GALLERY_REPAIR_ON_MISMATCH = env.bool("GALLERY_REPAIR_ON_MISMATCH", default=True)

# --- Orders.
ORDER_PAYMENT_TIMEOUT_SECONDS = env.int("ORDER_PAYMENT_TIMEOUT_SECONDS", default=15 * 60)
# The largest order total: every sum (a cart, an order) stays within it.  WeChat Pay's amounts
# and the payment rows are 32-bit, so it may not pass 2^31 - 1 fen.
MAX_ORDER_TOTAL_FEN = env.int("MAX_ORDER_TOTAL_FEN", default=1_000_000_000)
if not 1 <= MAX_ORDER_TOTAL_FEN <= 2**31 - 1:
    raise ImproperlyConfigured("MAX_ORDER_TOTAL_FEN must be between 1 and 2147483647 fen.")
# Unpaid, unexpired orders one customer may hold at once (each reserves stock until it expires).
ORDERS_MAX_OPEN_PER_CUSTOMER = env.int("ORDERS_MAX_OPEN_PER_CUSTOMER", default=5)

# --- WeChat login and customer tokens (accounts).  docs/checkout.md
WECHAT_APP_ID = env("WECHAT_APP_ID", default="")
WECHAT_APP_SECRET = env("WECHAT_APP_SECRET", default="")
WECHAT_API_BASE_URL = env("WECHAT_API_BASE_URL", default="https://api.weixin.qq.com")
WECHAT_HTTP_TIMEOUT_SECONDS = env.float("WECHAT_HTTP_TIMEOUT_SECONDS", default=5.0)
AUTH_ACCESS_TOKEN_SECONDS = env.int("AUTH_ACCESS_TOKEN_SECONDS", default=15 * 60)
AUTH_REFRESH_TOKEN_SECONDS = env.int("AUTH_REFRESH_TOKEN_SECONDS", default=30 * 24 * 3600)

# --- WeChat Pay v3 (payments).  docs/checkout.md
WECHATPAY_BASE_URL = env("WECHATPAY_BASE_URL", default="https://api.mch.weixin.qq.com")
WECHATPAY_HTTP_TIMEOUT_SECONDS = env.float("WECHATPAY_HTTP_TIMEOUT_SECONDS", default=10.0)  # connect, and per read
WECHATPAY_MCH_ID = env("WECHATPAY_MCH_ID", default="")
WECHATPAY_MCH_CERT_SERIAL_NO = env("WECHATPAY_MCH_CERT_SERIAL_NO", default="")
WECHATPAY_MCH_PRIVATE_KEY_FILE = env("WECHATPAY_MCH_PRIVATE_KEY_FILE", default="")
WECHATPAY_APIV3_KEY = env("WECHATPAY_APIV3_KEY", default="")
# How WeChat Pay's answers and notifications are verified (docs/payments.md, Key modes): "public_key"
# (the two settings below), "certificate" (platform certificates downloaded from WECHATPAY_BASE_URL),
# or both while a merchant migrates; each message is verified with the key its Wechatpay-Serial names.
WECHATPAY_KEY_MODES = env.list("WECHATPAY_KEY_MODES", default=["public_key"])
WECHATPAY_PUBLIC_KEY_FILE = env("WECHATPAY_PUBLIC_KEY_FILE", default="")
WECHATPAY_PUBLIC_KEY_ID = env("WECHATPAY_PUBLIC_KEY_ID", default="")
# Certificate mode: download again on demand (and /healthz warns) when the newest certificate expires
# within this many hours; at most one on-demand download (unknown serial, renewal) per MIN_DOWNLOAD seconds.
WECHATPAY_CERTIFICATE_RENEW_HOURS = env.int("WECHATPAY_CERTIFICATE_RENEW_HOURS", default=72)
WECHATPAY_CERTIFICATE_MIN_DOWNLOAD_SECONDS = env.int("WECHATPAY_CERTIFICATE_MIN_DOWNLOAD_SECONDS", default=60)
WECHATPAY_NOTIFY_URL = env("WECHATPAY_NOTIFY_URL", default="")
WECHATPAY_REFUND_NOTIFY_URL = env("WECHATPAY_REFUND_NOTIFY_URL", default="")
WECHATPAY_NOTIFY_MAX_AGE_SECONDS = env.int("WECHATPAY_NOTIFY_MAX_AGE_SECONDS", default=300)
# payments.tasks calling WeChat after a notification was answered: backoff 10 s, 20 s, ... at most 10 min.
WECHATPAY_TASK_RETRY_SECONDS = env.int("WECHATPAY_TASK_RETRY_SECONDS", default=10)
WECHATPAY_TASK_RETRY_MAX_SECONDS = env.int("WECHATPAY_TASK_RETRY_MAX_SECONDS", default=600)
WECHATPAY_TASK_MAX_RETRIES = env.int("WECHATPAY_TASK_MAX_RETRIES", default=12)
# In server mode these must be set; a process that never takes payments (a test run, a worker
# host without the merchant's keys) says so with WECHATPAY_REQUIRED=false.
WECHATPAY_REQUIRED = env.bool("WECHATPAY_REQUIRED", default=True)
WECHATPAY_REQUIRED_SETTINGS = [
    "WECHAT_APP_ID",
    "WECHATPAY_MCH_ID",
    "WECHATPAY_MCH_CERT_SERIAL_NO",
    "WECHATPAY_MCH_PRIVATE_KEY_FILE",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_NOTIFY_URL",
] + (["WECHATPAY_PUBLIC_KEY_FILE", "WECHATPAY_PUBLIC_KEY_ID"] if "public_key" in WECHATPAY_KEY_MODES else [])

# --- Checkout (the customer's photo -> cart -> order).  docs/checkout.md
CHECKOUT_RECOGNIZE_WAIT_SECONDS = env.float("CHECKOUT_RECOGNIZE_WAIT_SECONDS", default=5.0)
# A recognition always ends (checkout/lifecycle.py, docs/failure-modes.md): the task's time limit,
# re-sent when left untouched this long (a lost message), failed "timeout" at the deadline.
CHECKOUT_RECOGNITION_TIME_LIMIT_SECONDS = env.int("CHECKOUT_RECOGNITION_TIME_LIMIT_SECONDS", default=20)
CHECKOUT_RECOGNITION_REQUEUE_SECONDS = env.int("CHECKOUT_RECOGNITION_REQUEUE_SECONDS", default=15)
CHECKOUT_RECOGNITION_DEADLINE_SECONDS = env.int("CHECKOUT_RECOGNITION_DEADLINE_SECONDS", default=45)
CHECKOUT_MAX_UPLOAD_BYTES = env.int("CHECKOUT_MAX_UPLOAD_BYTES", default=8 * 1024 * 1024)
CHECKOUT_MAX_UPLOAD_PIXELS = env.int("CHECKOUT_MAX_UPLOAD_PIXELS", default=24_000_000)
CHECKOUT_DEFAULT_STORE = env("CHECKOUT_DEFAULT_STORE", default="demo")
# Customers' checkout photos are private: kept outside MEDIA_ROOT (empty: "checkout_photos" beside
# it) and served only by GET /api/v1/checkout/recognitions/{id}/photo, to their customer, to staff,
# or to whoever holds the signed link the API hands out, until it expires (checkout/photos.py).
CHECKOUT_PHOTO_ROOT = env("CHECKOUT_PHOTO_ROOT", default="")
CHECKOUT_PHOTO_LINK_SECONDS = env.int("CHECKOUT_PHOTO_LINK_SECONDS", default=900)
# Development only: the web checkout page offers to complete payments at this fake WeChat Pay.
CHECKOUT_FAKE_PAY_URL = env("CHECKOUT_FAKE_PAY_URL", default="")

# --- Back office and sales reports (docs/backoffice.md).
REPORTS_TIME_ZONE = env("REPORTS_TIME_ZONE", default=TIME_ZONE)  # the stores' local day and hour
BACKOFFICE_LOW_STOCK_THRESHOLD = env.int("BACKOFFICE_LOW_STOCK_THRESHOLD", default=5)
BACKOFFICE_REVIEW_MIN_SCORE = env.float("BACKOFFICE_REVIEW_MIN_SCORE", default=0.6)  # below: needs review

# --- Server mode: refuse to start, with one message, rather than run half-configured.
_unknown_modes = sorted(set(WECHATPAY_KEY_MODES) - {"public_key", "certificate"})
if _unknown_modes or not WECHATPAY_KEY_MODES:
    raise ImproperlyConfigured(
        f"WECHATPAY_KEY_MODES={','.join(WECHATPAY_KEY_MODES)!r}: each mode is public_key or certificate (or both)."
    )
_missing = [name for name in ["DJANGO_SECRET_KEY"] if not SECRET_KEY]
_missing += [name for name in WECHATPAY_REQUIRED_SETTINGS if WECHATPAY_REQUIRED and not globals()[name]]
if SERVER_MODE_BECAUSE and _missing:
    raise ImproperlyConfigured(
        f"Server mode ({'; '.join(SERVER_MODE_BECAUSE)}) needs {', '.join(_missing)}: set them in the environment "
        "or .env (README, Production).  DJANGO_SECRET_KEY must be the same on every host; a process that never "
        "takes payments may set WECHATPAY_REQUIRED=false."
    )
