"""The benchmark data set, and logged-in sessions made without the interactive second factor.

Run inside the shape's environment (`python -m bench.dataset --load-citizens 40`); prints one JSON
line: the session cookie of the bench citizen, the ids the page paths need, and the sessions of the
load-test citizens. Rows are written straight through the ORM: this is a fixture of a realistic
size, not a journey (the journey and the status service are proven by the tests). Each run makes
new people (e-mails at bench.invalid), so runs never collide and old runs do not change the pages.

The bench citizen: an active policy, 20 requests (one open, drafts, finished ones), one request with
10 status changes and 6 documents, 30 notifications of which 5 unread.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import struct
import time
from datetime import timedelta
from importlib import import_module


def totp_code(key_hex: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The code a TOTP app shows now for this key (RFC 6238, HMAC-SHA1), as django-otp checks it."""
    counter = int((at if at is not None else time.time()) // step)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def session_create(*, user) -> str:
    """A logged-in session as accounts.login.services.login_complete leaves it, minus the audit row.

    The keys are Django's (user id, backend, password hash: a changed password ends it) and the
    portal's login mark that SessionLimitsMiddleware checks (12-hour cap, «выйти на всех устройствах»).
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone

    from accounts.middleware import SESSION_LOGIN_AT_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.LoginBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_LOGIN_AT_KEY] = timezone.now().timestamp()
    store.create()
    return store.session_key


def citizen_build(*, email: str, last_name: str, first_name: str, patronymic: str, now):
    """An unsaved citizen whose e-mail and identity were confirmed at `now`; no password (the bench
    logs people in with sessions of its own, session_create)."""
    from accounts.constants import IdentityLevel
    from accounts.models import User

    user = User(
        email=email,
        last_name=last_name,
        first_name=first_name,
        patronymic=patronymic,
        identity_level=IdentityLevel.CONFIRMED,
        email_confirmed_at=now,
        identity_confirmed_at=now,
    )
    user.set_unusable_password()
    return user


def citizen_create(*, tag: str, index: int):
    from django.utils import timezone

    user = citizen_build(
        email=f"citizen-{tag}-{index}@bench.invalid",
        last_name="Иванова",
        first_name="Анна",
        patronymic="Сергеевна",
        now=timezone.now(),
    )
    user.save()
    return user


# The bench citizens' ОМС policy: every policy and request of theirs carries this number.
BENCH_POLICY_NUMBER = "8451999122899990"


def bench_region():
    """The region every bench citizen lives in (45) and its first active insurer."""
    from oms_policy.models import InsuranceCompany, Region

    region = Region.objects.get(code="45")
    return region, InsuranceCompany.objects.filter(region=region, is_active=True).first()


def citizen_request_build(*, user, region, birth_date: str = "1985-05-17", **fields):
    """An unsaved PolicyRequest of `user`: the fields every bench request shares (the unified policy
    and its number, the name as the account holds it, a woman of `birth_date`, `region`) and `fields`."""
    from oms_policy.models import PolicyRequest

    return PolicyRequest(
        applicant=user,
        current_policy_kind="unified",
        current_policy_number=BENCH_POLICY_NUMBER,
        last_name=user.last_name,
        first_name=user.first_name,
        patronymic=user.patronymic,
        sex="female",
        birth_date=birth_date,
        region=region,
        **fields,
    )


def requests_create(*, user, count: int, detailed: bool) -> int | None:
    """`count` requests for `user`; with `detailed`, the open one has 10 status changes and 6 documents.

    Returns the id of the detailed request (None without it).
    """
    from django.utils import timezone

    from documents.constants import DocumentStatus
    from documents.models import Document
    from oms_policy.constants import ActorRole, ChangeKind, DocumentSlot, RequestStatus
    from oms_policy.models import Policy, PolicyRequest, StatusChange
    from oms_policy.numbers import request_number_generate

    region, company = bench_region()
    Policy.objects.create(
        holder=user, enp=BENCH_POLICY_NUMBER, insurance_company=company, region=region, issued_on="2020-03-01"
    )
    finals = [RequestStatus.POLICY_ISSUED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN, RequestStatus.EXPIRED]
    kinds = [ChangeKind.RENEWAL, ChangeKind.DATA_CORRECTION, ChangeKind.SMO_CHANGE]
    now = timezone.now()
    rows = []
    for index in range(count):
        if index == 0:
            status = RequestStatus.DOCUMENTS_REQUESTED  # the one open request
        elif index < 3:
            status = RequestStatus.DRAFT
        else:
            status = finals[index % len(finals)]
        submitted = status != RequestStatus.DRAFT
        rows.append(
            citizen_request_build(
                user=user,
                region=region,
                number=request_number_generate() if submitted else None,
                status=status,
                change_kind=ChangeKind.RENEWAL if index == 0 else kinds[index % len(kinds)],
                new_insurance_company=company,
                submitted_at=now - timedelta(days=index) if submitted else None,
                decided_at=now - timedelta(days=index) if status in finals else None,
                rejection_text="Фотография паспорта нечитаема." if status == RequestStatus.REJECTED else "",
            )
        )
    created = PolicyRequest.objects.bulk_create(rows)
    if not detailed:
        return None
    detail = created[0]
    path = [
        (RequestStatus.DRAFT, RequestStatus.SUBMITTED, ActorRole.CITIZEN, ""),
        (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, ActorRole.REVIEWER, ""),
        (
            RequestStatus.IN_REVIEW,
            RequestStatus.DOCUMENTS_REQUESTED,
            ActorRole.REVIEWER,
            "Загрузите страницу с регистрацией.",
        ),
        (RequestStatus.DOCUMENTS_REQUESTED, RequestStatus.IN_REVIEW, ActorRole.CITIZEN, ""),
        (
            RequestStatus.IN_REVIEW,
            RequestStatus.DOCUMENTS_REQUESTED,
            ActorRole.REVIEWER,
            "Скан размыт, загрузите снова.",
        ),
        (RequestStatus.DOCUMENTS_REQUESTED, RequestStatus.IN_REVIEW, ActorRole.CITIZEN, ""),
        (RequestStatus.IN_REVIEW, RequestStatus.DOCUMENTS_REQUESTED, ActorRole.REVIEWER, "Нужен текущий полис."),
        (RequestStatus.DOCUMENTS_REQUESTED, RequestStatus.IN_REVIEW, ActorRole.CITIZEN, ""),
        (RequestStatus.IN_REVIEW, RequestStatus.DOCUMENTS_REQUESTED, ActorRole.REVIEWER, "Нужен документ о причине."),
        (RequestStatus.DOCUMENTS_REQUESTED, RequestStatus.DOCUMENTS_REQUESTED, ActorRole.SYSTEM, "Срок продлён."),
    ]
    StatusChange.objects.bulk_create(
        StatusChange(
            request=detail,
            old_status=old,
            new_status=new,
            actor_role=role,
            actor=user if role == ActorRole.CITIZEN else None,
            comment=comment,
            at=now - timedelta(hours=len(path) - step),
        )
        for step, (old, new, role, comment) in enumerate(path)
    )
    slots = [
        DocumentSlot.PASSPORT_PHOTO,
        DocumentSlot.PASSPORT_REGISTRATION,
        DocumentSlot.CURRENT_POLICY,
        DocumentSlot.REASON_DOCUMENT,
        DocumentSlot.PASSPORT_REGISTRATION,
        DocumentSlot.REASON_DOCUMENT,
    ]
    for index, slot in enumerate(slots):
        token = secrets.token_hex(16)
        Document.objects.create(
            request=detail,
            slot=slot,
            uploaded_by=user,
            file=f"documents/{token[:2]}/{token}",
            original_name=f"скан-{index + 1}.jpg",
            content_type="image/jpeg",
            size=850_000 + index,
            status=DocumentStatus.FAILED if index == 1 else DocumentStatus.PASSED,
            verdict="Скан размыт: увеличьте резкость." if index == 1 else "",
            checked_at=now,
        )
    return detail.pk


def policy_and_chat_create(*, user) -> None:
    """The bench citizen's electronic policy, issued by the portal's own service (a real signed PDF,
    as «Мой полис» shows it), and a chat with support of 12 messages (the chat page)."""
    from django.utils import timezone

    from accounts.models import User
    from oms_policy.constants import ChangeKind, RequestStatus
    from oms_policy.numbers import request_number_generate
    from oms_policy.policy_services import policy_issue
    from support.constants import AuthorRole
    from support.models import Message
    from support.services import conversation_open

    now = timezone.now()
    region, company = bench_region()
    approved = citizen_request_build(
        user=user,
        region=region,
        number=request_number_generate(),
        status=RequestStatus.APPROVED,
        change_kind=ChangeKind.SMO_CHANGE,
        new_insurance_company=company,
        smo_change_reason="residence",
        submitted_at=now - timedelta(days=3),
        decided_at=now - timedelta(days=1),
    )
    approved.save(force_insert=True)  # as objects.create() saves
    policy_issue(request_id=approved.pk)
    operator = User.objects.create(
        email=f"operator-{secrets.token_hex(4)}@bench.invalid", first_name="Ольга", is_staff=True, password="!"
    )
    conversation = conversation_open(citizen=user)
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=index + 1,
            author=user if index % 2 == 0 else operator,
            author_role=AuthorRole.CITIZEN if index % 2 == 0 else AuthorRole.OPERATOR,
            text=f"Сообщение {index + 1}: когда придёт решение по заявке и где посмотреть полис?",
        )
        for index in range(12)
    )
    conversation.last_seq = conversation.citizen_read_seq = 12
    conversation.last_message_at, conversation.operator, conversation.taken_at = now, operator, now
    conversation.save(update_fields=["last_seq", "citizen_read_seq", "last_message_at", "operator", "taken_at"])


def notifications_create(*, user, count: int, unread: int) -> None:
    from django.utils import timezone

    from notifications.models import Notification

    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            event="request_status",
            title=f"Заявка: статус изменён ({index + 1})",
            body="Статус вашей заявки изменился. Откройте заявку, чтобы узнать подробности.",
            link="/requests/",
            created_at=now - timedelta(hours=index),
            read_at=None if index < unread else now,
        )
        for index in range(count)
    )


def submission_drafts_create(*, count: int) -> list[dict]:
    """`count` citizens, each with one draft ready for «Отправить заявку», a session and a CSRF secret.

    The draft is complete (policy number, personal data, a renewal in a region with an insurer) and
    its required scans have passed the check, so every POST really sends a request. Written with bulk
    inserts: a run needs thousands. Returns, per draft: the session key, the CSRF secret (cookie and
    form field alike: Django accepts the unmasked secret) and the draft's id.
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils import timezone

    from accounts.middleware import SESSION_LOGIN_AT_KEY, SESSION_REFRESHED_AT_KEY
    from accounts.models import User
    from documents.constants import DocumentStatus
    from documents.models import Document
    from oms_policy.constants import ChangeKind, RequestStatus
    from oms_policy.models import Policy, PolicyRequest
    from oms_policy.services import policy_request_document_slots

    tag = secrets.token_hex(4)
    now = timezone.now()
    region, company = bench_region()
    users = User.objects.bulk_create(
        citizen_build(
            email=f"submit-{tag}-{index}@bench.invalid",
            last_name="Петрова",
            first_name="Мария",
            patronymic="Ивановна",
            now=now,
        )
        for index in range(count)
    )
    Policy.objects.bulk_create(
        Policy(holder=user, enp=BENCH_POLICY_NUMBER, insurance_company=company, region=region, issued_on="2020-03-01")
        for user in users
    )
    drafts = PolicyRequest.objects.bulk_create(
        citizen_request_build(
            user=user,
            region=region,
            birth_date="1990-02-03",
            status=RequestStatus.DRAFT,
            change_kind=ChangeKind.RENEWAL,
            draft_step=5,  # the citizen has reached the check page («Проверьте и отправьте»)
        )
        for user in users
    )
    required, _optional = policy_request_document_slots(request=drafts[0])
    documents = []
    for draft, user in zip(drafts, users, strict=True):
        for slot in required:
            token = secrets.token_hex(16)
            documents.append(
                Document(
                    request=draft,
                    slot=slot,
                    uploaded_by=user,
                    file=f"documents/{token[:2]}/{token}",
                    original_name="скан.jpg",
                    content_type="image/jpeg",
                    size=900_000,
                    status=DocumentStatus.PASSED,
                    checked_at=now,
                )
            )
    Document.objects.bulk_create(documents)
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    expire = now + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    sessions, prepared = [], []
    for draft, user in zip(drafts, users, strict=True):
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "accounts.backends.LoginBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            SESSION_LOGIN_AT_KEY: now.timestamp(),
            # The citizen has just opened the check page, which refreshed the session: the POST that
            # follows within the minute does not write the session again (SessionRefreshMiddleware).
            SESSION_REFRESHED_AT_KEY: now.timestamp(),
        }
        sessions.append(Session(session_key=key, session_data=store_class().encode(data), expire_date=expire))
        prepared.append({"session": key, "csrf": _get_new_csrf_string(), "request_id": draft.pk})
    Session.objects.bulk_create(sessions)
    return prepared


def reviewers_create(*, count: int) -> list[dict]:
    """`count` reviewers who log into the admin as staff do: e-mail, password and a TOTP app.

    The TOTP key is returned so that the load test computes the codes as the app would (RFC 6238).
    """
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.constants import IdentityLevel, StaffGroup
    from accounts.models import User

    group = Group.objects.get(name=StaffGroup.REVIEWERS)
    tag = secrets.token_hex(4)
    people = []
    for index in range(count):
        password = secrets.token_urlsafe(18)
        user = User(
            email=f"reviewer-{tag}-{index}@bench.invalid",
            last_name="Проверяющая",
            first_name="Ольга",
            is_staff=True,
            identity_level=IdentityLevel.STANDARD,
        )
        user.set_password(password)
        user.save()
        user.groups.add(group)
        key = secrets.token_hex(20)
        TOTPDevice.objects.create(user=user, name="Приложение", confirmed=True, key=key)
        people.append({"email": user.email, "password": password, "totp_key": key})
    return people


def queue_fill(*, count: int) -> int:
    """`count` requests waiting in the reviewers' queue, sent through the real submission service."""
    from accounts.models import User
    from oms_policy.models import PolicyRequest
    from oms_policy.services import policy_request_submit

    drafts = submission_drafts_create(count=count)
    ids = [draft["request_id"] for draft in drafts]
    applicants = dict(PolicyRequest.objects.filter(pk__in=ids).values_list("pk", "applicant_id"))
    users = User.objects.in_bulk(list(applicants.values()))
    for request_id in ids:
        policy_request_submit(request_id=request_id, actor=users[applicants[request_id]], submit_key="bench-queue")
    return len(ids)


def dataset_load(*, load_citizens: int, reviewers: int = 0, queue: int = 0, submission_drafts: int = 0) -> dict:
    from django.conf import settings
    from django.db import transaction

    tag = secrets.token_hex(4)
    with transaction.atomic():
        citizen = citizen_create(tag=tag, index=0)
        request_id = requests_create(user=citizen, count=20, detailed=True)
        notifications_create(user=citizen, count=30, unread=5)
        policy_and_chat_create(user=citizen)
        load_sessions = []
        for index in range(1, load_citizens + 1):
            user = citizen_create(tag=tag, index=index)
            requests_create(user=user, count=3, detailed=False)
            notifications_create(user=user, count=5, unread=1)
            load_sessions.append(session_create(user=user))
        session = session_create(user=citizen)
        reviewer_logins = reviewers_create(count=reviewers) if reviewers else []
    queued = queue_fill(count=queue) if queue else 0
    drafts = submission_drafts_create(count=submission_drafts) if submission_drafts else []
    return {
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "reviewers": reviewer_logins,
        "queued": queued,
        "submission_drafts": drafts,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "session": session,
        "citizen_id": citizen.pk,
        "request_id": request_id,
        "load_sessions": load_sessions,
    }


def main() -> None:
    import django

    parser = argparse.ArgumentParser()
    parser.add_argument("--load-citizens", type=int, default=0)
    parser.add_argument("--reviewers", type=int, default=0, help="reviewers with a known TOTP key")
    parser.add_argument("--queue", type=int, default=0, help="requests sent into the reviewers' queue")
    parser.add_argument("--submission-drafts", type=int, default=0, help="N drafts ready to send")
    parser.add_argument("--drafts-only", action="store_true", help="only the submission drafts (bench.submission)")
    args = parser.parse_args()
    django.setup()
    if args.drafts_only:
        from django.conf import settings

        drafts = submission_drafts_create(count=args.submission_drafts)
        print(
            json.dumps(
                {
                    "session_cookie_name": settings.SESSION_COOKIE_NAME,
                    "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
                    "drafts": drafts,
                }
            )
        )
        return
    dataset = dataset_load(
        load_citizens=args.load_citizens,
        reviewers=args.reviewers,
        queue=args.queue,
        submission_drafts=args.submission_drafts,
    )
    print(json.dumps(dataset))


if __name__ == "__main__":
    main()
