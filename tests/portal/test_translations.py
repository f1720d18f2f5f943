"""German first, English complete: every UI string has an English translation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import require_service

PO = Path(settings.BASE_DIR, "locale/en/LC_MESSAGES/django.po")


def test_the_english_catalogue_has_no_gaps():
    catalogue = polib.pofile(str(PO))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    require_service("xgettext", shutil.which("xgettext") is not None, "install gettext")
    copy = tmp_path / "src"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(".venv", "var", ".git", "tests", "bench", "*.mo"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "en", "--no-location"],
        cwd=copy,
        env={"DJANGO_DEBUG": "True", "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/en/LC_MESSAGES/django.po"))}
    known = {e.msgid for e in polib.pofile(str(PO)) if not e.obsolete}
    assert sorted(fresh - known) == []


def test_the_catalogue_compiles_without_gettext_tools(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    target = tmp_path / "locale/en/LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO, target / "django.po")
    call_command("compile_translations")
    assert polib.mofile(str(target / "django.mo")).percent_translated() == 100


def test_pages_speak_german_by_default_and_english_on_request(client, db):
    german = client.get(reverse("portal:login")).content.decode()
    assert "Anmelden" in german and 'lang="de"' in german
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("portal:login")).content.decode()
    assert 'lang="en"' in english and "Log in" in english


def test_an_english_browser_still_gets_german_until_english_is_chosen(client, db):
    page = client.get(reverse("portal:login"), headers={"accept-language": "en-US,en;q=0.9"})
    assert 'lang="de"' in page.content.decode()
