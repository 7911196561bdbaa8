"""IDOR: every URL that takes an id of something a citizen owns (requests, their documents, policies,
chats, notifications), tried by another citizen, anonymously and by each staff role (signed in with
the authenticator code), with GET and POST. Nothing of the owner's is shown and nothing changes.

The URLs come from the resolver: a new URL with an id fails `test_every_url_with_an_id_is_classified`
until it is added below, so none is forgotten.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.constants import StaffGroup
from accounts.tests.admin_helpers import verified_staff_client
from accounts.tests.factories import CitizenFactory, StaffFactory
from documents.models import Document
from notifications.models import Notification
from oms_policy.constants import ChangeKind, DocumentSlot, RequestStatus
from oms_policy.models import PolicyDocument, PolicyRequest
from oms_policy.tests.factories import PolicyFactory, PolicyRequestFactory
from oms_policy.tests.review_helpers import png_bytes, scan_make
from support.models import Conversation
from support.tests.helpers import conversation_with

# A citizen's own things: URL name → (object it belongs to, URL kwargs from the objects).
OWNED = {
    "oms_policy:request-detail": lambda o: {"request_id": o.open.pk},
    "oms_policy:request-step": lambda o: {"request_id": o.draft.pk, "step": 1},
    "oms_policy:request-submit": lambda o: {"request_id": o.draft.pk},
    "oms_policy:request-delete": lambda o: {"request_id": o.draft.pk},
    "oms_policy:request-status": lambda o: {"request_id": o.open.pk},
    "oms_policy:request-withdraw": lambda o: {"request_id": o.open.pk},
    "oms_policy:request-resubmit": lambda o: {"request_id": o.rejected.pk},
    "oms_policy:request-documents-send": lambda o: {"request_id": o.open.pk},
    "documents:upload": lambda o: {"request_id": o.draft.pk, "slot": DocumentSlot.PASSPORT_PHOTO},
    "documents:status": lambda o: {"request_id": o.open.pk},
    "documents:request-documents": lambda o: {"request_id": o.open.pk},
    "documents:download": lambda o: {"document_uuid": o.scan.uuid},
    "documents:preview": lambda o: {"document_uuid": o.scan.uuid},
    "documents:delete": lambda o: {"document_uuid": o.draft_scan.uuid},
    "policy:document-pdf": lambda o: {"document_id": o.policy_document.pk},
    "notifications:mark-read": lambda o: {"notification_id": o.notification.pk},
    "notifications:open": lambda o: {"notification_id": o.notification.pk},
    "support:chat-close": lambda o: {"conversation_id": o.conversation.pk},
    "support:chat-rate": lambda o: {"conversation_id": o.conversation.pk},
    "support:rate-request": lambda o: {"request_id": o.rejected.pk},
}
# Support operators' console and look-up: a conversation or request of any citizen, for operators only.
OPERATORS_ONLY = {
    "support:console-conversation": lambda o: {"conversation_id": o.conversation.pk},
    "support:console-messages": lambda o: {"conversation_id": o.conversation.pk},
    "support:console-take": lambda o: {"conversation_id": o.conversation.pk},
    "support:console-transfer": lambda o: {"conversation_id": o.conversation.pk},
    "support:console-close": lambda o: {"conversation_id": o.conversation.pk},
    "support:lookup-call-note": lambda o: {"pk": o.open.pk},
}
# Not an object id: signed one-time tokens, public slugs, the public verification page (a random
# UUID by design, showing only a surname with initials and the year of birth).
NOT_OWNED = {
    "accounts:not_me",
    "accounts:password_reset_confirm",
    "accounts:email-confirm",
    "oms_policy:service-detail",
    "oms_policy:request-start",
    "policy:verify",
}
OWNER_LAST_NAME = "Секретова"
# Reviewers decide on the scans: they (and a superuser) open a citizen's scan and its preview, and
# nothing else of the citizen's through these URLs. Support operators and verifiers do not.
STAFF_MAY_READ = {
    ("reviewer", "documents:download"),
    ("reviewer", "documents:preview"),
    ("superuser", "documents:download"),
    ("superuser", "documents:preview"),
}


def _routes_with_parameters() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # the admin is TOTP-only staff: covered by accounts/tests/test_admin_access.py
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            elif "<" in prefix + str(pattern.pattern):
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", None)
    return names


def test_every_url_with_an_id_is_classified():
    assert _routes_with_parameters() == set(OWNED) | set(OPERATORS_ONLY) | NOT_OWNED


@dataclass
class Owned:
    owner: object
    draft: PolicyRequest
    open: PolicyRequest
    rejected: PolicyRequest
    scan: Document
    draft_scan: Document
    policy_document: PolicyDocument
    notification: Notification
    conversation: Conversation


@pytest.fixture
def owned(db, settings) -> Owned:
    from oms_policy.policy_services import policy_issue

    owner = CitizenFactory(last_name=OWNER_LAST_NAME, first_name="Анна", patronymic="Сергеевна")
    PolicyFactory(holder=owner, enp="8451999122899990")
    # One open request per kind of change: the approved one is issued (closed) before the draft.
    approved = PolicyRequestFactory(
        applicant=owner, status=RequestStatus.APPROVED, number="20000000007", decided_at=timezone.now()
    )
    policy_document = policy_issue(request_id=approved.pk)
    rejected = PolicyRequestFactory(
        applicant=owner, status=RequestStatus.REJECTED, number="10000000009", decided_at=timezone.now()
    )
    draft = PolicyRequestFactory(applicant=owner, status=RequestStatus.DRAFT)
    open_request = PolicyRequestFactory(
        applicant=owner,
        status=RequestStatus.DOCUMENTS_REQUESTED,
        change_kind=ChangeKind.DATA_CORRECTION,
        corrections={"last_name": {"old": OWNER_LAST_NAME, "new": "Новикова"}},
        number="61026373441",
        submitted_at=timezone.now(),
        requested_slots=[DocumentSlot.PASSPORT_PHOTO],
        documents_due_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    scan = scan_make(request=open_request, slot=DocumentSlot.PASSPORT_PHOTO)
    scan.preview.save("preview.png", ContentFile(png_bytes()), save=True)
    return Owned(
        owner=owner,
        draft=draft,
        open=open_request,
        rejected=rejected,
        scan=scan,
        draft_scan=scan_make(request=draft, slot=DocumentSlot.PASSPORT_PHOTO),
        policy_document=policy_document,
        notification=Notification.objects.create(
            recipient=owner, event="request_submitted", title=f"Заявка {OWNER_LAST_NAME}", body="Подана.", link="/"
        ),
        conversation=conversation_with(citizen=owner, texts=(f"Я {OWNER_LAST_NAME}, вопрос",)),
    )


def _state(owned: Owned) -> tuple:
    """Everything an attacker could change through these URLs."""
    return (
        list(PolicyRequest.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(Document.objects.order_by("pk").values_list("pk", "status", "file_deleted_at")),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
        list(Conversation.objects.order_by("pk").values_list("pk", "status", "operator_id")),
        Conversation.objects.get(pk=owned.conversation.pk).messages.count(),
    )


def _client_for(persona: str) -> Client:
    if persona == "anonymous":
        return Client()
    if persona == "other_citizen":
        client = Client()
        client.force_login(CitizenFactory(last_name="Чужаков"))
        return client
    groups = {
        "reviewer": [StaffGroup.REVIEWERS],
        "support": [StaffGroup.SUPPORT],
        "verifier": [StaffGroup.VERIFIERS],
        "superuser": [],
    }[persona]
    return verified_staff_client(StaffFactory(groups=groups, is_superuser=persona == "superuser"))


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _denied(response, *, persona: str) -> None:
    body = _body(response)
    assert OWNER_LAST_NAME not in body
    if persona == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith(reverse("accounts:login")), response["Location"]
        return
    assert response.status_code in (403, 404, 405), (response.status_code, response.get("Location"))


@pytest.mark.parametrize("persona", ["other_citizen", "anonymous", "reviewer", "support", "verifier", "superuser"])
def test_a_citizens_things_are_out_of_reach_of_everyone_else(owned, persona):
    client = _client_for(persona)
    before = _state(owned)
    for name, kwargs in OWNED.items():
        url = reverse(name, kwargs=kwargs(owned))
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"text": "x", "rating": "5", "file": ""})
            if method == "get" and (persona, name) in STAFF_MAY_READ:
                assert response.status_code == 200, (persona, name)
                continue
            try:
                _denied(response, persona=persona)
            except AssertionError as error:
                raise AssertionError(f"{persona} {method.upper()} {name} {url}: {error}") from None
    assert _state(owned) == before


def test_the_owner_reaches_every_one_of_them(owned):
    """The builders above point at real things: the owner is let in (so a 404 above is a refusal)."""
    client = Client()
    client.force_login(owned.owner)
    for name, kwargs in OWNED.items():
        response = client.get(reverse(name, kwargs=kwargs(owned)))
        assert response.status_code in (200, 302, 405), (name, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("accounts:login")), name


@pytest.mark.parametrize("persona", ["owner", "other_citizen", "anonymous", "reviewer", "verifier"])
def test_the_operators_console_and_look_up_are_for_support_operators_only(owned, persona):
    if persona == "owner":
        client = Client()
        client.force_login(owned.owner)
    else:
        client = _client_for(persona)
    before = _state(owned)
    for name, kwargs in OPERATORS_ONLY.items():
        url = reverse(name, kwargs=kwargs(owned))
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"text": "x", "operator": "1"})
            if persona != "owner":  # the owner's own name is in their own header's bell
                assert OWNER_LAST_NAME not in _body(response), (persona, name)
            assert response.status_code in (302, 403, 404, 405), (persona, method, name, response.status_code)
            if response.status_code == 302:
                assert "/login/" in response["Location"], (persona, name, response["Location"])
    assert _state(owned) == before
