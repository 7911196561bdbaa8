"""The cabinet menu beside every page of the citizen's cabinet (issue 6, point 11).

It was on the cabinet's front page only: from «Мои заявления», «Безопасность» or the chat the way to
the other sections was the header's «Личный кабинет» and back.
"""

from __future__ import annotations

import datetime
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.login.services import REAUTH_KEY
from accounts.tests.factories import StaffFactory
from oms_policy.constants import ChangeKind, RequestStatus
from oms_policy.models import Service
from oms_policy.tests.factories import PolicyRequestFactory

pytestmark = pytest.mark.django_db

NAV = '<nav class="cabinet-nav" aria-label="Разделы кабинета">'


def _log_in(client, citizen) -> None:
    client.force_login(citizen)
    session = client.session
    session[REAUTH_KEY] = time.time()  # the security pages ask for the password again first
    session.save()


def _cabinet_pages(citizen) -> dict[str, str]:
    draft = PolicyRequestFactory(applicant=citizen, change_kind=ChangeKind.RENEWAL)
    decided = PolicyRequestFactory(
        applicant=citizen,
        change_kind=ChangeKind.DATA_CORRECTION,
        status=RequestStatus.APPROVED,
        decided_at=timezone.now(),
        birth_date=datetime.date(1988, 7, 14),
    )
    waiting = PolicyRequestFactory(
        applicant=citizen, change_kind=ChangeKind.SMO_CHANGE, status=RequestStatus.DOCUMENTS_REQUESTED
    )
    service = Service.objects.filter(is_active=True).first()
    return {
        "cabinet": reverse("cabinet"),
        "notifications:inbox": reverse("notifications:inbox"),
        "notifications:preferences": reverse("notifications:preferences"),
        "oms_policy:request-list": reverse("oms_policy:request-list"),
        "oms_policy:service-list": reverse("oms_policy:service-list"),
        "oms_policy:service-detail": reverse("oms_policy:service-detail", args=[service.slug]),
        "oms_policy:request-detail": reverse("oms_policy:request-detail", args=[decided.pk]),
        "oms_policy:request-step": reverse("oms_policy:request-step", args=[draft.pk, 1]),
        "oms_policy:request-delete": reverse("oms_policy:request-delete", args=[draft.pk]),
        "documents:request-documents": reverse("documents:request-documents", args=[waiting.pk]),
        "support:rate-request": reverse("support:rate-request", args=[decided.pk]),
        "policy:my-policy": reverse("policy:my-policy"),
        "accounts:identity": reverse("accounts:identity"),
        "accounts:security": reverse("accounts:security"),
        "accounts:security_reauth": reverse("accounts:security_reauth"),
        "accounts:contact-change": reverse("accounts:contact-change"),
        "support:chat": reverse("support:chat"),
    }


def test_every_cabinet_page_has_the_cabinet_menu_once(client, citizen):
    _log_in(client, citizen)
    missing = {}
    for name, url in _cabinet_pages(citizen).items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        if html.count(NAV) != 1:
            missing[name] = html.count(NAV)
    assert missing == {}


def test_the_menu_marks_the_page_the_citizen_is_on(client, citizen):
    _log_in(client, citizen)
    html = client.get(reverse("accounts:security")).content.decode()
    nav = html[html.index(NAV) : html.index("</nav>", html.index(NAV))]
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', nav) == [reverse("accounts:security")]


def test_no_cabinet_menu_for_visitors_and_staff(client, db):
    assert NAV not in client.get(reverse("oms_policy:service-list")).content.decode()
    assert NAV not in client.get(reverse("accounts:login")).content.decode()
    client.force_login(StaffFactory())
    assert NAV not in client.get(reverse("oms_policy:service-list")).content.decode()
