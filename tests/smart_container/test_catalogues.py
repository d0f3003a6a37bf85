"""A fresh clone has no .mo files (build output); rundemo and the tests compile them with polib."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

from smart_container.catalogues import compile_stale_catalogues, stale_catalogues

LOCALE = Path(__file__).resolve().parents[2] / "locale"
SAY_START = "from django.utils.translation import gettext; print(gettext('Start a new checkout'))"


def test_missing_catalogues_are_compiled_and_translate(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale, ignore=shutil.ignore_patterns("*.mo"))
    assert {po.name for po in stale_catalogues(locale)} == {"django.po", "djangojs.po"}

    written = compile_stale_catalogues(locale)

    assert {mo.name for mo in written} == {"django.mo", "djangojs.mo"}
    zh = gettext.translation("django", localedir=str(locale), languages=["zh_Hans"])
    assert zh.gettext("Start a new checkout") == "开始新的结算"
    assert stale_catalogues(locale) == [] and compile_stale_catalogues(locale) == []  # fresh ones are left alone


def test_an_edited_catalogue_is_compiled_again_and_fuzzy_entries_are_left_out(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale, ignore=shutil.ignore_patterns("*.mo"))
    compile_stale_catalogues(locale)
    po = locale / "zh_Hans" / "LC_MESSAGES" / "django.po"
    text = po.read_text(encoding="utf-8")
    marker = 'msgid "Start a new checkout"'
    assert marker in text
    po.write_text(text.replace(marker, "#, fuzzy\n" + marker, 1), encoding="utf-8")
    mo = po.with_suffix(".mo")
    os.utime(mo, (mo.stat().st_atime, po.stat().st_mtime - 10))

    assert compile_stale_catalogues(locale) == [mo]
    zh = gettext.translation("django", localedir=str(locale), languages=["zh_Hans"])
    assert zh.gettext("Start a new checkout") == "Start a new checkout"  # a fuzzy guess is never shown


def test_manage_py_on_a_fresh_clone_speaks_chinese_from_its_first_start():
    """The README's run command is a ``manage.py`` command: without .mo files (a fresh clone) it
    compiles them before Django reads any, so the first start already serves Chinese."""
    mo = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    mo.unlink()
    child = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SAY_START],
        cwd=LOCALE.parent,
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "LANGUAGE_CODE"}},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert mo.exists(), child.stderr
    assert child.stdout.strip().splitlines()[-1] == "开始新的结算", child.stdout + child.stderr
