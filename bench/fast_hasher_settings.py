"""Production settings with the test suite's fast password hasher, for bench/notifications.py.

``--hasher md5`` runs the worker with these, so that the benchmark measures the outbox rather
than Argon2: every password message sets a temporary password, and one Argon2 hash takes longer
than sending the message. ``--hasher argon2`` uses ``portal.settings`` unchanged.
"""

import os

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "portal.hashers.TemporaryPasswordHasher",
]

if os.environ.get("BENCH_PROFILE_DIR"):  # notifications.py --profile
    from bench.worker_profile import install

    install(os.environ["BENCH_PROFILE_DIR"])
