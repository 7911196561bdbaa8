"""The embedded default's SQLite, made to compare text as PostgreSQL does.

SQLite's own LIKE folds case for ASCII letters only, so on SQLite every `icontains` / `iexact` /
`istartswith` / `iendswith` (Django writes them all as `LIKE … ESCAPE '\\'`) missed «Где мой полис?»
for «ПОЛИС»: the support search, the admin's search_fields over names. SQLite lets an application
replace its like() function (the ICU extension does the same), so each new SQLite connection gets
one that folds case for every alphabet. The queries stay the same code on both databases;
PostgreSQL (UPPER(…) LIKE UPPER(…)) is untouched. On SQLite, Django's `contains` / `startswith`
were already case-insensitive (Django documents it) and now are so for Cyrillic too. Nothing is lost
to the Python function: SQLite's LIKE uses an index only on a NOCASE column, and Django makes none.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db.backends.base.base import BaseDatabaseWrapper


@lru_cache(maxsize=256)
def _like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    parts = []
    characters = iter(pattern)
    for character in characters:
        if character == escape:
            parts.append(re.escape(next(characters, escape)))
        elif character == "%":
            parts.append(".*")
        elif character == "_":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE)


def sqlite_like(pattern, value, escape=None) -> bool | None:
    """`value LIKE pattern [ESCAPE escape]` as SQLite defines it (% any run, _ one character, NULL
    in → NULL out), with case folded for every alphabet, not ASCII only."""
    if pattern is None or value is None or (escape is not None and len(escape) != 1):
        return None
    return _like_regex(_text(pattern), escape).fullmatch(_text(value)) is not None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def sqlite_functions_register(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """connection_created receiver: on SQLite, like() with two and three arguments is ours."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("like", 2, sqlite_like, deterministic=True)
    connection.connection.create_function("like", 3, sqlite_like, deterministic=True)
