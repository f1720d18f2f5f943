"""Production settings with the test suite's fast password hasher, for bench/notifications.py.

``--hasher md5`` (the default) runs the worker with these; ``--hasher argon2`` uses
``portal.settings`` unchanged. Temporary passwords are hashed with their own hasher
(``portal.hashers.TemporaryPasswordHasher``) under both.
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
