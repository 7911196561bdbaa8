"""Hostile input and requests: CSRF on every POST, open redirects through `next=`, XSS through the
text a person types and the portal shows back, SQL-shaped input in every search box, session
fixation, clickjacking headers and a Content-Security-Policy on every HTML response."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.constants import StaffGroup
from accounts.tests.admin_helpers import verified_staff_client
from accounts.tests.factories import CitizenFactory, StaffFactory
from accounts.tests.login_support import code_step, last_sms_code, password_step
from oms_policy.constants import ActorRole, DocumentSlot, RequestStatus
from oms_policy.services import policy_request_transition
from oms_policy.tests.factories import PolicyRequestFactory
from oms_policy.tests.review_helpers import scan_make
from portal.tests.prove.test_attack_idor import NOT_OWNED, OPERATORS_ONLY, OWNED, owned  # noqa: F401
from support.tests.helpers import conversation_with

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;"
SQL = [
    "' OR '1'='1",
    "1' OR 1=1 --",
    "%' UNION SELECT password FROM accounts_user --",
    "1; DROP TABLE oms_policy_policyrequest; --",
]
HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "http:evil.example",
    " //evil.example",
]


def _every_route(owned_objects) -> list[tuple[str, str]]:
    """(name, url) of every non-admin URL, ids filled with the owner's things."""
    builders = {**OWNED, **OPERATORS_ONLY}
    tokens = {
        "accounts:not_me": {"value": "abc"},
        "accounts:password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "accounts:email-confirm": {"token": "abc"},
        "oms_policy:service-detail": {"slug": "policy-update"},
        "oms_policy:request-start": {"slug": "policy-update"},
        "policy:verify": {"token": str(owned_objects.policy_document.pk)},
    }
    routes = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                kwargs = builders[name](owned_objects) if name in builders else tokens.get(name, {})
                routes.append((name, reverse(name, kwargs=kwargs)))

    walk(get_resolver().url_patterns, None)
    assert {name for name, _url in routes} >= set(OWNED) | set(OPERATORS_ONLY) | NOT_OWNED
    return routes


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "owner", "operator"])
def test_every_post_without_the_csrf_token_is_refused(owned, who):  # noqa: F811
    client = Client(enforce_csrf_checks=True)
    if who == "owner":
        client.force_login(owned.owner)
    elif who == "operator":
        staff = StaffFactory(groups=[StaffGroup.SUPPORT])
        client = verified_staff_client(staff)
        client.handler.enforce_csrf_checks = True
    routes = _every_route(owned) + [("admin:login", "/admin/login/"), ("admin:logout", "/admin/logout/")]
    accepted = {}
    for name, url in routes:
        response = client.post(url, {"text": "x", "next": "/"})
        if response.status_code != 403:
            accepted[name] = response.status_code
    assert accepted == {}


# --- open redirects ------------------------------------------------------------------------------


def _local(location: str) -> bool:
    parts = urlsplit(location.strip())
    return not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_sends_the_person_away_through_next(db, sms_outbox, django_capture_on_commit_callbacks, target):
    user = CitizenFactory()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            f"{reverse('accounts:login')}?next={target}",
            {"username": str(user.phone), "password": "Пароль-для-тестов-1", "next": target},
        )
    assert first.status_code == 302 and _local(first["Location"]), first.get("Location")
    with django_capture_on_commit_callbacks(execute=True):
        second = code_step(client, last_sms_code(sms_outbox))
    assert second.status_code == 302
    assert _local(second["Location"]), second["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_after_actions_stays_on_the_portal(owned, target):  # noqa: F811
    client = Client()
    client.force_login(owned.owner)
    posts = [
        (reverse("notifications:mark-read", args=[owned.notification.pk]), {"next": target}),
        (reverse("notifications:mark-all-read"), {"next": target}),
        (reverse("set_language"), {"language": "en", "next": target}),
        (reverse("documents:delete", args=[owned.draft_scan.uuid]), {"next": target}),
    ]
    for url, data in posts:
        response = client.post(url, data, HTTP_REFERER=target)
        assert response.status_code in (302, 303), (url, response.status_code)
        assert _local(response["Location"]), (url, response["Location"])
    response = client.get(reverse("notifications:open", args=[owned.notification.pk]) + f"?next={target}")
    assert _local(response["Location"])


# --- XSS -----------------------------------------------------------------------------------------


def test_typed_text_is_shown_escaped_everywhere_it_comes_back(db, reviewer):
    citizen = CitizenFactory(last_name=XSS, first_name=XSS, patronymic="Ивановна")
    request = PolicyRequestFactory(
        applicant=citizen, status=RequestStatus.SUBMITTED, number="61026373441", last_name=XSS
    )
    policy_request_transition(
        request_id=request.pk,
        new_status=RequestStatus.IN_REVIEW,
        actor=reviewer,
        role=ActorRole.REVIEWER,
        changes={"reviewer": reviewer},
    )
    policy_request_transition(
        request_id=request.pk,
        new_status=RequestStatus.DOCUMENTS_REQUESTED,
        actor=reviewer,
        role=ActorRole.REVIEWER,
        comment=XSS,
        changes={"requested_slots": [DocumentSlot.PASSPORT_PHOTO], "requested_note": XSS},
    )
    scan = scan_make(request=request, slot=DocumentSlot.PASSPORT_PHOTO)
    scan.original_name = XSS + ".png"
    scan.save(update_fields=["original_name"])
    conversation = conversation_with(citizen=citizen, texts=(XSS,))

    owner = Client()
    owner.force_login(citizen)
    operator = verified_staff_client(StaffFactory(groups=[StaffGroup.SUPPORT]))
    checked = reviewer_client = verified_staff_client(reviewer)
    pages = [
        (owner, reverse("cabinet")),
        (owner, reverse("oms_policy:request-detail", args=[request.pk])),
        (owner, reverse("documents:request-documents", args=[request.pk])),
        (owner, reverse("notifications:inbox")),
        (owner, reverse("support:chat")),
        (operator, reverse("support:console-conversation", args=[conversation.pk])),
        (operator, reverse("support:lookup") + "?number=61026373441"),
        (reviewer_client, reverse("admin:oms_policy_policyrequest_change", args=[request.pk])),
        (reviewer_client, reverse("admin:oms_policy_policyrequest_changelist") + "?queue=all"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert XSS not in html and "<script>alert" not in html and "<img src=x" not in html, url
    assert checked  # the reviewer's session was real
    detail = owner.get(reverse("oms_policy:request-detail", args=[request.pk])).content.decode()
    assert XSS_ESCAPED in detail
    poll = owner.get(reverse("support:chat-messages") + "?after=0").content.decode()
    assert XSS not in poll and "<script>alert" not in poll


# --- SQL-shaped input ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", SQL)
def test_sql_shaped_search_input_finds_nothing_and_breaks_nothing(owned, payload):  # noqa: F811
    citizen = Client()
    citizen.force_login(CitizenFactory())
    operator = verified_staff_client(StaffFactory(groups=[StaffGroup.SUPPORT]))
    reviewer = verified_staff_client(StaffFactory(groups=[StaffGroup.REVIEWERS]))
    searches = [
        (citizen, reverse("oms_policy:service-list"), {"q": payload}),
        (operator, reverse("support:lookup"), {"number": payload}),
        (operator, reverse("support:console-search"), {"q": payload}),
        (reviewer, reverse("admin:oms_policy_policyrequest_changelist"), {"q": payload, "queue": "all"}),
    ]
    for client, url, params in searches:
        response = client.get(url, params)
        assert response.status_code == 200, url
        assert "Секретова" not in response.content.decode(), url
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM oms_policy_policyrequest")
        assert cursor.fetchone()[0] == 4


# --- sessions and headers ------------------------------------------------------------------------


def test_a_session_id_planted_before_login_is_not_the_one_after(db, sms_outbox, django_capture_on_commit_callbacks):
    user = CitizenFactory()
    client = Client()
    client.get(reverse("accounts:login"))
    client.cookies["sessionid"] = "attackerchosensessionid0000000000"
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    client.cookies["sessionid"] = planted
    with django_capture_on_commit_callbacks(execute=True):
        password_step(client, str(user.phone))
    after_password = client.cookies["sessionid"].value
    with django_capture_on_commit_callbacks(execute=True):
        response = code_step(client, last_sms_code(sms_outbox))
    assert response.status_code == 302
    after_login = client.cookies["sessionid"].value
    assert planted != after_login and after_password != after_login
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=planted).exists()
    hijacker = Client()
    hijacker.cookies["sessionid"] = planted
    assert hijacker.get(reverse("cabinet"))["Location"].startswith(reverse("accounts:login"))


def test_every_html_page_has_csp_and_refuses_framing(owned):  # noqa: F811
    owner = Client()
    owner.force_login(owned.owner)
    anonymous = Client()
    missing = {}
    for client_name, client in (("anonymous", anonymous), ("owner", owner)):
        for name, url in _every_route(owned) + [("404", "/no-such-page/"), ("admin", "/admin/login/")]:
            response = client.get(url)
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            csp = response.get("Content-Security-Policy", "")
            problems = []
            if "frame-ancestors 'none'" not in csp or "script-src 'self'" not in csp or "unsafe-inline" in csp:
                problems.append(f"CSP: {csp!r}")
            if response.get("X-Frame-Options") != "DENY":
                problems.append(f"X-Frame-Options: {response.get('X-Frame-Options')!r}")
            if response.get("X-Content-Type-Options") != "nosniff":
                problems.append("nosniff")
            if problems:
                missing[f"{client_name} {name} {response.status_code}"] = problems
    assert missing == {}
