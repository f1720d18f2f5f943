"""Production settings for bench/soak.py: the test suite's fast hasher, shorter task limits.

* The password hasher of bench/fast_hasher_settings.py: the soak's admins get MD5 hashes,
  so their logins measure the portal rather than Argon2 (Argon2 ones are still checked;
  temporary passwords get their own hasher anyway).
* A task may run 40 s (the production limit is 120 s; the list import keeps its own). The
  outboxes hand a row that a killed worker left "running" to another worker once it has run
  longer than the limit and 30 s, so a soak of a few minutes sees that happen.
"""

from bench.fast_hasher_settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "portal.hashers.TemporaryPasswordHasher",
]
CELERY_TASK_TIME_LIMIT = 40
CELERY_TASK_SOFT_TIME_LIMIT = 30
