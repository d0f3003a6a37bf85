"""The catalogue check: every string marked for translation in the templates, the Python code and
the checkout script is in locale/zh_Hans with a translation, and nothing else is.

It runs Django's own ``makemessages`` (xgettext) on a copy of the project and compares the result
with the committed catalogue, so the check is exactly what a developer's makemessages would do.
Fix a failure with the command in MAKEMESSAGES, then fill the new msgstr in the .po files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
LANGUAGES = ["zh_Hans"]
DOMAINS = ["django", "djangojs"]
IGNORED = ["var/*", "tests/*", "miniprogram/*", "docs/*", "test-artifacts/*"]
MAKEMESSAGES = "python manage.py makemessages --no-location --no-obsolete -l zh_Hans {domain}" + "".join(
    f" --ignore='{pattern}'" for pattern in IGNORED
)
SKIPPED_DIRS = {".git", "var", "tests", "miniprogram", "docs", "test-artifacts", "node_modules", "__pycache__"}


def entry_key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr.strip())


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """makemessages run on a copy of the project: the catalogue the sources call for."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is not installed (apt-get install gettext): the catalogue cannot be checked")
    copy = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT, copy, dirs_exist_ok=True, ignore=lambda folder, names: SKIPPED_DIRS & set(names))
    env = {**os.environ, "SC_VAR_DIR": str(copy / "var")}
    for domain in DOMAINS:
        command = [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete", "-d", domain]
        command += [arg for lang in LANGUAGES for arg in ("-l", lang)]
        command += [arg for pattern in IGNORED for arg in ("--ignore", pattern)]
        proc = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return copy / "locale"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_string_is_in_the_catalogue_and_translated(regenerated, lang, domain):
    committed = polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"))
    wanted = polib.pofile(str(regenerated / lang / "LC_MESSAGES" / f"{domain}.po"))
    have = {entry_key(e) for e in committed if not e.obsolete}
    need = {entry_key(e) for e in wanted if not e.obsolete}
    how = MAKEMESSAGES.format(domain=f"-d {domain}")
    assert not (need - have), f"not in the catalogue (run `{how}` and translate them): {sorted(need - have)}"
    assert not (have - need), f"in the catalogue but no longer in the code (run `{how}`): {sorted(have - need)}"
    untranslated = [e.msgid for e in committed if not e.obsolete and not translated(e)]
    assert not untranslated, f"empty translations in locale/{lang}/LC_MESSAGES/{domain}.po: {untranslated}"
    fuzzy = [e.msgid for e in committed if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy (unchecked) translations in {domain}.po: {fuzzy}"
    assert not committed.metadata_is_fuzzy, f"{domain}.po's header is marked fuzzy: msgfmt would skip it"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_their_placeholders(lang, domain):
    """msgfmt --check: a translation with a missing or different %(name)s would crash or lie."""
    po = LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
    proc = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(po)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
