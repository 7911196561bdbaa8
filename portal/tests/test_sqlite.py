"""The embedded default (SQLite): case-insensitive look-ups fold Cyrillic case as PostgreSQL does.

The suite runs on PostgreSQL; these tests open their own in-memory SQLite connection through
Django's backend (so connection_created runs as in `make run`) and execute the SQL the ORM writes.
"""

from __future__ import annotations

import pytest
from django.db.utils import ConnectionHandler

from portal.sqlite import sqlite_like
from support.models import Message
from support.selectors import message_search

pytestmark = pytest.mark.django_db  # unblocks connections (pytest-django); the default DB is not used

TEXTS = ["Где мой полис?", "Полис выдан", "Ёлка и ЁЖИК", "Справка", "Скидка 50% и 5_0"]


@pytest.fixture
def sqlite_connection():
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    connection = handler["default"]
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE "support_message" ("id" integer PRIMARY KEY, "text" text, "created_at" text)')
        cursor.executemany(
            'INSERT INTO "support_message" ("id", "text", "created_at") VALUES (%s, %s, %s)',
            [(number, text, f"2026-01-0{number}") for number, text in enumerate(TEXTS, start=1)],
        )
    yield connection
    connection.close()


def texts_found(connection, queryset) -> list[str]:
    sql, params = queryset.values_list("text", flat=True).query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def test_the_support_search_finds_lower_case_cyrillic_for_an_upper_case_query_on_sqlite(sqlite_connection):
    assert texts_found(sqlite_connection, message_search(query="ПОЛИС")) == ["Полис выдан", "Где мой полис?"]
    assert texts_found(sqlite_connection, message_search(query="ёжик")) == ["Ёлка и ЁЖИК"]


@pytest.mark.parametrize(
    ("lookup", "value", "found"),
    [
        ("text__icontains", "ПОЛИС", ["Где мой полис?", "Полис выдан"]),
        ("text__iexact", "где МОЙ полис?", ["Где мой полис?"]),
        ("text__istartswith", "полис", ["Полис выдан"]),
        ("text__iendswith", "ВЫДАН", ["Полис выдан"]),
        # Django escapes % and _ in the value: they are matched as themselves.
        ("text__icontains", "50%", ["Скидка 50% и 5_0"]),
        ("text__icontains", "5_0", ["Скидка 50% и 5_0"]),
        ("text__icontains", "50_ и", []),
        ("text__icontains", "5%0", []),
    ],
)
def test_case_insensitive_lookups_fold_cyrillic_on_sqlite(sqlite_connection, lookup, value, found):
    assert texts_found(sqlite_connection, Message.objects.filter(**{lookup: value}).order_by("id")) == found


@pytest.mark.parametrize(
    ("pattern", "value", "escape", "matches"),
    [
        ("%ПОЛИС%", "Где мой полис?", None, True),
        ("г_е%", "Где мой полис?", None, True),
        ("г_е", "Где мой полис?", None, False),
        ("%\\%%", "100%", "\\", True),
        ("%\\%%", "100", "\\", False),
        ("a%b", "a\nb", None, True),
        (None, "a", None, None),
        ("a", None, None, None),
    ],
)
def test_sqlite_like_follows_sqlites_like_with_unicode_case_folding(pattern, value, escape, matches):
    assert sqlite_like(pattern, value, escape) is matches
