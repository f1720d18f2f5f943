"""Settings for the SIP-Trunk workplace portal, read from environment variables only.

See README.md ("Configuration") for the variables and their defaults.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from portal.env import (
    LOOPBACK,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_seconds,
    env_sip_uri,
    env_str,
    env_token,
    env_url,
)
from portal.settings_logging import logging_settings
from portal.settings_messages import message_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Core: DEBUG only when asked for; without DEBUG a secret key is required.
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is not true.")
    SECRET_KEY = "dev-only-insecure-key-not-for-production-use-7d1f0c2e9a"  # noqa: S105
PORTAL_BASE_URL = env_url("PORTAL_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https"))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [PORTAL_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "portal",
    "trunks",
    "catalog",
    "workplaces",
    "orders",
    "notifications",
    "provisioning",
    "api",
    "webhooks",
    "admins",
    # Two-factor login (TOTP) and its one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # django-ninja: its templates and static files, so the API docs need no CDN.
    "ninja",
    "portal.apps.LoginThrottleConfig",  # django-axes, named in German
    # Only for its translations (German messages of the strength check below).
    "django_zxcvbn_password_validator",
    # Structured logs: a request id on every line of a request and of its tasks.
    "django_structlog",
]

MIDDLEWARE = [
    "portal.metrics_http.RequestMetricsMiddleware",  # first: it times everything below
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.GermanFirstLocaleMiddleware",
    # A lock or statement timeout answers 503 with Retry-After (German, so after the locale).
    "portal.middleware.DatabaseBusyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request_id, user_id, ip on every line of the request (portal/logs_http.py).
    "django_structlog.middlewares.RequestMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # A session that owes the second factor reaches only the code step or the setup.
    "portal.middleware.SecondFactorMiddleware",
    "portal.middleware.DeviceCookieMiddleware",
    # The policy's "forbidden" and "not found" end a page as 403 and 404.
    "portal.middleware.AccessRefusalMiddleware",
    "portal.middleware.NoStoreWhenLoggedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a lockout flagged during the login into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    }
]

# Database: SQLite file by default, PostgreSQL through DATABASE_URL.
# PostgreSQL: how long a statement waits for a lock, how long it may run, how long connecting
# may take (seconds).
DATABASE_LOCK_TIMEOUT = env_seconds("DATABASE_LOCK_TIMEOUT", 5, minimum=0.01, maximum=600)
DATABASE_STATEMENT_TIMEOUT = env_seconds(
    "DATABASE_STATEMENT_TIMEOUT", 30, minimum=0.01, maximum=3600
)
# A request cut short by one of them answers 503 with this Retry-After (seconds).
DATABASE_BUSY_RETRY_AFTER = 10
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1, maximum=60)
# PostgreSQL: connections per process in a psycopg pool (threads of a gthread worker share
# it); 0 keeps one persistent connection per thread, checked before each request.
DATABASE_POOL = env_int("DATABASE_POOL", 0, minimum=0, maximum=64)
_database_url = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be used: {exc}") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASE_POOL:
        raise ImproperlyConfigured("DATABASE_POOL needs PostgreSQL (a postgres:// DATABASE_URL).")
    _database["CONN_MAX_AGE"] = 0
    _name = Path(_database["NAME"])
    if not _name.is_absolute():
        _name = BASE_DIR / _name
    _database["NAME"] = str(_name)
    # A file, not memory, so that worker threads in tests see the same data.
    _database["TEST"] = {"NAME": str(_name.with_name("test-" + _name.name))}
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # Bounded waits: a held lock or a runaway query cancels the statement (the request
    # answers 503, see portal.middleware) instead of holding every worker.
    _lock_ms = round(1000 * DATABASE_LOCK_TIMEOUT)
    _statement_ms = round(1000 * DATABASE_STATEMENT_TIMEOUT)
    _database["OPTIONS"] = {
        **_database.get("OPTIONS", {}),
        "connect_timeout": DATABASE_CONNECT_TIMEOUT,
        "options": f"-c lock_timeout={_lock_ms} -c statement_timeout={_statement_ms}",
    }
    if DATABASE_POOL:  # the pool keeps the connections; Django must not keep its own
        _database.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False)
        _database["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL,
            "timeout": DATABASE_CONNECT_TIMEOUT,
        }
else:
    raise ImproperlyConfigured("DATABASE_URL must be a sqlite:// or postgres:// URL.")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Accounts: our own user model, Argon2 first, login pages of our own.
AUTH_USER_MODEL = "portal.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # Only for the random temporary passwords the portal makes (see portal/hashers.py).
    "portal.hashers.TemporaryPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Strength: zxcvbn estimates how many guesses the password takes (dictionaries, names,
    # keyboard patterns, repetitions); the MyPortal password is also the SIP password.
    {"NAME": "django_zxcvbn_password_validator.ZxcvbnPasswordValidator"},
]
# zxcvbn score 0-4 a password needs; 3 = "safely unguessable" (about 10^10 guesses).
PASSWORD_MINIMAL_STRENGTH = 3
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "manage:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"
# The axes backend only refuses locked-out logins; ours checks the password (Django's model
# backend plus the pending password of "Passwort vergessen" and the temporary passwords' expiry).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "workplaces.myportal.backends.PasswordBackend",
]

# Login throttling (django-axes), for the admin login, MyPortal and "Passwort ändern" alike:
# 5 failures of one username from one address lock that pair for 15 minutes, so an attacker
# elsewhere cannot lock the real user out; 25 failures of one username from any addresses
# together lock that username, so many addresses (a botnet) cannot go on guessing its
# password. Tries during a lockout do not extend it; a success clears that address's count.
# The counts are rows in the database (axes' database handler, extended for the second
# limit), not in a cache: every web process shares them with or without Redis, a failure is
# counted under a row lock, and neither a Redis restart nor eviction forgets a lockout.
AXES_HANDLER = "portal.throttling.LoginThrottlingHandler"
AXES_FAILURE_LIMIT = 5
LOGIN_FAILURES_PER_USERNAME = 25  # read by the handler, not by axes
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
# What the handler counts; axes itself uses this for its log lines and checks.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["username"]]
AXES_RESET_ON_SUCCESS = True
# A successful login leaves a signed device cookie; a try with a valid one for its username is
# judged by that browser's own failures only (AXES_FAILURE_LIMIT within AXES_COOLOFF_TIME,
# counted in the default cache), not by the locks above.
LOGIN_DEVICE_COOKIE_NAME = "portal_device"
LOGIN_DEVICE_COOKIE_AGE = dt.timedelta(days=365)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "portal.access.client_ip"
AXES_USERNAME_CALLABLE = "portal.throttling.client_username"  # fits axes' records
AXES_LOCKOUT_CALLABLE = "portal.views.locked_out"
AXES_VERBOSE = False  # no start-up banner on every manage.py command
# Masked in axes' records of a failed try ("password" always is): "Passwort ändern" counts too.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "current_password",
    "new_password",
    "new_password_repeat",
]
# X-Forwarded-For is believed only from these proxies (addresses or CIDR networks); from
# anyone else a client could choose its own address and never be locked out.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
# Prometheus' /metrics: only from these networks (by the connection's address) or with
# "Authorization: Bearer METRICS_TOKEN"; see portal/metrics_http.py.
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS") or LOOPBACK
METRICS_TOKEN = env_token("METRICS_TOKEN", min_length=24)

# MyPortal "Passwort vergessen": new passwords per username and per address within an hour.
# Without a worker (no REDIS_URL) the request does the work, and every accepted request takes
# at least MIN_SECONDS, so the answer does not tell whether the username exists; with one it
# only hands the username over. Counted in the default cache: Redis with REDIS_URL, else per
# process.
MYPORTAL_RESETS_PER_USERNAME = 3
MYPORTAL_RESETS_PER_ADDRESS = 10
MYPORTAL_RESET_MIN_SECONDS = 0.5
# Whether a username is taken answers for all customers: an admin may have so many usernames
# checked per hour, by "Prüfen" of the list import and by the wizard's check while typing.
# Counted in the default cache, like the limits above.
LISTIMPORT_CHECKS_PER_HOUR = env_int("LISTIMPORT_CHECKS_PER_HOUR", 20, minimum=1, maximum=10_000)
WIZARD_USERNAME_CHECKS_PER_HOUR = env_int(
    "WIZARD_USERNAME_CHECKS_PER_HOUR", 300, minimum=1, maximum=100_000
)
# The JSON API: requests per API key and minute (counted in the default cache, like above).
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 120, minimum=1, maximum=100_000)
# The JSON API: an Idempotency-Key and its first answer are kept at least this many hours.
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24, minimum=24, maximum=24 * 30)
# A temporary password (from SMS or e-mail, first or forgotten) logs in for this many days.
TEMP_PASSWORD_DAYS = env_int("TEMP_PASSWORD_DAYS", 7, minimum=1, maximum=365)
# Provider staff need the second factor (TOTP) in the back office, always outside DEBUG.
STAFF_TWO_FACTOR = not DEBUG
OTP_TOTP_ISSUER = "SIP-Trunk Portal"
# How long the link of an invitation as a customer's admin works.
ADMIN_INVITE_HOURS = env_int("ADMIN_INVITE_HOURS", 72, minimum=1, maximum=24 * 30)

# Language: German first, English second.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates the German way in English too (portal/formats/en/formats.py).
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# Static files: served by whitenoise in production.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: strict CSP without unsafe-inline; secure cookies and HSTS outside DEBUG.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^metrics$"]  # Prometheus on the host scrapes gunicorn's port
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The header only consents to preloading; the domain joins the list when submitted there.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # The TLS proxy's X-Forwarded-Proto says a request came over HTTPS. (Which client sent
    # it is read from X-Forwarded-For only for requests from TRUSTED_PROXIES.)
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Mail and SMS (portal/settings_messages.py): SMTP or MAIL_BACKEND, Twilio or SMS_BACKEND;
# the file outboxes only with DEBUG.
globals().update(message_settings(debug=DEBUG, var_dir=VAR_DIR))
# Delivery retries: exponential backoff with jitter from BASE, capped at MAX seconds.
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 10, maximum=600)
NOTIFICATION_RETRY_MAX_SECONDS = env_int("NOTIFICATION_RETRY_MAX_SECONDS", 300, maximum=600)

# Jobs: Celery on Redis when REDIS_URL is set, else in-process right after commit.
REDIS_URL = env_url("REDIS_URL", None, schemes=("redis", "rediss", "unix"))
# The default cache holds counters that must be shared by all web processes ("Passwort
# vergessen" limits): on Redis when there is one, else in each process's memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": [REDIS_URL],  # a list: Django would split a string at commas
            "KEY_PREFIX": "portal",  # apart from Celery's keys in the same database
            # An unreachable Redis fails the request in seconds instead of holding it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Sessions read from Redis (no query per request), written through to the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# The logged-in user with its customer, kept beside the session (portal/usercache.py): only
# in a cache that every web process shares, so that a change made in one reaches them all.
# Changes drop the copy; the time bounds one whose drop failed (Redis unreachable then).
USER_CACHE_SECONDS = 60 if REDIS_URL else 0
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
# In-process (no Redis): a failing task is logged and marks its order, the request succeeds.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
#: The list import's tasks (5,000 rows into the cart) may run this long; the longest limit.
IMPORT_TASK_TIME_LIMIT = 1800
# With acks_late, Redis hands a task that is not acknowledged within visibility_timeout to
# another worker, even while the first still runs it. So it must exceed the longest time
# limit (a task is killed by then), with room for a worker to pick the task up.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": IMPORT_TASK_TIME_LIMIT + 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hold up a request when Redis is down: the outbox sweep sends later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Celery closes the database connection around every task unless this is set: a new
# PostgreSQL connection per message. Kept instead, and checked as a request's is
# (CONN_MAX_AGE, CONN_HEALTH_CHECKS) by portal.celery before each task.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# SIP registrar: "none" keeps activation local (no SIP server connected); "kamailio" writes
# subscribers and aliases into Kamailio's own PostgreSQL database through the outbox.
PROVISIONING_BACKEND = (env_str("PROVISIONING_BACKEND") or "none").lower()
if PROVISIONING_BACKEND not in ("none", "kamailio"):
    raise ImproperlyConfigured(
        f"PROVISIONING_BACKEND must be none or kamailio, not {PROVISIONING_BACKEND!r}."
    )
KAMAILIO_DATABASE_URL = env_url("KAMAILIO_DATABASE_URL", None, schemes=("postgres", "postgresql"))
KAMAILIO_RPC_URL = env_url("KAMAILIO_RPC_URL", None, schemes=("http", "https"))
# Connect and statement timeout towards Kamailio's database and RPC, in seconds.
KAMAILIO_TIMEOUT = env_int("KAMAILIO_TIMEOUT", 5, minimum=1, maximum=60)
SIP_DOMAIN = (env_str("SIP_DOMAIN") or "").lower()
if SIP_DOMAIN and not re.fullmatch(
    r"(?=.{1,64}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", SIP_DOMAIN
):
    raise ImproperlyConfigured("SIP_DOMAIN must be a host name of at most 64 characters.")
if PROVISIONING_BACKEND == "kamailio" and not (KAMAILIO_DATABASE_URL and SIP_DOMAIN):
    raise ImproperlyConfigured(
        "PROVISIONING_BACKEND=kamailio needs KAMAILIO_DATABASE_URL and SIP_DOMAIN."
    )
# Where SIP clients send their requests, as a SIP URI (sip:sip.example.net;transport=tls);
# empty: sip:<SIP_DOMAIN>. "Telefon einrichten" hands it to the softphone.
SIP_PROXY = env_sip_uri("SIP_PROXY")
# "Telefon einrichten": how long a one-time code is valid, and how many fetches of the
# provisioning link one address may make in PHONE_SETUP_WINDOW_SECONDS (default cache).
PHONE_SETUP_MINUTES = env_int("PHONE_SETUP_MINUTES", 15, minimum=1, maximum=24 * 60)
PHONE_SETUP_FETCHES_PER_ADDRESS = 10
PHONE_SETUP_WINDOW_SECONDS = 10 * 60
PROVISIONING_RETRY_BASE_SECONDS = env_int("PROVISIONING_RETRY_BASE_SECONDS", 10, maximum=600)
PROVISIONING_RETRY_MAX_SECONDS = env_int("PROVISIONING_RETRY_MAX_SECONDS", 300, maximum=600)

# Webhooks: the time a customer's endpoint has to answer, the retry backoff (as for messages)
# and the attempts before a delivery fails; plain HTTP to 127.0.0.1/localhost only with DEBUG
# or WEBHOOKS_ALLOW_HTTP_LOOPBACK (development, tests), otherwise HTTPS only.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=60)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 10, maximum=600)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 300, maximum=600)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 12, minimum=1, maximum=50)
WEBHOOKS_ALLOW_HTTP_LOOPBACK = env_bool("WEBHOOKS_ALLOW_HTTP_LOOPBACK", False)
# Dotted path of a function returning {username: E.164 number or None} of the active
# workplaces, for the hourly registrar check (provisioning.tasks.check_registrar); by path,
# since provisioning may not import workplaces.
PROVISIONING_EXPECTED: str | None = "workplaces.services.lifecycle.registrar_expected"

# Wizard drafts: reservations held by an idle draft are released after this many hours.
DRAFT_IDLE_HOURS = env_int("DRAFT_IDLE_HOURS", 24, minimum=1, maximum=24 * 30)

# Logs (portal/settings_logging.py): LOG_FORMAT json or console, LOG_LEVEL, LOG_TRUST_REQUEST_ID.
globals().update(logging_settings(debug=DEBUG))
