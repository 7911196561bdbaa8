"""Texts speak to women and men alike (issue 6, point 11).

Russian past tense and short adjectives carry gender in the first person singular («я сохранил»,
«это был не я», «я согласен»): a woman reading them is told she is a man. The portal says «вы»
(neutral in the plural) or names the thing («Коды сохранены», «Вход выполнили не вы»). Checked over
every message the portal translates — every text of every page, e-mail and SMS.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
from django.conf import settings

_GENDERED = r"(?:[а-яё]+(?:ил|ал|ял|ел|ёл|ыл|ул|лся)|согласен|готов|уверен|должен|ознакомлен)"
FIRST_PERSON_GENDERED = re.compile(rf"(?i)\bя\s+(?:не\s+)?{_GENDERED}\b|\b{_GENDERED}\s+(?:не\s+)?я\b")
# A button or link that starts with a masculine past-tense verb said for the reader: «Сохранил коды».
GENDERED_FIRST_WORD = re.compile(r"^[А-ЯЁ][а-яё]{2,}(?:ил|ял|ёл|лся|читал|писал|нажал|узнал)\s+[а-яё]")


def _texts() -> list[str]:
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    return [text for entry in catalogue if not entry.obsolete for text in (entry.msgid, entry.msgid_plural) if text]


def test_no_text_speaks_in_the_masculine_first_person():
    found = [text for text in _texts() if FIRST_PERSON_GENDERED.search(text) or GENDERED_FIRST_WORD.search(text)]
    assert found == []


def test_the_check_catches_what_it_is_for():
    for text in ("Это был не я", "Я сохранил коды", "Сохранил коды", "я согласен на обработку"):
        assert FIRST_PERSON_GENDERED.search(text) or GENDERED_FIRST_WORD.search(text), text
    for text in ("Коды сохранены", "Вход выполнили не вы", "Если это были вы", "Срок должен быть позже", "Пол"):
        assert not (FIRST_PERSON_GENDERED.search(text) or GENDERED_FIRST_WORD.search(text)), text
