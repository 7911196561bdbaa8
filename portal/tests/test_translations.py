"""The translation catalogues: English complete and safe to format, Russian plural forms present, the
compiled .mo files in step with the .po files, and the citizen's pages free of Russian in English.

Russian is the source language, so the English catalogue must translate every message; the Russian
catalogue holds only the plural messages (three Russian forms). After `makemessages` a new message is
empty and a changed one is fuzzy: both fail here until someone translates them.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import timezone

LOCALE = Path(settings.BASE_DIR) / "locale"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
RU_PO = LOCALE / "ru" / "LC_MESSAGES" / "django.po"

# %(name)s, %(count)d, %s, %d …; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Russian on purpose in English: the language's own name in the switch, a policy series (Cyrillic letters).
RUSSIAN_KEPT_IN_ENGLISH = {"Русский", "ЛГ 45"}


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def _messages(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if entry.msgid and not entry.obsolete]


def _label(entry: polib.POEntry) -> str:
    return entry.msgid[:80]


@pytest.fixture(scope="module")
def en() -> polib.POFile:
    return polib.pofile(str(EN_PO))


@pytest.fixture(scope="module")
def ru() -> polib.POFile:
    return polib.pofile(str(RU_PO))


def test_english_catalogue_has_no_untranslated_fuzzy_or_obsolete_messages(en):
    messages = _messages(en)
    assert len(messages) > 1000
    assert [_label(e) for e in en.untranslated_entries()] == []
    assert [_label(e) for e in en.fuzzy_entries()] == []
    assert [_label(e) for e in en.obsolete_entries()] == []
    assert en.percent_translated() == 100
    assert en.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    plurals = [e for e in messages if e.msgid_plural]
    assert plurals and all(sorted(e.msgstr_plural) == [0, 1] and all(e.msgstr_plural.values()) for e in plurals)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_placeholder_of_a_msgid_is_in_its_translation(language, en, ru):
    """A missing placeholder loses a value; an unknown one raises KeyError when the message is formatted."""
    mismatched = []
    for entry in _messages({"en": en, "ru": ru}[language]):
        if entry.msgid_plural:
            known = set(_placeholders(entry.msgid)) | set(_placeholders(entry.msgid_plural))
            for form, text in entry.msgstr_plural.items():
                # The singular form may spell the number out ("one"), so only the named ones must stay.
                source = entry.msgid if form == 0 else entry.msgid_plural
                needed = {p for p in _placeholders(source) if form or "(" in p}
                if not needed <= set(_placeholders(text)) or not set(_placeholders(text)) <= known:
                    mismatched.append((_label(entry), form, text))
        elif _placeholders(entry.msgid) != _placeholders(entry.msgstr):
            mismatched.append((_label(entry), None, entry.msgstr))
    assert mismatched == []


def test_english_translations_are_english(en):
    russian = {
        text
        for entry in _messages(en)
        for text in [entry.msgstr, *entry.msgstr_plural.values()]
        if CYRILLIC.search(text) and not any(kept in text for kept in RUSSIAN_KEPT_IN_ENGLISH)
    }
    assert russian == set()


def test_every_plural_message_has_three_russian_forms(en, ru):
    """Without its entry in locale/ru gettext falls back to the English rule (n == 1): «3 минут»."""
    assert ru.metadata["Plural-Forms"].startswith("nplurals=3;")
    russian = {entry.msgid: entry for entry in _messages(ru)}
    missing, incomplete = [], []
    for entry in _messages(en):
        if not entry.msgid_plural:
            continue
        found = russian.get(entry.msgid)
        if found is None or found.msgid_plural != entry.msgid_plural:
            missing.append(_label(entry))
        elif sorted(found.msgstr_plural) != [0, 1, 2] or not all(found.msgstr_plural.values()):
            incomplete.append(_label(entry))
    assert (missing, incomplete) == ([], [])
    # Only plural messages there, none left over from a message the code no longer has.
    english = {entry.msgid for entry in _messages(en)}
    assert [_label(e) for e in _messages(ru) if not e.msgid_plural or e.msgid not in english] == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_compiled_catalogue_matches_its_po_file(language):
    """The .mo in the repository is what `make run` uses when msgfmt is missing: it must be current."""
    folder = LOCALE / language / "LC_MESSAGES"

    def translations(catalogue):
        return {
            (entry.msgctxt, entry.msgid): (
                tuple(text for _form, text in sorted(entry.msgstr_plural.items()))
                if entry.msgid_plural
                else entry.msgstr
            )
            for entry in _messages(catalogue)
            if "fuzzy" not in entry.flags
        }

    assert translations(polib.mofile(str(folder / "django.mo"))) == translations(
        polib.pofile(str(folder / "django.po"))
    )


# --- the citizen's pages in English ------------------------------------------------------------------


def _russian_left(content: str, data: set[str]) -> set[str]:
    """Russian text on a page, apart from people's data (names, regions, companies) and the kept words."""
    content = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", "", content, flags=re.S)
    for text in sorted(data | RUSSIAN_KEPT_IN_ENGLISH, key=len, reverse=True):
        content = content.replace(text, "")
    return {match.group(0).strip()[:100] for match in re.finditer(r"[А-Яа-яЁё][^<>\n]*", content)}


@pytest.mark.django_db
def test_citizen_pages_in_english_have_no_russian(client, reviewer):
    from accounts.tests.factories import CitizenFactory
    from oms_policy.constants import DocumentSlot, RequestStatus
    from oms_policy.models import InsuranceCompany, Region
    from oms_policy.services import policy_request_submit
    from oms_policy.tests.factories import PolicyFactory, PolicyRequestFactory
    from oms_policy.tests.journey_support import documents_fill, request_move

    def citizen():
        person = CitizenFactory(last_name="Smith", first_name="Anna", patronymic="", language="en")
        PolicyFactory(holder=person)
        client.force_login(person)
        return person

    def submitted(person):
        draft = PolicyRequestFactory(applicant=person, draft_step=5)
        documents_fill(request=draft)
        return policy_request_submit(request_id=draft.pk, actor=person, submit_key=f"k{draft.pk}")

    client.cookies["django_language"] = "en"
    pages = {}

    def visit(*urls):
        for url in urls:
            response = client.get(url, follow=True)
            assert response.status_code == 200, url
            pages[f"{url} ({len(pages)})"] = response.content.decode()

    visit("/", "/help/", "/accounts/login/", "/accounts/register/")

    first = citizen()
    draft = PolicyRequestFactory(applicant=first, draft_step=5)
    open_request = submitted(first)
    visit("/", "/cabinet/", "/requests/", "/requests/services/", "/requests/services/policy-update/", "/policy/")
    visit(*(f"/requests/{draft.pk}/step/{step}/" for step in range(1, 6)))
    visit(f"/requests/{draft.pk}/delete/", f"/documents/request/{draft.pk}/")
    visit(f"/requests/{open_request.pk}/", f"/requests/{open_request.pk}/withdraw/")
    visit("/help/", "/support/", f"/support/?request={open_request.pk}", "/notifications/", "/notifications/settings/")
    request_move(
        request=open_request,
        to=RequestStatus.DOCUMENTS_REQUESTED,
        reviewer=reviewer,
        changes={
            "requested_slots": [DocumentSlot.PASSPORT_REGISTRATION],
            "requested_note": "The registration page is cut off.",
            "documents_due_on": timezone.localdate() + datetime.timedelta(days=7),
        },
    )
    visit(f"/requests/{open_request.pk}/", "/notifications/")

    second = citizen()
    rejected = submitted(second)
    request_move(request=rejected, to=RequestStatus.REJECTED, reviewer=reviewer, changes={"rejection_text": "Blurred."})
    visit(f"/requests/{rejected.pk}/", "/requests/", f"/support/rate/request/{rejected.pk}/")

    third = citizen()
    approved = submitted(third)
    request_move(request=approved, to=RequestStatus.APPROVED, reviewer=reviewer)
    visit(f"/requests/{approved.pk}/", "/policy/", "/cabinet/", "/notifications/")

    data = {*Region.objects.values_list("name", flat=True), *InsuranceCompany.objects.values_list("name", flat=True)}
    russian = {url: left for url, content in pages.items() if (left := _russian_left(content, data))}
    assert russian == {}
    assert all('<html lang="en">' in content for content in pages.values())
