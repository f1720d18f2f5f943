"""Polling for a condition, for the tests and the helpers they share with bench/."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for[T](condition: Callable[[], T], *, timeout: float = 20, what: str = "") -> T:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.02)
