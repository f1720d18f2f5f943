"""The API docs (issue 18): Swagger UI renders from our own files under the portal's CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_under_the_csp_without_other_hosts(page, console, live_server):
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("SIP-Trunk Portal API")
    expect(page.locator('.opblock-summary-path[data-path="/api/v1/trunks"]')).to_be_visible()
    console.assert_clean()
    assert hosts == {live_server.url.split("/")[2]}
