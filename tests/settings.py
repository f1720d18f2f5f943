"""Settings for the test suite: production settings with a test key and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Without DEBUG the settings want real mail and SMS backends. The test runner puts every mailer
# on locmem, so the host is never asked; SMS are kept in memory (below).
os.environ.setdefault("SMTP_HOST", "smtp.invalid")
os.environ.setdefault("SMS_BACKEND", "notifications.sms.LocmemSmsBackend")
# Uploads and username checks are many in tests; the tests of these limits set their own.
os.environ.setdefault("LISTIMPORT_CHECKS_PER_HOUR", "10000")
os.environ.setdefault("WIZARD_USERNAME_CHECKS_PER_HOUR", "10000")

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "portal.hashers.TemporaryPasswordHasher",
]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Serve static files from the apps' folders, as in development, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# One test database per test process, so that parallel runs do not share one.
_db = DATABASES["default"]  # noqa: F405
if _db["ENGINE"].endswith("sqlite3"):
    _db["TEST"]["NAME"] = str(VAR_DIR / f"test-portal-{os.getpid()}.sqlite3")  # noqa: F405
else:
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}

SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
NOTIFICATION_RETRY_BASE_SECONDS = 1

# The back office's second factor is tested where it is the subject (tests/portal/test_two_factor.py).
STAFF_TWO_FACTOR = False
