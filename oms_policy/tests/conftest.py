import pytest


@pytest.fixture(autouse=True)
def _review_rows_after_flush(request, _data_migration_rows):
    """Transactional tests lose data-migration rows when they flush; put the review ones back."""
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    from oms_policy.tests.review_helpers import review_groups_restore

    review_groups_restore()


@pytest.fixture
def review_head(db):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    return StaffFactory(groups=[StaffGroup.REVIEWERS, "review_heads"])


@pytest.fixture
def administrator(db):
    from accounts.tests.factories import StaffFactory

    return StaffFactory(groups=["administrators"])


@pytest.fixture
def second_reviewer(db):
    from accounts.constants import StaffGroup
    from accounts.tests.factories import StaffFactory

    return StaffFactory(groups=[StaffGroup.REVIEWERS])
