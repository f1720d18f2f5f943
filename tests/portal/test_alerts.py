"""deploy/prometheus/alerts.yml: valid rules, each explained, on metrics the portal exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from django.test import Client

from tests.conftest import require_service

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"


def rules() -> list[dict]:
    return [
        rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]
    ]


def test_promtool_accepts_the_rules():
    promtool = shutil.which("promtool")
    require_service("promtool (Debian package prometheus)", promtool is not None)
    result = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_severity_and_a_description():
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))
    for rule in rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert len(rule["annotations"]["description"]) > 80, rule["alert"]


def test_the_alerts_cover_what_an_operator_must_hear_of():
    names = {rule["alert"] for rule in rules()}
    assert {
        "PortalMessagesFailing",
        "PortalRegistrarBacklog",
        "PortalRegistrarDrift",
        "PortalOrdersStuck",
        "PortalWorkerMissing",
        "PortalLoginAttack",
    } <= names


def test_every_metric_an_alert_asks_for_is_exported(db):
    """A renamed metric would leave its alert silent for ever."""
    exported = Client().get("/metrics").content.decode()
    families = set(re.findall(r"^# TYPE (\S+) ", exported, re.MULTILINE))
    families |= {f"{name}_total" for name in families}
    for rule in rules():
        for metric in re.findall(r"\bportal_[a-z_]+", rule["expr"]):
            assert metric in families, f"{rule['alert']}: {metric}"
