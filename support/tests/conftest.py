from __future__ import annotations

import pytest

from accounts.tests.admin_helpers import verified_staff_client
from oms_policy.tests.conftest import administrator  # noqa: F401  (the administrators' persona)


@pytest.fixture
def operator_client(support):
    """A support operator's session that passed the admin's TOTP second factor."""
    return verified_staff_client(support)


@pytest.fixture
def second_operator(db):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    return StaffFactory(groups=[StaffGroup.SUPPORT], first_name="Ольга", last_name="Соколова")


@pytest.fixture
def citizen_client(citizen, client):
    client.force_login(citizen)
    return client


@pytest.fixture
def at_work(settings):
    """Operators at work around the clock, so the hours notice does not depend on when tests run."""
    settings.SUPPORT_HOURS = "00:00-23:59"
    settings.SUPPORT_DAYS = ["1", "2", "3", "4", "5", "6", "7"]
