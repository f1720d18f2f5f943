"""The browser fixtures of tests/e2e, for the import's browser test."""

from tests.e2e.conftest import browser, console, page  # noqa: F401
