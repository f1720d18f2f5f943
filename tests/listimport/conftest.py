"""The list import's tests read its German messages; the browser fixtures of tests/e2e."""

import pytest
from django.utils import translation

from tests.e2e.conftest import browser, console, page  # noqa: F401


@pytest.fixture(autouse=True)
def _german():
    with translation.override("de"):
        yield
