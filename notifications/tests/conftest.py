from __future__ import annotations

import pytest


@pytest.fixture
def en_citizen(db):
    from accounts.tests.factories import CitizenFactory

    return CitizenFactory(last_name="Smith", first_name="Anna", patronymic="", language="en")
