"""Every staff page has one <h1> and no heading said twice.

A screen-reader user moves through a page by its headings: two headings with the same text (the
page title again as a section title, a fieldset named like the block the template adds below it)
read as two places where there is one. The test walks the admin as a superuser and as the staff who
do the daily work, over the index, each app's index, every changelist and add form, a change form
of every model with a row, and the custom pages (the verification queue, the request review page
and its dashboard, the ratings report).
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.constants import AuditEventKind, StaffGroup
from accounts.models import IdentityVerification, User
from accounts.services import audit_record
from accounts.tests.admin_helpers import standard_citizen_make, verification_make, verified_staff_client
from accounts.tests.factories import StaffFactory
from notifications.services import notify
from oms_policy.constants import RequestStatus
from oms_policy.tests.factories import PolicyFactory
from oms_policy.tests.review_helpers import scan_make, submitted_request
from support.models import Conversation, SavedAnswer, ServiceRating
from support.tests.helpers import conversation_with

pytestmark = pytest.mark.django_db

HEADING_TAGS = {"h1", "h2", "h3"}


class HeadingParser(HTMLParser):
    """The text of every h1–h3 in a page, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in HEADING_TAGS:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in HEADING_TAGS and self._open and self._open[-1][0] == tag:
            name, parts = self._open.pop()
            self.headings.append((name, re.sub(r"\s+", " ", "".join(parts)).strip()))

    def handle_data(self, data: str) -> None:
        for _tag, parts in self._open:
            parts.append(data)


def headings_of(html: str) -> list[tuple[str, str]]:
    parser = HeadingParser()
    parser.feed(html)
    return parser.headings


def heading_problems(html: str) -> list[str]:
    headings = headings_of(html)
    problems = []
    h1 = [text for tag, text in headings if tag == "h1"]
    if len(h1) != 1:
        problems.append(f"{len(h1)} <h1>: {h1}")
    repeated = [text for text, count in Counter(text.casefold() for _tag, text in headings).items() if count > 1]
    if repeated:
        problems.append(f"repeated headings {repeated} in {headings}")
    return problems


@pytest.fixture
def admin_data(citizen, other_citizen, reviewer, verifier):
    """One row of everything the admin lists, made the way the portal makes it."""
    verification_make(user=standard_citizen_make())
    audit_record(kind=AuditEventKind.LOGIN, actor=citizen)
    notify(user=citizen, event="demo_ping", context={}, dedupe_key="headings-demo")
    PolicyFactory(holder=citizen)
    request = submitted_request(applicant=citizen, status=RequestStatus.IN_REVIEW, reviewer=reviewer)
    scan_make(request=request, slot="passport_main")
    conversation_with(citizen=citizen)
    SavedAnswer.objects.create(title="Сроки", text="Заявку проверяют до пяти рабочих дней.")
    ServiceRating.objects.create(citizen=citizen, point="request_submitted", request=request, score=5)
    StaticDevice.objects.create(user=citizen, name="Резервные коды", confirmed=True)
    return {"request": request}


def admin_pages() -> list[str]:
    """Index, each app's index, and per model its changelist, add form and first change form."""
    urls = [reverse("admin:index")]
    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    urls += [reverse("admin:app_list", args=[label]) for label in app_labels]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            for page in ("change", "history", "delete"):
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_{page}", args=[first.pk]))
    user = User.objects.order_by("pk").first()
    urls += [
        reverse("admin:oms_policy_policyrequest_dashboard"),
        reverse("admin:password_change"),
        reverse("admin:auth_user_password_change", args=[user.pk]),
    ]
    return urls


def test_every_admin_page_has_one_h1_and_no_repeated_heading(admin, admin_data):
    client = verified_staff_client(admin)
    found = {}
    opened = 0
    for url in admin_pages():
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code in (403, 302), (url, response.status_code)
            continue
        opened += 1
        problems = heading_problems(response.content.decode())
        if problems:
            found[url] = problems
    assert opened > 30
    assert found == {}


@pytest.mark.parametrize(
    ("persona", "page"),
    [
        ("reviewer", "request"),
        ("reviewer", "requests"),
        ("review_head", "dashboard"),
        ("verifier", "verification"),
        ("verifier", "verifications"),
        ("support", "users"),
        ("support", "user"),
        ("support", "conversations"),
        ("support", "conversation"),
    ],
)
def test_the_daily_pages_of_each_role_have_one_h1_and_no_repeated_heading(persona, page, request, admin_data):
    citizen = request.getfixturevalue("citizen")
    if persona == "review_head":
        staff = StaffFactory(groups=[StaffGroup.REVIEWERS, "review_heads"])
    else:
        staff = request.getfixturevalue(persona)
    urls = {
        "request": reverse("admin:oms_policy_policyrequest_change", args=[admin_data["request"].pk]),
        "requests": reverse("admin:oms_policy_policyrequest_changelist"),
        "dashboard": reverse("admin:oms_policy_policyrequest_dashboard"),
        "verification": reverse(
            "admin:accounts_identityverification_change", args=[IdentityVerification.objects.get().pk]
        ),
        "verifications": reverse("admin:accounts_identityverification_changelist"),
        "users": reverse("admin:accounts_user_changelist"),
        "user": reverse("admin:accounts_user_change", args=[citizen.pk]),
        "conversations": reverse("admin:support_conversation_changelist"),
        "conversation": reverse("admin:support_conversation_change", args=[Conversation.objects.get().pk]),
    }
    response = verified_staff_client(staff).get(urls[page])
    assert response.status_code == 200
    assert heading_problems(response.content.decode()) == []


def test_the_admin_login_page_has_its_one_heading(client, db):
    html = client.get(reverse("admin:login")).content.decode()
    assert headings_of(html) == [("h1", "Вход в рабочее место сотрудника")]


def test_the_checker_sees_a_repeated_heading():
    page = "<h1>Заявка</h1><fieldset><h2>Решение</h2></fieldset><section><h2> Решение </h2></section>"
    assert heading_problems(page) == [
        "repeated headings ['решение'] in [('h1', 'Заявка'), ('h2', 'Решение'), ('h2', 'Решение')]"
    ]
    assert heading_problems("<h2>Без заголовка</h2>") == ["0 <h1>: []"]
