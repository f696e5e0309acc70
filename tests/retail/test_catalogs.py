"""The Italian and Polish catalogs (issue 19.1): every message translated, none fuzzy, the committed
.mo saying what its .po says, and `make messages` (makemessages) finding nothing new to translate."""

import ast
import gettext as gettext_module
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["it", "pl"]
MESSAGES_IGNORE = ["tests/*", "benchmarks/*", "staticfiles/*"]  # the Makefile's MESSAGES_FLAGS
SKIPPED = {"tests", "benchmarks", "staticfiles", "docs", "static"}


def entries(po: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr / msgstr[n], flags, obsolete."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        entry, field = {"flags": "", "obsolete": False}, None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] += line
            elif match := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line):
                field = match.group(1)
                entry[field] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and field:
                entry[field] += ast.literal_eval(line)
        if "msgid" in entry or entry["obsolete"]:
            found.append(entry)
    return [e for e in found if e.get("msgid") or e["obsolete"]]


def translations(entry) -> list[str]:
    return [value for key, value in sorted(entry.items()) if key.startswith("msgstr")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    po = entries(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(po) > 100
    assert [e["msgid"] for e in po if "fuzzy" in e["flags"] or e["obsolete"]] == []
    assert [e["msgid"] for e in po if not all(translations(e))] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_message_has_as_many_forms_as_its_language(language):
    # given the header's count: Italian has two forms (1, else), Polish four (1; 2-4; 5-21; fractions)
    po = entries(LOCALE / language / "LC_MESSAGES" / "django.po")
    header = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    forms = int(re.search(r"nplurals=(\d+);", header).group(1))
    assert forms == {"it": 2, "pl": 4}[language]

    # then every plural message gives each of them, and no more (gettext picks a missing form as empty)
    wrong = [
        e["msgid"]
        for e in po
        if "msgid_plural" in e
        and sorted(k for k in e if k.startswith("msgstr")) != [f"msgstr[{n}]" for n in range(forms)]
    ]
    assert wrong == [], f"{language}: give each message {forms} forms"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext's msgfmt")
@pytest.mark.parametrize("language", LANGUAGES)
def test_msgfmt_checks_the_catalog(language):
    # the checks of `msgfmt -c`: the header, each form's placeholders against the msgid's, the plural count
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    checked = subprocess.run(
        ["msgfmt", "--check-format", "--check-header", "--check-domain", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_says_what_its_po_says(language):
    # given
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext_module.GNUTranslations(mo)

    # then
    for entry in entries(folder / "django.po"):
        msgid = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            assert compiled._catalog[(msgid, 0)] == entry["msgstr[0]"], "run `make messages`"
        else:
            assert compiled._catalog[msgid] == entry["msgstr"], "run `make messages`"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext")
def test_makemessages_finds_nothing_new_to_translate(tmp_path, monkeypatch):
    # given a copy of the sources and catalogs (makemessages reads and writes under the current directory)
    root = Path(settings.BASE_DIR)
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name not in SKIPPED and (
            folder.name == "templates" or (folder / "__init__.py").exists() or folder == LOCALE
        ):
            shutil.copytree(folder, tmp_path / folder.name, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)

    # when makemessages reads every template and module again, as `make messages` does
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=LANGUAGES, no_location=True, ignore_patterns=MESSAGES_IGNORE, verbosity=0)

    # then every message it found was already there and translated
    for language in LANGUAGES:
        now = entries(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po")
        untranslated = [e["msgid"] for e in now if not all(translations(e))]
        gone = [e["msgid"] for e in now if e["obsolete"]]
        assert (untranslated, gone) == ([], []), f"{language}: run `make messages` and translate"
