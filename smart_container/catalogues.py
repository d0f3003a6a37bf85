"""Compile the translation catalogues that are missing or older than their ``.po`` file.

The ``.mo`` files are build output (not committed).  ``.ci/run`` and deployments run
``manage.py compilemessages``, which needs GNU gettext; ``manage.py`` itself (so ``rundemo``)
and the test suite compile with polib instead, so the README's two commands show Chinese on a
fresh machine without it.  Plain Python (no Django): both call it before Django loads, since
Django caches a language's catalogue the first time it translates anything.
"""

from __future__ import annotations

from pathlib import Path

import polib


def stale_catalogues(locale_dir: Path) -> list[Path]:
    """The ``.po`` files under ``locale_dir`` whose ``.mo`` is missing or older."""
    stale = []
    for po in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_stale_catalogues(locale_dir: Path) -> list[Path]:
    """Compile each stale catalogue (fuzzy entries left out, as msgfmt does); returns the ``.mo`` files written."""
    written = []
    for po in stale_catalogues(locale_dir):
        catalogue = polib.pofile(str(po))
        for entry in catalogue.fuzzy_entries():
            catalogue.remove(entry)
        mo = po.with_suffix(".mo")
        partial = mo.with_suffix(".mo.tmp")
        catalogue.save_as_mofile(str(partial))
        partial.replace(mo)  # a reader never sees half a file
        written.append(mo)
    return written
