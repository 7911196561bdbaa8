"""Fixtures for review (staff personas) and the electronic policy (an approved request, an issued document)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from oms_policy.constants import RequestStatus


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


@pytest.fixture
def private_dir() -> Path:
    """The folder STORAGES["private"] writes to in this test (the root conftest gives each test its own)."""
    return Path(settings.STORAGES["private"]["OPTIONS"]["location"])


@pytest.fixture
def current_policy(citizen):
    from oms_policy.tests.factories import PolicyFactory

    return PolicyFactory(holder=citizen, enp="8451999122899990")


@pytest.fixture
def approved_request(citizen, current_policy):
    from oms_policy.tests.factories import PolicyRequestFactory

    return PolicyRequestFactory(
        applicant=citizen,
        status=RequestStatus.APPROVED,
        decided_at=timezone.now(),
        birth_date=datetime.date(1988, 7, 14),
    )


@pytest.fixture
def issued_document(approved_request):
    from oms_policy.policy_services import policy_issue

    return policy_issue(request_id=approved_request.pk)


def pdf_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.pdf") if path.is_file())
