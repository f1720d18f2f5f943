"""Production settings for bench/soak.py: the test suite's fast hasher, shorter task limits.

* The password hasher of bench/fast_hasher_settings.py: every password message sets a
  temporary password, and thousands of Argon2 hashes would measure the hasher (the admins
  get MD5 hashes too; Argon2 ones are still checked).
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
