"""Identity confirmation by video: submit, decide, and forget the video after the retention period.

Every move of IdentityVerification.status goes through this module. The only allowed moves are
pending -> confirmed and pending -> refused, made by a staff member with the
``accounts.change_identityverification`` permission (the «identity_verifiers» group).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.constants import AuditEventKind, IdentityLevel, VerificationStatus
from accounts.models import IdentityVerification, User
from accounts.security.crypto import snils_lookup_hash
from accounts.services import audit_record
from accounts.validators import snils_normalize
from documents.kept_uploads import KeptUploads
from notifications.services import notify

logger = logging.getLogger(__name__)

# (from, to) -> the permission the actor needs. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (VerificationStatus.PENDING, VerificationStatus.CONFIRMED): "accounts.change_identityverification",
    (VerificationStatus.PENDING, VerificationStatus.REFUSED): "accounts.change_identityverification",
}

REFUSAL_REASON_MAX_LENGTH = 1000

# A video that arrived with a form that had other mistakes waits here (private storage) so the
# citizen does not have to record it again; unsent ones are removed after a day.
UNSENT_VIDEOS = KeptUploads(
    directory="verification/unsent",
    salt="accounts.identity-video-unsent",
    token_max_age=datetime.timedelta(hours=2),
    keep_for=datetime.timedelta(days=1),
)


@dataclass(frozen=True)
class IdentityData:
    """What the citizen typed, already checked for shape by the form."""

    passport_series: str
    passport_number: str
    passport_issued_at: datetime.date
    passport_division_code: str
    snils: str
    video_content_type: str


class VerificationAlreadyDecided(ValidationError):
    """The row is not pending any more: somebody decided it first (or it was never pending)."""


def identity_verification_submit(
    *, user: User, video: UploadedFile, data: IdentityData, request: HttpRequest | None
) -> IdentityVerification:
    """Store the video (private storage) and the passport data as a pending verification.

    Before: the account is «стандартная» (phone and e-mail confirmed) and has no pending
    verification. Raises ValidationError otherwise. Records IDENTITY_SUBMITTED in the audit log
    (the verification id only: never the passport or SNILS numbers).
    """
    if user.identity_level == IdentityLevel.CONFIRMED:
        raise ValidationError(_("Ваша учётная запись уже подтверждена."), code="already_confirmed")
    if user.identity_level != IdentityLevel.STANDARD:
        raise ValidationError(
            _("Сначала подтвердите телефон и e-mail: видеоверификация доступна для стандартной учётной записи."),
            code="not_standard",
        )
    try:
        with transaction.atomic():
            # Lock the account so that two quick submissions are decided here, not by the constraint.
            User.objects.select_for_update().filter(pk=user.pk).first()
            if IdentityVerification.objects.filter(user=user, status=VerificationStatus.PENDING).exists():
                raise ValidationError(
                    _("Вы уже отправили видео, оно на проверке. Дождитесь решения."), code="already_pending"
                )
            verification = IdentityVerification(
                user=user,
                passport_series=data.passport_series,
                passport_number=data.passport_number,
                passport_issued_at=data.passport_issued_at,
                passport_division_code=data.passport_division_code,
                snils=data.snils,
                video_content_type=data.video_content_type,
                video_size=video.size or 0,
            )
            extension = "webm" if data.video_content_type == "video/webm" else "mp4"
            # The stored name never carries what the citizen called the file.
            verification.video.save(f"identity-{user.pk}.{extension}", video, save=False)
            verification.save()
            audit_record(
                kind=AuditEventKind.IDENTITY_SUBMITTED,
                request=request,
                actor=user,
                subject=user,
                details={"verification_id": verification.pk, "video_size": verification.video_size},
            )
    except IntegrityError:
        raise ValidationError(
            _("Вы уже отправили видео, оно на проверке. Дождитесь решения."), code="already_pending"
        ) from None
    return verification


def identity_video_keep_unsent(*, user: User, video: UploadedFile, content_type: str) -> str:
    """Keep a checked video whose form had other mistakes; return a signed token for the form.

    The token names the file and the account, so it is useless to anybody else, and expires. A
    citizen has at most one kept video: keeping a new one deletes the previous one.
    """
    extension = "webm" if content_type == "video/webm" else "mp4"
    return UNSENT_VIDEOS.keep(owner=f"user{user.pk}", file=video, extension=extension, content_type=content_type)


def identity_video_unsent(*, user: User, token: str) -> tuple[File, str] | None:
    """The kept video for `token` as (file, content type), or None if the token is bad, old or foreign."""
    return UNSENT_VIDEOS.get(owner=f"user{user.pk}", token=token)


def identity_video_unsent_name(*, user: User) -> str | None:
    """The storage name of the citizen's one kept video (identity_video_keep_unsent keeps one), or None."""
    return UNSENT_VIDEOS.name_for(owner=f"user{user.pk}")


def identity_video_unsent_delete(*, video: File) -> None:
    """Remove a kept video once it has been copied into a verification."""
    UNSENT_VIDEOS.delete(file=video)


def _decide(
    *,
    verification: IdentityVerification,
    verifier: User,
    new_status: VerificationStatus,
    reason: str,
) -> IdentityVerification:
    permission = TRANSITIONS.get((VerificationStatus.PENDING, new_status))
    if permission is None or not verifier.is_active or not verifier.is_staff or not verifier.has_perm(permission):
        raise PermissionDenied(_("У вас нет права принимать решения по видеоверификации."))
    locked = (
        IdentityVerification.objects.select_for_update()
        .select_related("user")
        .filter(pk=verification.pk, status=VerificationStatus.PENDING)
        .first()
    )
    if locked is None:
        raise VerificationAlreadyDecided(
            _("Решение по этой заявке уже принято, повторное решение не сохранено."), code="already_decided"
        )
    if locked.user_id == verifier.pk:
        raise PermissionDenied(_("Нельзя принимать решение по собственной видеоверификации."))
    locked.status = new_status
    locked.verifier = verifier
    locked.decided_at = timezone.now()
    locked.refusal_reason = reason
    locked.save(update_fields=["status", "verifier", "decided_at", "refusal_reason"])
    return locked


def identity_verification_confirm(
    *, verification: IdentityVerification, verifier: User, request: HttpRequest | None
) -> IdentityVerification:
    """pending -> confirmed; the account becomes «подтверждённая» and takes the checked SNILS.

    Raises PermissionDenied for an actor without the verifier's permission, and
    VerificationAlreadyDecided (a ValidationError) when the row is no longer pending; nothing
    changes then. Notifies the citizen (inbox, e-mail, SMS after commit) and records
    IDENTITY_CONFIRMED.
    """
    with transaction.atomic():
        decided = _decide(
            verification=verification, verifier=verifier, new_status=VerificationStatus.CONFIRMED, reason=""
        )
        citizen = User.objects.select_for_update().get(pk=decided.user_id)
        if snils_held_by_another(user=citizen, snils=decided.snils):
            # Another account already holds this SNILS: confirming would hand one person's
            # number to two accounts. The verifier refuses instead (and support investigates).
            raise ValidationError(
                _("Этот СНИЛС уже указан в другой учётной записи. Подтверждение невозможно, откажите с причиной."),
                code="snils_taken",
            )
        now = decided.decided_at
        citizen.identity_level = IdentityLevel.CONFIRMED
        citizen.identity_confirmed_at = now
        citizen.snils = decided.snils
        citizen.save(update_fields=["identity_level", "identity_confirmed_at", "snils"])
        decided.user = citizen
        audit_record(
            kind=AuditEventKind.IDENTITY_CONFIRMED,
            request=request,
            actor=verifier,
            subject=citizen,
            details={"verification_id": decided.pk},
        )
        notify(
            user=citizen,
            event="identity_confirmed",
            context={"verification": decided},
            dedupe_key=f"identity_confirmed:{decided.pk}",
            link=reverse("accounts:identity"),
        )
    return decided


def snils_held_by_another(*, user: User, snils: str | None) -> bool:
    """Whether another account holds this SNILS (found by its lookup hash: the column is encrypted)."""
    digest = snils_lookup_hash(snils)
    return digest is not None and User.objects.filter(snils_hash=digest).exclude(pk=user.pk).exists()


def snils_taken_check(*, user: User, snils: str | None) -> None:
    """Raise ValidationError "snils_taken" when another account holds `snils`; for staff only."""
    if snils_held_by_another(user=user, snils=snils):
        raise ValidationError(_("Этот СНИЛС уже указан в другой учётной записи."), code="snils_taken")


def mask_snils(snils: str | None) -> str:
    """112-233-445 95 -> ***-***-*** 95: the check digits only, as the audit log may show."""
    digits = snils_normalize(snils or "")
    return f"***-***-*** {digits[-2:]}" if len(digits) == 11 else "—"


def snils_change_by_staff(*, user: User, snils: str, actor: User, request: HttpRequest | None) -> User:
    """A staff member corrects (or removes) a citizen's SNILS from the admin.

    Before: `actor` holds accounts.change_user (the admin checked it) and `snils` passed
    validate_snils or is empty. The citizen's own way to a SNILS is the video verification
    (identity_verification_confirm), which refuses one held by another account: so does this
    (ValidationError "snils_taken"). Changes: the SNILS, encrypted, and its lookup hash
    (User.save keeps them in step); the identity level stays — the staff member answers for the
    correction, and the audit row (SNILS_CHANGED, masked old and new) says who made it. The
    citizen is told in the inbox, by e-mail and by SMS. A value equal to the current one changes
    nothing.
    """
    snils = snils_normalize(snils or "") or None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old = snils_normalize(user.snils or "") or None
        if old == snils:
            return user
        snils_taken_check(user=user, snils=snils)
        user.snils = snils
        try:
            with transaction.atomic():
                user.save(update_fields=["snils"])
        except IntegrityError:
            raise ValidationError(_("Этот СНИЛС уже указан в другой учётной записи."), code="snils_taken") from None
        event = audit_record(
            kind=AuditEventKind.SNILS_CHANGED,
            request=request,
            actor=actor,
            subject=user,
            details={"field": "snils", "old": mask_snils(old), "new": mask_snils(snils), "source": "admin"},
        )
        notify(
            user=user,
            event="snils_changed",
            context={"new_masked": mask_snils(snils), "removed": snils is None},
            dedupe_key=f"snils_changed:audit-{event.pk}",
        )
    return user


def identity_verification_refuse(
    *, verification: IdentityVerification, verifier: User, reason: str, request: HttpRequest | None
) -> IdentityVerification:
    """pending -> refused with a reason the citizen will read; they may submit again.

    Same guards as identity_verification_confirm; an empty reason is a ValidationError. Notifies
    the citizen with the reason and records IDENTITY_REFUSED (without the reason's text, which a
    verifier might fill with passport details).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Укажите причину отказа: гражданин увидит её и сможет исправить."), code="required")
    if len(reason) > REFUSAL_REASON_MAX_LENGTH:
        raise ValidationError(
            _("Причина отказа — не длиннее %(limit)d символов.") % {"limit": REFUSAL_REASON_MAX_LENGTH},
            code="max_length",
        )
    with transaction.atomic():
        decided = _decide(
            verification=verification, verifier=verifier, new_status=VerificationStatus.REFUSED, reason=reason
        )
        audit_record(
            kind=AuditEventKind.IDENTITY_REFUSED,
            request=request,
            actor=verifier,
            subject=decided.user,
            details={"verification_id": decided.pk},
        )
        notify(
            user=decided.user,
            event="identity_refused",
            context={"verification": decided, "reason": reason},
            dedupe_key=f"identity_refused:{decided.pk}",
            link=reverse("accounts:identity"),
        )
    return decided


def identity_video_delete(*, verification_id: int, now: datetime.datetime | None = None) -> bool:
    """Delete one decided verification's video from storage, empty its passport data, remember when.

    Safe to run twice: a pending row, or one whose video is already gone, is left alone (False).
    The row is emptied first and the file deleted after that transaction, so a crash can only
    leave an orphan file in private storage, never a row pointing at a missing file.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            IdentityVerification.objects.select_for_update(skip_locked=True)
            .filter(pk=verification_id, decided_at__isnull=False, video_deleted_at__isnull=True)
            .exclude(status=VerificationStatus.PENDING)
            .first()
        )
        if row is None:
            return False
        name = row.video.name
        storage = row.video.storage
        row.video = ""
        row.video_deleted_at = now
        # The passport data and SNILS typed with the video are kept exactly as long as the video:
        # a confirmed SNILS lives on in the account, the rest is needed only for a dispute.
        row.passport_series = row.passport_number = row.passport_division_code = row.snils = ""
        row.save(
            update_fields=[
                "video",
                "video_deleted_at",
                "passport_series",
                "passport_number",
                "passport_division_code",
                "snils",
            ]
        )
    if name:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("could not delete identity video of verification %s", verification_id)
    return True


def identity_video_purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete the videos of verifications decided more than IDENTITY_VIDEO_RETENTION_DAYS ago.

    Pending verifications are never touched. Kept videos of abandoned forms older than a day go
    too. Returns how many files were deleted (0 on a rerun).
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.IDENTITY_VIDEO_RETENTION_DAYS)
    ids = list(
        IdentityVerification.objects.filter(decided_at__lt=cutoff, video_deleted_at__isnull=True)
        .exclude(status=VerificationStatus.PENDING)
        .values_list("pk", flat=True)
    )
    deleted = sum(identity_video_delete(verification_id=pk, now=now) for pk in ids)
    return deleted + UNSENT_VIDEOS.purge(now=now)
