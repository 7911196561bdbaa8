"""Working hours (settings, next opening) and the ratings summary in the admin."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from accounts.tests.admin_helpers import verified_staff_client
from oms_policy.models import StatusChange
from oms_policy.tests.factories import PolicyRequestFactory
from support import services
from support.constants import AuthorRole, RatingPoint
from support.hours import MOSCOW, support_hours_parse, support_is_open, support_next_opening
from support.models import ServiceRating
from support.templatetags.support_tags import support_hours_text
from support.tests.helpers import conversation_with


def moscow(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("hours", "days", "variable"),
    [
        ("9-21", ["1"], "SUPPORT_HOURS"),
        ("21:00-09:00", ["1"], "SUPPORT_HOURS"),
        ("09:00-24:00", ["1"], "SUPPORT_HOURS"),
        ("09:00-21:00", ["0"], "SUPPORT_DAYS"),
        ("09:00-21:00", ["пн"], "SUPPORT_DAYS"),
        ("09:00-21:00", [], "SUPPORT_DAYS"),
    ],
)
def test_bad_hours_settings_stop_start_up_naming_the_variable(hours, days, variable):
    with pytest.raises(ImproperlyConfigured, match=f"^{variable}:"):
        support_hours_parse(hours=hours, days=days)


def test_a_bad_hours_variable_stops_the_process_at_start_up():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.local", "SUPPORT_HOURS": "9 утра - 9 вечера"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: SUPPORT_HOURS: expected HH:MM-HH:MM (Moscow time), got '9 утра - 9 вечера'."
        in result.stderr
    )


def test_open_and_next_opening_on_weekdays(settings):
    settings.SUPPORT_HOURS = "09:00-21:00"
    settings.SUPPORT_DAYS = ["1", "2", "3", "4", "5"]
    monday_morning = moscow(2026, 12, 7, 8, 59)
    assert not support_is_open(at=monday_morning)
    assert support_next_opening(at=monday_morning) == moscow(2026, 12, 7, 9, 0)
    assert support_is_open(at=moscow(2026, 12, 7, 9, 0))
    assert support_is_open(at=moscow(2026, 12, 7, 20, 59))
    friday_night = moscow(2026, 12, 4, 21, 0)
    assert not support_is_open(at=friday_night)
    assert support_next_opening(at=friday_night) == moscow(2026, 12, 7, 9, 0)
    # UTC in, Moscow out: 06:30 UTC on a Tuesday is 09:30 in Moscow.
    assert support_is_open(at=datetime.datetime(2026, 12, 8, 6, 30, tzinfo=datetime.UTC))
    assert support_hours_text() == "по будням с 09:00 до 21:00 (мск)"
    settings.SUPPORT_DAYS = ["6", "7"]
    assert support_hours_text() == "сб, вс с 09:00 до 21:00 (мск)"


@pytest.mark.django_db
def test_admin_shows_ratings_per_week_and_per_reviewer_and_operator(
    citizen, other_citizen, reviewer, support, django_assert_max_num_queries
):
    conversation = conversation_with(citizen=citizen)
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    services.conversation_close(conversation_id=conversation.pk, actor=support, role=AuthorRole.OPERATOR)
    conversation.refresh_from_db()
    services.service_rating_submit(citizen=citizen, point=RatingPoint.CHAT, conversation=conversation, score=5)
    for applicant, score in ((citizen, 4), (other_citizen, 1)):
        request = PolicyRequestFactory(applicant=applicant, status="rejected", reviewer=reviewer)
        StatusChange.objects.create(request=request, new_status="rejected", actor_role="reviewer", at=timezone.now())
        services.service_rating_submit(
            citizen=applicant, point=RatingPoint.REQUEST_REJECTED, request=request, score=score
        )
    # One of them a week earlier.
    earlier = timezone.now() - datetime.timedelta(days=7)
    ServiceRating.objects.filter(score=1).update(created_at=earlier)

    staff = verified_staff_client(support)
    url = reverse("admin:support_servicerating_changelist")
    with django_assert_max_num_queries(20):
        response = staff.get(url)
    assert response.status_code == 200
    weekly = [(r["point"], r["count"], float(r["average"])) for r in response.context["weekly_summary"]]
    assert weekly == [("chat", 1, 5.0), ("request_rejected", 1, 4.0), ("request_rejected", 1, 1.0)]
    per_staff = {
        r["staff"]: (r["count"], r["request_count"], r["chat_count"], float(r["average"]))
        for r in response.context["staff_summary"]
    }
    assert per_staff == {reviewer.pk: (2, 2, 0, 2.5), support.pk: (1, 0, 1, 5.0)}
    page = response.content.decode()
    assert 'id="rating-weekly"' in page and 'id="rating-staff"' in page
    # Ratings are the citizens' words: nobody edits them in the admin.
    rating = ServiceRating.objects.first()
    assert staff.post(reverse("admin:support_servicerating_change", args=[rating.pk]), {"score": 1}).status_code == 403
    # Reviewers see them too; verifiers (no such permission) do not.
    assert verified_staff_client(reviewer).get(url).status_code == 200


@pytest.mark.django_db
def test_support_operators_manage_saved_answers_in_the_admin(support, citizen):
    staff = verified_staff_client(support)
    response = staff.post(
        reverse("admin:support_savedanswer_add"),
        {"title": "Сроки", "text": "Проверка занимает от 1 до 5 рабочих дней.", "is_active": "on"},
    )
    assert response.status_code == 302
    conversation = conversation_with(citizen=citizen)
    services.conversation_take(conversation_id=conversation.pk, operator=support)
    page = staff.get(reverse("support:console-conversation", args=[conversation.pk])).content.decode()
    assert 'data-text="Проверка занимает от 1 до 5 рабочих дней."' in page


@pytest.mark.django_db
def test_conversation_admin_is_read_only_and_searches_message_text(
    citizen, other_citizen, support, django_assert_max_num_queries
):
    conversation = conversation_with(citizen=citizen, texts=("Полис не пришёл", "<script>x</script>"))
    conversation_with(citizen=other_citizen, texts=("другое",))
    staff = verified_staff_client(support)
    url = reverse("admin:support_conversation_changelist")
    with django_assert_max_num_queries(15):
        response = staff.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2
    found = staff.get(url, {"q": "полис"})
    assert [c.pk for c in found.context["cl"].result_list] == [conversation.pk]
    page = staff.get(reverse("admin:support_conversation_change", args=[conversation.pk])).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    assert f'href="/support/console/{conversation.pk}/"' in page
    assert staff.get(reverse("admin:support_conversation_add")).status_code == 403
