"""No secret on any log line of a whole flow against a real Kamailio: registrar jobs run, the
ha1 values exist, the phone-setup link hands out the account (see
tests/portal/test_logs_secrets.py, whose flow this runs)."""

from __future__ import annotations

import pytest

from tests.log_capture import log_lines  # noqa: F401 - fixture
from tests.portal.test_logs_secrets import scan_whole_flow
from tests.webhooks.conftest import receiver  # noqa: F401 - fixture

pytestmark = pytest.mark.kamailio


def test_no_secret_reaches_any_log_line_with_a_real_registrar(
    transactional_db,
    alice,
    trunk,
    receiver,  # noqa: F811
    log_lines,  # noqa: F811
    settings,
    registrar,
):
    scan_whole_flow(alice, trunk, receiver, log_lines, settings, registrar)
