"""Configuration comes from the environment; a bad value stops start-up and names the variable."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import (
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_seconds,
    env_str,
    env_url,
)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = ROOT / "portal" / "settings.py"
SETTINGS_FILES = [SETTINGS_FILE, ROOT / "portal" / "settings_messages.py"]
#: Every variable the settings read, so that the test process's own cannot leak in.
READ_BY_SETTINGS = {
    name
    for path in SETTINGS_FILES
    for name in re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', path.read_text())
}

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(45),  # 60 characters
    "ALLOWED_HOSTS": "portal.example.com",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "SMTP_HOST": "smtp.example.com",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
    "TWILIO_FROM": "+4922899999",
}
#: Production without the servers that carry passwords: files would keep them.
WITHOUT_SMTP = {k: v for k, v in PRODUCTION.items() if k != "SMTP_HOST"}
WITHOUT_TWILIO = {k: v for k, v in PRODUCTION.items() if not k.startswith("TWILIO_")}


#: Each scenario: the variables set on top of an environment without any of the portal's.
SCENARIOS: dict[str, dict[str, str]] = {
    "debug only": {"DJANGO_DEBUG": "true"},
    "production": PRODUCTION,
    "debug maybe": {"DJANGO_DEBUG": "maybe"},
    "no secret key": {},
    "empty secret key": {"SECRET_KEY": ""},
    "no secret key, debug false": {"DJANGO_DEBUG": "false"},
    "mysql": {"DJANGO_DEBUG": "true", "DATABASE_URL": "mysql://x"},
    "oracle": {"DJANGO_DEBUG": "true", "DATABASE_URL": "oracle://user@host/db"},
    "database url garbage": {"DJANGO_DEBUG": "true", "DATABASE_URL": "no url at all"},
    "postgres": {"DJANGO_DEBUG": "true", "DATABASE_URL": "postgres://u@db.example.com/portal"},
    "postgres timeouts": {
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": "postgres://u@db.example.com/portal",
        "DATABASE_LOCK_TIMEOUT": "0.5",
        "DATABASE_STATEMENT_TIMEOUT": "60",
    },
    "postgres pool": {
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": "postgres://u@db.example.com/portal",
        "DATABASE_POOL": "8",
    },
    "pool vier": {"DJANGO_DEBUG": "true", "DATABASE_POOL": "vier"},
    "pool 65": {
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": "postgres://u@db.example.com/portal",
        "DATABASE_POOL": "65",
    },
    "pool on sqlite": {"DJANGO_DEBUG": "true", "DATABASE_POOL": "4"},
    "redis": {"DJANGO_DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/3"},
    "lock timeout fuenf": {"DJANGO_DEBUG": "true", "DATABASE_LOCK_TIMEOUT": "fünf"},
    "statement timeout 0": {"DJANGO_DEBUG": "true", "DATABASE_STATEMENT_TIMEOUT": "0"},
    "smtp port abc": {"DJANGO_DEBUG": "true", "SMTP_HOST": "smtp.example.com", "SMTP_PORT": "abc"},
    "smtp port 0": {"DJANGO_DEBUG": "true", "SMTP_HOST": "smtp.example.com", "SMTP_PORT": "0"},
    "smtp port 65536": {
        "DJANGO_DEBUG": "true",
        "SMTP_HOST": "smtp.example.com",
        "SMTP_PORT": "65536",
    },
    "smtp tls ja": {"DJANGO_DEBUG": "true", "SMTP_HOST": "smtp.example.com", "SMTP_TLS": "ja"},
    "base url ftp": {"DJANGO_DEBUG": "true", "PORTAL_BASE_URL": "ftp://x"},
    "base url without scheme": {"DJANGO_DEBUG": "true", "PORTAL_BASE_URL": "portal.example.com"},
    "base url without host": {"DJANGO_DEBUG": "true", "PORTAL_BASE_URL": "https://"},
    "broker amqp": {"DJANGO_DEBUG": "true", "REDIS_URL": "amqp://guest@localhost//"},
    "production without smtp": WITHOUT_SMTP,
    "production without twilio": WITHOUT_TWILIO,
    "production, files named": {
        **WITHOUT_SMTP,
        **WITHOUT_TWILIO,
        "MAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "SMS_BACKEND": "notifications.sms.FileSmsBackend",
    },
    "production, locmem named": {
        **WITHOUT_TWILIO,
        "MAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SMS_BACKEND": "notifications.sms.LocmemSmsBackend",
    },
    "trusted proxies": {**PRODUCTION, "TRUSTED_PROXIES": "127.0.0.1, ::1, 10.0.0.0/8"},
    "trusted proxy host bits": {**PRODUCTION, "TRUSTED_PROXIES": "127.0.0.1,10.0.0.1/8"},
    "trusted proxy name": {**PRODUCTION, "TRUSTED_PROXIES": "proxy.example.com"},
    "metrics token short": {**PRODUCTION, "METRICS_TOKEN": "kurz-geraten"},
    "metrics network name": {**PRODUCTION, "METRICS_ALLOWED_NETWORKS": "prometheus.example"},
    "temp password days 0": {"DJANGO_DEBUG": "true", "TEMP_PASSWORD_DAYS": "0"},
    "temp password days eine woche": {
        "DJANGO_DEBUG": "true",
        "TEMP_PASSWORD_DAYS": "eine Woche",
    },
    "provisioning asterisk": {"DJANGO_DEBUG": "true", "PROVISIONING_BACKEND": "asterisk"},
    "kamailio alone": {"DJANGO_DEBUG": "true", "PROVISIONING_BACKEND": "kamailio"},
    "kamailio mysql": {
        "DJANGO_DEBUG": "true",
        "PROVISIONING_BACKEND": "kamailio",
        "KAMAILIO_DATABASE_URL": "mysql://kamailio@db/kamailio",
        "SIP_DOMAIN": "sip.example.net",
    },
    "kamailio bad domain": {
        "DJANGO_DEBUG": "true",
        "PROVISIONING_BACKEND": "kamailio",
        "KAMAILIO_DATABASE_URL": "postgres://kamailio@db/kamailio",
        "SIP_DOMAIN": "sip example net",
    },
    "kamailio": {
        "DJANGO_DEBUG": "true",
        "PROVISIONING_BACKEND": "kamailio",
        "KAMAILIO_DATABASE_URL": "postgres://kamailio@db/kamailio",
        "SIP_DOMAIN": "sip.example.net",
        "KAMAILIO_RPC_URL": "http://127.0.0.1:5071/RPC",
    },
}

#: Imports the settings once per scenario in one process (importing Celery once is slow).
DRIVER = """
import importlib, json, os, sys
from django.core.exceptions import ImproperlyConfigured
job = json.load(sys.stdin)
outcomes = {}
for name, variables in job["scenarios"].items():
    for key in job["read"]:
        os.environ.pop(key, None)
    os.environ.update(variables)
    sys.modules.pop("portal.settings", None)
    try:
        settings = importlib.import_module("portal.settings")
        outcomes[name] = {
            "ok": True,
            "engine": settings.DATABASES["default"]["ENGINE"],
            "mail": settings.MAILERS["default"]["BACKEND"],
            "sms": settings.SMS_BACKEND,
            "db_options": settings.DATABASES["default"].get("OPTIONS", {}).get("options"),
            "pool": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
            "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
            "session_engine": getattr(settings, "SESSION_ENGINE", "default"),
        }
    except ImproperlyConfigured as error:
        outcomes[name] = {"ok": False, "error": str(error)}
print(json.dumps(outcomes))
"""

CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in READ_BY_SETTINGS}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env.update(variables)
    return env


def spawn(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdin.write(stdin)
    process.stdin.close()
    return process


def finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    returncode = process.wait(timeout=120)
    return subprocess.CompletedProcess(process.args, returncode, stdout, stderr)


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess]:
    """All child processes of this module, started together to keep the suite quick."""
    job = json.dumps({"read": sorted(READ_BY_SETTINGS), "scenarios": SCENARIOS})
    file_mail = {**WITHOUT_SMTP, "MAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}
    started = {
        "scenarios": spawn(["-c", DRIVER], environment(), stdin=job),
        "startup refused": spawn(
            ["-c", "import django; django.setup()"], environment(DJANGO_DEBUG="maybe")
        ),
        "check production": spawn(CHECK_DEPLOY, environment(**PRODUCTION)),
        "check with file mail": spawn(CHECK_DEPLOY, environment(**file_mail)),
    }
    return {name: finish(process) for name, process in started.items()}


@pytest.fixture(scope="module")
def outcomes(runs) -> dict[str, dict]:
    result = runs["scenarios"]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def error_of(outcomes: dict[str, dict], scenario: str) -> str:
    outcome = outcomes[scenario]
    assert not outcome["ok"], f"{scenario} started"
    return outcome["error"]


def test_the_settings_module_reads_the_documented_variables():
    documented = {"DJANGO_DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PORTAL_BASE_URL"}
    documented |= {"SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_TLS"}
    assert documented <= READ_BY_SETTINGS


def test_it_starts_in_debug_without_any_other_variable(outcomes):
    assert outcomes["debug only"]["ok"]
    assert outcomes["debug only"]["engine"] == "django.db.backends.sqlite3"


def test_it_starts_with_production_variables(outcomes):
    assert outcomes["production"]["ok"]


def test_it_uses_postgresql_from_database_url(outcomes):
    assert outcomes["postgres"]["engine"] == "django.db.backends.postgresql"


def test_postgresql_connections_wait_for_locks_and_statements_only_so_long(outcomes):
    assert outcomes["postgres"]["db_options"] == "-c lock_timeout=5000 -c statement_timeout=30000"
    assert outcomes["postgres timeouts"]["db_options"] == (
        "-c lock_timeout=500 -c statement_timeout=60000"
    )


def test_postgresql_connections_stay_per_thread_without_a_pool(outcomes):
    assert outcomes["postgres"]["pool"] is None
    assert outcomes["postgres"]["conn_max_age"] == 60


def test_database_pool_gives_each_process_a_psycopg_pool_of_that_size(outcomes):
    outcome = outcomes["postgres pool"]
    assert outcome["pool"] == {"min_size": 1, "max_size": 8, "timeout": 5}
    # Django refuses persistent connections next to a pool; the timeouts still apply.
    assert outcome["conn_max_age"] == 0
    assert outcome["db_options"] == "-c lock_timeout=5000 -c statement_timeout=30000"


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("pool vier", "DATABASE_POOL must be a whole number, not 'vier'."),
        ("pool 65", "DATABASE_POOL must be between 0 and 64."),
        ("pool on sqlite", "DATABASE_POOL needs PostgreSQL (a postgres:// DATABASE_URL)."),
    ],
)
def test_it_refuses_a_database_pool_it_cannot_use(outcomes, scenario, message):
    assert error_of(outcomes, scenario) == message


def test_sessions_are_read_from_redis_when_there_is_one(outcomes):
    assert outcomes["redis"]["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert outcomes["debug only"]["session_engine"] == "default"  # in the database


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("lock timeout fuenf", "DATABASE_LOCK_TIMEOUT must be a number of seconds, not 'fünf'."),
        (
            "statement timeout 0",
            "DATABASE_STATEMENT_TIMEOUT must be between 0.01 and 3600 seconds.",
        ),
    ],
)
def test_it_refuses_a_database_timeout_that_is_not_a_duration(outcomes, scenario, message):
    assert error_of(outcomes, scenario) == message


def test_it_refuses_a_debug_value_that_is_not_true_or_false(outcomes):
    assert error_of(outcomes, "debug maybe") == "DJANGO_DEBUG must be true or false, not 'maybe'."


def test_a_bad_value_stops_the_start_with_the_variables_name(runs):
    result = runs["startup refused"]
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: "
        "DJANGO_DEBUG must be true or false, not 'maybe'."
    )


@pytest.mark.parametrize(
    "scenario", ["no secret key", "empty secret key", "no secret key, debug false"]
)
def test_it_refuses_to_start_without_a_secret_key_outside_debug(outcomes, scenario):
    assert error_of(outcomes, scenario) == "SECRET_KEY must be set when DJANGO_DEBUG is not true."


@pytest.mark.parametrize("scenario", ["mysql", "oracle", "database url garbage"])
def test_it_refuses_a_database_url_it_cannot_use(outcomes, scenario):
    assert error_of(outcomes, scenario).startswith("DATABASE_URL ")


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("smtp port abc", "SMTP_PORT must be a whole number, not 'abc'."),
        ("smtp port 0", "SMTP_PORT must be between 1 and 65535."),
        ("smtp port 65536", "SMTP_PORT must be between 1 and 65535."),
    ],
)
def test_it_refuses_a_bad_smtp_port(outcomes, scenario, message):
    assert error_of(outcomes, scenario) == message


def test_it_refuses_a_bad_smtp_tls_flag(outcomes):
    assert error_of(outcomes, "smtp tls ja") == "SMTP_TLS must be true or false, not 'ja'."


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("base url ftp", "PORTAL_BASE_URL must be a URL starting with one of: http, https."),
        (
            "base url without scheme",
            "PORTAL_BASE_URL must be a URL starting with one of: http, https.",
        ),
        ("base url without host", "PORTAL_BASE_URL must name a host."),
    ],
)
def test_it_refuses_a_base_url_that_is_not_a_web_address(outcomes, scenario, message):
    assert error_of(outcomes, scenario) == message


def test_it_refuses_a_broker_url_that_is_not_redis(outcomes):
    assert error_of(outcomes, "broker amqp").startswith("REDIS_URL ")


def test_it_starts_with_trusted_proxies(outcomes):
    assert outcomes["trusted proxies"]["ok"]


@pytest.mark.parametrize(
    ("scenario", "entry"),
    [
        ("trusted proxy host bits", "10.0.0.1/8 has host bits set"),
        ("trusted proxy name", "'proxy.example.com' does not appear to be an IPv4 or IPv6 network"),
    ],
)
def test_it_refuses_a_trusted_proxy_that_is_not_an_address_or_network(outcomes, scenario, entry):
    assert error_of(outcomes, scenario) == (
        f"TRUSTED_PROXIES must list IP addresses or networks (CIDR) separated by commas: {entry}."
    )


def test_it_refuses_a_short_metrics_token_and_a_metrics_network_that_is_a_name(outcomes):
    assert error_of(outcomes, "metrics token short") == (
        "METRICS_TOKEN must be at least 24 characters long."
    )
    assert error_of(outcomes, "metrics network name").startswith(
        "METRICS_ALLOWED_NETWORKS must list IP addresses or networks (CIDR)"
    )


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("temp password days 0", "TEMP_PASSWORD_DAYS must be between 1 and 365."),
        (
            "temp password days eine woche",
            "TEMP_PASSWORD_DAYS must be a whole number, not 'eine Woche'.",
        ),
    ],
)
def test_it_refuses_a_temporary_password_lifetime_that_is_not_a_number_of_days(
    outcomes, scenario, message
):
    assert error_of(outcomes, scenario) == message


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("provisioning asterisk", "PROVISIONING_BACKEND must be none or kamailio, not 'asterisk'."),
        (
            "kamailio alone",
            "PROVISIONING_BACKEND=kamailio needs KAMAILIO_DATABASE_URL and SIP_DOMAIN.",
        ),
        (
            "kamailio mysql",
            "KAMAILIO_DATABASE_URL must be a URL starting with one of: postgres, postgresql.",
        ),
        ("kamailio bad domain", "SIP_DOMAIN must be a host name of at most 64 characters."),
    ],
)
def test_it_refuses_a_registrar_it_cannot_use(outcomes, scenario, message):
    assert error_of(outcomes, scenario) == message


def test_it_starts_with_a_kamailio_registrar(outcomes):
    assert outcomes["kamailio"]["ok"]


def test_production_settings_pass_the_deployment_checks_without_warnings(runs):
    result = runs["check production"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deployment_checks_fail_when_production_names_the_file_mail_backend(runs):
    result = runs["check with file mail"]
    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_production_uses_smtp_and_twilio(outcomes):
    assert outcomes["production"]["mail"] == "django.core.mail.backends.smtp.EmailBackend"
    assert outcomes["production"]["sms"] == "notifications.sms.TwilioSmsBackend"


def test_it_refuses_to_keep_mail_in_files_outside_debug(outcomes):
    assert error_of(outcomes, "production without smtp") == (
        "SMTP_HOST (or MAIL_BACKEND) must be set when DJANGO_DEBUG is not true; "
        "e-mails with temporary passwords would be kept in files."
    )


def test_it_refuses_to_keep_sms_in_a_file_outside_debug(outcomes):
    assert error_of(outcomes, "production without twilio") == (
        "TWILIO_ACCOUNT_SID (or SMS_BACKEND) must be set when DJANGO_DEBUG is not true; "
        "SMS with temporary passwords would be kept in a file."
    )


@pytest.mark.parametrize(
    ("scenario", "mail", "sms"),
    [
        ("production, files named", "filebased", "FileSmsBackend"),
        ("production, locmem named", "locmem", "LocmemSmsBackend"),
    ],
)
def test_outside_debug_a_development_backend_may_be_named_explicitly(outcomes, scenario, mail, sms):
    outcome = outcomes[scenario]
    assert outcome["ok"], outcome
    assert outcome["mail"] == f"django.core.mail.backends.{mail}.EmailBackend"
    assert outcome["sms"] == f"notifications.sms.{sms}"


def test_debug_keeps_messages_for_the_dev_outbox(outcomes):
    outcome = outcomes["debug only"]
    assert outcome["mail"] == "django.core.mail.backends.filebased.EmailBackend"
    assert outcome["sms"] == "notifications.sms.FileSmsBackend"


# The helpers in portal/env.py

VAR = "PORTAL_TEST_VARIABLE"


@pytest.fixture
def setenv(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)

    def set_value(value: str) -> None:
        monkeypatch.setenv(VAR, value)

    return set_value


def test_env_str_strips_the_value(setenv):
    setenv("  value \n")
    assert env_str(VAR) == "value"


def test_env_str_gives_the_default_only_when_unset(setenv):
    assert env_str(VAR) is None
    assert env_str(VAR, "fallback") == "fallback"
    setenv("")
    assert env_str(VAR, "fallback") == ""


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " true "])
def test_env_bool_understands_true(setenv, value):
    setenv(value)
    assert env_bool(VAR, False) is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "off", ""])
def test_env_bool_understands_false(setenv, value):
    setenv(value)
    assert env_bool(VAR, True) is False


def test_env_bool_gives_the_default_when_unset(setenv):
    assert env_bool(VAR, True) is True
    assert env_bool(VAR, False) is False


@pytest.mark.parametrize("value", ["maybe", "2", "ja", "y"])
def test_env_bool_refuses_anything_else_and_names_the_variable(setenv, value):
    setenv(value)
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR} must be true or false"):
        env_bool(VAR)


def test_env_int_reads_a_whole_number(setenv):
    setenv(" 587 ")
    assert env_int(VAR, 25) == 587


@pytest.mark.parametrize("value", [None, "", "   "])
def test_env_int_gives_the_default_when_unset_or_empty(setenv, value):
    if value is not None:
        setenv(value)
    assert env_int(VAR, 25) == 25


@pytest.mark.parametrize("value", ["abc", "5.5", "1e3", "25 min"])
def test_env_int_refuses_what_is_not_a_whole_number(setenv, value):
    setenv(value)
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR} must be a whole number"):
        env_int(VAR, 25)


@pytest.mark.parametrize("value", ["0", "11", "-1"])
def test_env_int_refuses_numbers_out_of_range(setenv, value):
    setenv(value)
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR} must be between 1 and 10"):
        env_int(VAR, 5, minimum=1, maximum=10)


def test_env_url_strips_a_trailing_slash(setenv):
    setenv("https://portal.example.com/")
    assert env_url(VAR, schemes=("http", "https")) == "https://portal.example.com"


def test_env_url_gives_the_default_when_unset_or_empty(setenv):
    assert env_url(VAR, "http://127.0.0.1:8000", schemes=("http",)) == "http://127.0.0.1:8000"
    setenv("")
    assert env_url(VAR, None, schemes=("http",)) is None


@pytest.mark.parametrize("value", ["ftp://x", "x", "//host/path", "javascript:alert(1)"])
def test_env_url_refuses_other_schemes_and_names_the_variable(setenv, value):
    setenv(value)
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR} must be a URL starting with"):
        env_url(VAR, schemes=("http", "https"))


def test_env_url_requires_a_host_for_web_addresses(setenv):
    setenv("http://")
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR} must name a host"):
        env_url(VAR, schemes=("http", "https"))


def test_env_url_accepts_a_unix_socket_without_host(setenv):
    setenv("unix:///run/redis.sock")
    assert env_url(VAR, schemes=("redis", "unix")) == "unix:///run/redis.sock"


def test_env_list_splits_on_commas_and_drops_blanks(setenv):
    setenv(" portal.example.com, ,www.example.com ,")
    assert env_list(VAR, ["localhost"]) == ["portal.example.com", "www.example.com"]


def test_env_list_gives_the_default_only_when_unset(setenv):
    assert env_list(VAR, ["localhost"]) == ["localhost"]
    setenv("")
    assert env_list(VAR, ["localhost"]) == []


def test_env_networks_reads_addresses_and_networks_of_both_kinds(setenv):
    setenv(" 127.0.0.1, ::1 ,10.0.0.0/8, 2001:db8::/32,")
    assert env_networks(VAR) == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("2001:db8::/32"),
    )


def test_env_networks_is_empty_when_unset_or_empty(setenv):
    assert env_networks(VAR) == ()
    setenv("")
    assert env_networks(VAR) == ()


@pytest.mark.parametrize("value", ["localhost", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0 8", "*"])
def test_env_networks_refuses_anything_else_and_names_the_variable(setenv, value):
    setenv(f"127.0.0.1,{value}")
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR} must list IP addresses or networks"):
        env_networks(VAR)


def test_env_seconds_reads_whole_and_decimal_seconds(setenv):
    setenv(" 2.5 ")
    assert env_seconds(VAR, 5, minimum=0.01, maximum=10) == 2.5
    setenv("3")
    assert env_seconds(VAR, 5, minimum=0.01, maximum=10) == 3


@pytest.mark.parametrize("value", ["", "  "])
def test_env_seconds_gives_the_default_when_unset_or_empty(setenv, value):
    assert env_seconds(VAR, 5, minimum=0.01, maximum=10) == 5
    setenv(value)
    assert env_seconds(VAR, 5, minimum=0.01, maximum=10) == 5


@pytest.mark.parametrize("value", ["0", "-1", "11", "nan", "inf"])
def test_env_seconds_refuses_durations_out_of_range(setenv, value):
    setenv(value)
    with pytest.raises(ImproperlyConfigured, match=f"{VAR} must be between 0.01 and 10 seconds"):
        env_seconds(VAR, 5, minimum=0.01, maximum=10)


@pytest.mark.parametrize("value", ["5s", "fünf", "1,5"])
def test_env_seconds_refuses_what_is_not_a_number(setenv, value):
    setenv(value)
    with pytest.raises(ImproperlyConfigured, match=f"{VAR} must be a number of seconds"):
        env_seconds(VAR, 5, minimum=0.01, maximum=10)
