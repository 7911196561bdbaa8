"""Writes for the electronic policy: issue the policy and its signed PDF when a request is approved.

`policy_issue` is called by `oms_policy.tasks.policy_issue_task`, which the transition service
schedules after commit when a request becomes «Одобрена»; `policy_issue_pending` is the beat sweep
for approvals whose task was lost.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from oms_policy.constants import ActorRole, ChangeKind, PolicyKind, PolicyStatus, RequestStatus
from oms_policy.models import InsuranceCompany, Policy, PolicyDocument, PolicyRequest, Region
from oms_policy.validators import enp_normalize, luhn_is_valid

logger = logging.getLogger(__name__)

# The fields of the holder a request may carry or correct, as they reach the policy.
PERSON_FIELDS = ("last_name", "first_name", "patronymic", "sex", "birth_date")


class PolicyIssueError(Exception):
    """The request cannot become a policy (no СМО works in its region): staff must look at it."""


def enp_generate(*, region_code: str) -> str:
    """A new ЕНП: the region's two digits, 13 random digits, and the Luhn check digit; unused so far."""
    while True:
        body = f"{region_code}{secrets.randbelow(10**13):013d}"
        enp = body + next(str(digit) for digit in range(10) if luhn_is_valid(f"{body}{digit}"))
        if not Policy.objects.filter(enp=enp).exists():
            return enp


def policy_verify_url(*, document_id) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("policy:verify", args=[str(document_id)])


def _person(*, request: PolicyRequest, holder) -> dict[str, str]:
    """The holder's data as the policy shows it: the request's, with its corrections applied."""
    from_request = bool(request.last_name)
    person: dict = {
        field: getattr(request, field) if from_request else getattr(holder, field) for field in PERSON_FIELDS
    }
    person["sex"] = person["sex"] or holder.sex
    person["birth_date"] = person["birth_date"] or holder.birth_date
    for field, change in (request.corrections or {}).items():
        if field in PERSON_FIELDS and isinstance(change, dict) and change.get("new"):
            person[field] = change["new"]
    birth_date = person["birth_date"]
    if isinstance(birth_date, datetime.date):
        person["birth_date"] = birth_date.isoformat()
    elif birth_date:
        person["birth_date"] = datetime.date.fromisoformat(str(birth_date)).isoformat()
    return {field: str(value or "") for field, value in person.items()}


def _insurance_company(*, request: PolicyRequest, old: Policy | None) -> InsuranceCompany:
    if request.new_insurance_company_id and (request.change_kind == ChangeKind.SMO_CHANGE or old is None):
        return request.new_insurance_company
    if old is not None:
        return old.insurance_company
    # A first policy without a chosen СМО: the first one working in the request's region.
    company = (
        InsuranceCompany.objects.filter(is_active=True, region=request.region_id).order_by("federal_code").first()
        if request.region_id
        else None
    )
    if company is None:
        raise PolicyIssueError(f"request {request.pk}: no insurance company for region {request.region_id}")
    return company


def _enp(*, request: PolicyRequest, old: Policy | None, region: Region, holder) -> str:
    # The ЕНП stays the same for life: a renewal, a correction or a new СМО keep it.
    if old is not None and old.kind == PolicyKind.UNIFIED and old.enp:
        return old.enp
    given = enp_normalize(request.current_policy_number)
    if request.current_policy_kind == PolicyKind.UNIFIED and len(given) == 16 and given.isdigit():
        taken_by_other = Policy.objects.filter(enp=given).exclude(holder=holder).exists()
        if luhn_is_valid(given) and not taken_by_other:
            return given
    return enp_generate(region_code=region.code)


def policy_issue(*, request_id: int) -> PolicyDocument | None:
    """Issue the policy and its signed PDF for an approved request, and move it to «Полис выдан».

    Before: the request is APPROVED (otherwise nothing happens and the request's existing document,
    if any, is returned: safe to run twice, and two runs at once queue on the request's row lock).
    After, in one transaction: the holder's active policy (if any) is «Заменён» and its current
    document marked replaced; a new active `Policy` (same ЕНП, or a new one from the region code) and
    one `PolicyDocument` (next version, the PDF in STORAGES["private"]) exist; the request is
    POLICY_ISSUED through `policy_request_transition` (which writes the citizen's notification).
    The PDF file is named after the request, so a retry after a worker killed between writing the
    file and committing overwrites the orphan: one file per version. Schedules no tasks.
    """
    from oms_policy.policy_pdf import content_digest, policy_pdf_render
    from oms_policy.services import policy_request_transition
    from oms_policy.signing import policy_pdf_sign

    with transaction.atomic():
        request = (
            PolicyRequest.objects.select_for_update(of=("self",))
            .select_related("new_insurance_company", "region")
            .get(pk=request_id)
        )
        if request.status != RequestStatus.APPROVED:
            return PolicyDocument.objects.filter(request=request).first()
        # One issue at a time per citizen: versions and the one-active-policy rule stay consistent.
        holder = get_user_model().objects.select_for_update().get(pk=request.applicant_id)
        old = (
            Policy.objects.select_for_update(of=("self",))
            .select_related("insurance_company", "region")
            .filter(holder=holder, status=PolicyStatus.ACTIVE)
            .first()
        )
        company = _insurance_company(request=request, old=old)
        region = request.region or (old.region if old is not None else company.region)
        if request.change_kind == ChangeKind.SMO_CHANGE and request.new_insurance_company_id:
            region = request.region or company.region
        enp = _enp(request=request, old=old, region=region, holder=holder)
        now = timezone.now()
        today = timezone.localdate(now)

        if old is not None:
            old.status = PolicyStatus.REPLACED
            old.save(update_fields=["status"])
        PolicyDocument.objects.filter(holder=holder, replaced_at=None).update(replaced_at=now)
        policy = Policy.objects.create(
            holder=holder,
            kind=PolicyKind.UNIFIED,
            enp=enp,
            insurance_company=company,
            region=region,
            issued_on=today,
            status=PolicyStatus.ACTIVE,
        )
        last = PolicyDocument.objects.filter(holder=holder).order_by("-version").values_list("version", flat=True)
        version = (last.first() or 0) + 1
        document = PolicyDocument(holder=holder, policy=policy, request=request, version=version, issued_at=now)
        document.content = {
            "enp": enp,
            **_person(request=request, holder=holder),
            "insurance_company_name": company.name,
            "insurance_company_code": company.federal_code,
            "region_name": region.name,
            "region_code": region.code,
            "issued_on": today.isoformat(),
            "version": version,
        }
        document.content_sha256 = content_digest(document_id=str(document.id), content=document.content)

        started = time.perf_counter()
        pdf = policy_pdf_render(
            content=document.content,
            document_id=str(document.id),
            content_sha256=document.content_sha256,
            verify_url=policy_verify_url(document_id=document.id),
        )
        rendered = time.perf_counter()
        signed = policy_pdf_sign(pdf=pdf, document_id=str(document.id))
        logger.info(
            "policy PDF for request %s: rendered in %.0f ms, signed in %.0f ms",
            request.pk,
            (rendered - started) * 1000,
            (time.perf_counter() - rendered) * 1000,
        )
        document.sha256 = hashlib.sha256(signed).hexdigest()
        name = f"policies/{holder.pk}/request-{request.pk}.pdf"
        storage = storages["private"]
        if storage.exists(name):  # left by a run that died before its commit: nothing refers to it
            storage.delete(name)
        document.file.name = storage.save(name, ContentFile(signed))
        pause = getattr(settings, "POLICY_ISSUE_TEST_PAUSE_SECONDS", 0)  # defined only in test settings
        if pause:
            time.sleep(pause)
        document.save(force_insert=True)
        policy_request_transition(
            request_id=request.pk, new_status=RequestStatus.POLICY_ISSUED, role=ActorRole.SYSTEM, actor=None
        )
    return document


def policy_issue_pending(*, older_than_seconds: int | None = None, limit: int = 200) -> list[int]:
    """The sweep: enqueue `policy_issue_task` again for approved requests that still have no policy.

    A task is lost when the broker was down at commit time, or sits unacknowledged after a worker
    died. Requests decided less than POLICY_ISSUE_SWEEP_AFTER_SECONDS ago are left to their own task.
    Safe to run any time: the task does nothing for a request that is no longer APPROVED.
    Returns the ids it enqueued.
    """
    from oms_policy.tasks import policy_issue_task

    if older_than_seconds is None:
        older_than_seconds = settings.POLICY_ISSUE_SWEEP_AFTER_SECONDS
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        PolicyRequest.objects.filter(status=RequestStatus.APPROVED, decided_at__lte=cutoff)
        .order_by("decided_at")
        .values_list("pk", flat=True)[:limit]
    )
    for request_id in ids:
        try:
            policy_issue_task.delay(request_id)
        except Exception:  # broker down: the next sweep tries again
            logger.exception("could not enqueue policy_issue_task(%s)", request_id)
    return ids


def policy_issue_warm_up() -> None:
    """Render and sign one throw-away extract, so that a fresh worker's first real policy is fast.

    Imports WeasyPrint and pyHanko, loads the fonts and the signing key, builds the URL resolver.
    Writes nothing and opens no database connection (prefork children inherit what this loads).
    """
    from oms_policy import events, services  # noqa: F401 - imported for their import cost
    from oms_policy.policy_pdf import policy_pdf_render
    from oms_policy.signing import policy_pdf_sign

    policy_verify_url(document_id="00000000-0000-4000-8000-000000000000")

    document_id = "00000000-0000-4000-8000-000000000000"
    # A realistic extract: WeasyPrint's glyph and layout caches fill with what real ones need.
    content = {
        "enp": "0000000000000000",
        "last_name": "Константинопольская",
        "first_name": "Александра",
        "patronymic": "Вячеславовна",
        "sex": "female",
        "birth_date": "1990-01-01",
        "insurance_company_name": "СОГАЗ-Мед АльфаСтрахование-ОМС Ингосстрах-М РЕСО-Мед МАКС-М",
        "insurance_company_code": "00000",
        "region_name": "Московская область",
        "region_code": "00",
        "issued_on": "2026-01-01",
        "version": 0,
    }
    pdf = policy_pdf_render(content=content, document_id=document_id, content_sha256="0" * 64, verify_url="/")
    policy_pdf_sign(pdf=pdf, document_id=document_id)
