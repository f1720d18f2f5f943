"""Structured log lines: their format, a request's id, token links cut out."""

from __future__ import annotations

import logging

import pytest
import structlog
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from portal import logs
from portal.settings_logging import logging_settings
from tests.log_capture import log_lines  # noqa: F401 - fixture

PAGE = reverse("portal:login")
TOKEN = "Zq3xT0k3n-" + "a" * 30


def request_lines(captured, request_id: str) -> list[dict]:
    return [line for line in captured.lines() if line.get("request_id") == request_id]


def test_outside_debug_each_line_is_one_json_object_with_the_fields(log_lines, db):  # noqa: F811
    response = Client().get(PAGE)
    logging.getLogger("portal.test").warning("two\nlines %s", "in one")
    try:
        raise ValueError("boom")
    except ValueError:
        logs.get_logger("portal.test").exception("it_failed", step=3)

    lines = log_lines.lines()  # json.loads of each line
    assert len(lines) == len(log_lines.text.splitlines()) >= 4
    for line in lines:
        assert {"timestamp", "level", "logger", "event"} <= line.keys()
        assert line["timestamp"].endswith("Z")
    started, finished = (
        line for line in lines if line["logger"] == "django_structlog.middlewares.request"
    )
    assert (started["event"], finished["event"]) == ("request_started", "request_finished")
    assert finished["code"] == 200 and finished["request"] == f"GET {PAGE}"
    assert started["level"] == "debug" and finished["level"] == "info"
    assert isinstance(finished["duration_ms"], int)
    assert started["ip"] == finished["ip"] == "127.0.0.1"
    assert started["request_id"] == finished["request_id"] == response["X-Request-ID"]
    assert {"event": "two\nlines in one", "level": "warning"}.items() <= lines[-2].items()
    failed = lines[-1]
    assert (failed["event"], failed["step"], failed["level"]) == ("it_failed", 3, "error")
    assert "ValueError: boom" in failed["exception"]


@pytest.mark.parametrize(
    ("environ", "debug", "expected"),
    [
        ({}, False, "json"),
        ({}, True, "console"),
        ({"LOG_FORMAT": "console"}, False, "console"),
        ({"LOG_FORMAT": "JSON"}, True, "json"),
    ],
)
def test_log_format_defaults_by_debug_and_can_be_chosen(monkeypatch, environ, debug, expected):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    values = logging_settings(debug=debug)
    assert values["LOG_FORMAT"] == expected
    renderer = values["LOGGING"]["formatters"]["structured"]["processors"][-1]
    wanted = (
        structlog.processors.JSONRenderer if expected == "json" else structlog.dev.ConsoleRenderer
    )
    assert isinstance(renderer, wanted)


@pytest.mark.parametrize(("name", "value"), [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "LOUD")])
def test_a_wrong_log_setting_stops_start_up_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=f"^{name} must"):
        logging_settings(debug=False)


def test_the_log_level_is_kept_and_sql_debug_lines_stay_off(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    config = logging_settings(debug=True)["LOGGING"]
    assert config["root"]["level"] == "DEBUG"
    assert config["loggers"]["django.db.backends"]["level"] == logging.INFO
    assert config["loggers"]["django.template"]["level"] == logging.INFO
    assert config["loggers"]["urllib3"]["level"] == logging.INFO
    for name in ("twilio.http_client", "celery.app.trace", "celery.worker.strategy"):
        assert config["loggers"][name]["level"] == logging.WARNING


def test_console_lines_show_no_variables_of_a_traceback():
    renderer = logs.renderers("console")[-1]
    secret = "s3cr3t-in-a-frame"  # noqa: F841 - what a rich traceback would show
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        line = renderer(None, "error", {"event": "failed", "exc_info": exc})
    assert "RuntimeError: boom" in line and "s3cr3t-in-a-frame" not in line


# --- the request id ----------------------------------------------------------------------------


def test_an_x_request_id_is_not_believed_by_default(log_lines, db, settings):  # noqa: F811
    settings.TRUSTED_PROXIES = logs_networks("127.0.0.1/32")
    response = Client().get(PAGE, HTTP_X_REQUEST_ID="chosen-by-the-client")
    assert response["X-Request-ID"] != "chosen-by-the-client"
    assert not request_lines(log_lines, "chosen-by-the-client")
    assert len(request_lines(log_lines, response["X-Request-ID"])) == 2


def logs_networks(*networks: str):
    import ipaddress

    return tuple(ipaddress.ip_network(n) for n in networks)


@pytest.mark.parametrize(
    ("proxies", "header", "believed"),
    [
        (("127.0.0.1/32",), "lb-7f3a.42_x", True),
        (("10.0.0.0/8",), "lb-7f3a.42_x", False),  # not from a trusted proxy
        (("127.0.0.1/32",), "a" * 65, False),  # longer than a row keeps
        (("127.0.0.1/32",), "two words", False),
    ],
)
def test_with_log_trust_request_id_a_trusted_proxys_id_is_used(
    log_lines,  # noqa: F811
    db,
    settings,
    proxies,
    header,
    believed,
):
    settings.LOG_TRUST_REQUEST_ID = True
    settings.TRUSTED_PROXIES = logs_networks(*proxies)
    response = Client().get(PAGE, HTTP_X_REQUEST_ID=header)
    assert (response["X-Request-ID"] == header) is believed
    assert len(request_lines(log_lines, response["X-Request-ID"])) == 2


# --- token links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        reverse("invitation:open", args=[TOKEN]),
        reverse("myportal:phone_provision", kwargs={"token": TOKEN}),
    ],
)
def test_a_token_in_a_links_path_is_on_no_line(log_lines, db, url):  # noqa: F811
    Client().get(url, secure=True)
    logging.getLogger("django.request").warning("Not Found: %s", url)
    assert TOKEN not in log_lines.text
    finished = log_lines.events("request_finished")[0]
    assert finished["request"] == "GET " + url.replace(TOKEN, logs.REDACTED)
    assert log_lines.lines()[-1]["event"] == "Not Found: " + url.replace(TOKEN, logs.REDACTED)


def test_the_redacted_prefixes_are_the_urlconfs_token_links():
    for url in (
        reverse("invitation:open", args=["x"]),
        reverse("myportal:phone_provision", kwargs={"token": "x"}),
    ):
        assert logs.redact_text(url) != url


# --- the context -------------------------------------------------------------------------------


def test_a_scoped_function_leaves_the_context_as_it_found_it():
    structlog.contextvars.clear_contextvars()
    logs.bind(request_id="r-1")

    @logs.scoped
    def work():
        logs.bind(order_code="o-1", request_id="r-2")
        raise RuntimeError

    with pytest.raises(RuntimeError):
        work()
    assert structlog.contextvars.get_contextvars() == {"request_id": "r-1"}
    structlog.contextvars.clear_contextvars()


def test_a_requests_lines_name_its_user_once_it_is_loaded(log_lines, alice_client, alice):  # noqa: F811
    alice_client.get(reverse("manage:dashboard"))
    alice_client.get(reverse("portal:healthz"))  # loads no user: names none

    dashboard, healthz = log_lines.events("request_finished")
    assert dashboard["user_id"] == alice.pk
    assert "user_id" not in healthz


def test_a_task_published_while_a_row_is_processed_takes_the_request_not_the_row_id():
    from types import SimpleNamespace

    from django_structlog.celery.signals import modify_context_before_task_publish

    import portal.celery  # noqa: F401 - its receiver

    logs.bind_row(SimpleNamespace(request_id="r-1", order_code="o-1"), registrar_job_id=5)
    context = structlog.contextvars.get_contextvars()
    modify_context_before_task_publish.send(
        sender=None, context=context, task_routing_key="celery", task_properties={}
    )
    assert context == {"request_id": "r-1", "order_code": "o-1"}
    structlog.contextvars.clear_contextvars()
