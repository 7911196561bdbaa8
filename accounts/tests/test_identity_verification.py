"""Identity confirmation by video: the citizen's upload, the verifier's decision, the retention."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.constants import AuditEventKind, IdentityLevel, VerificationStatus
from accounts.models import AuditEvent, IdentityVerification
from accounts.tasks import identity_video_purge_task
from accounts.tests.admin_helpers import (
    MP4_BYTES,
    VALID_SNILS,
    WEBM_BYTES,
    standard_citizen_make,
    verification_make,
    verified_staff_client,
    webm_sample_of_size,
)
from accounts.tests.factories import CitizenFactory
from accounts.verification.services import (
    identity_verification_confirm,
    identity_verification_refuse,
    identity_video_purge_expired,
)
from notifications.models import OutboundMessage

IDENTITY_URL = "/accounts/identity/"
WRONG_TYPE_MESSAGE = "Это не видео в формате WebM или MP4. Запишите видео на этой странице или выберите другой файл."
SNILS_CHECKSUM_MESSAGE = "В номере СНИЛС ошибка: контрольное число не совпадает. Проверьте цифры."


def form_data(**overrides) -> dict:
    data = {
        "passport_series": "45 10",
        "passport_number": "123456",
        "passport_issued_at": "2015-03-15",
        "passport_division_code": "770-001",
        "snils": "112-233-445 95",
    }
    data.update(overrides)
    return data


def webm_upload(content: bytes = WEBM_BYTES, name: str = "запись.webm", content_type: str = "video/webm"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def applicant(db):
    return standard_citizen_make(last_name="Соколова", first_name="Мария", patronymic="Ивановна")


@pytest.fixture
def applicant_client(client, applicant):
    client.force_login(applicant)
    return client


# --- the citizen's page ---------------------------------------------------------------------------


def test_identity_url_is_in_the_accounts_namespace():
    assert reverse("accounts:identity") == IDENTITY_URL


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(IDENTITY_URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={IDENTITY_URL}"


def test_page_explains_and_shows_the_form_to_a_standard_account(applicant_client):
    response = applicant_client.get(IDENTITY_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Откройте паспорт на странице с фотографией." in html
    assert 'id="video-recorder"' in html and "js/identity-video.js" in html
    assert 'name="video"' in html and 'accept="video/webm,video/mp4"' in html
    assert 'enctype="multipart/form-data"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_valid_webm_upload_creates_one_pending_verification(
    applicant_client, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": webm_upload()})
    assert response.status_code == 302
    assert response["Location"] == IDENTITY_URL
    verification = IdentityVerification.objects.get(user=applicant)
    assert verification.status == VerificationStatus.PENDING
    assert (
        verification.passport_series,
        verification.passport_number,
        verification.passport_issued_at,
        verification.passport_division_code,
        verification.snils,
    ) == ("4510", "123456", datetime.date(2015, 3, 15), "770-001", VALID_SNILS)
    assert verification.video_content_type == "video/webm"
    assert verification.video_size == len(WEBM_BYTES)
    # Stored in the private storage under a name that does not carry the citizen's file name.
    assert verification.video.name.startswith("verification/")
    assert verification.video.name.endswith(f"identity-{applicant.pk}.webm")
    assert default_storage.path(verification.video.name).startswith(
        str(settings.STORAGES["default"]["OPTIONS"]["location"])
    )
    with default_storage.open(verification.video.name, "rb") as stored:
        assert stored.read() == WEBM_BYTES
    event = AuditEvent.objects.get(kind=AuditEventKind.IDENTITY_SUBMITTED)
    assert (event.actor, event.subject) == (applicant, applicant)
    assert event.details == {"verification_id": verification.pk, "video_size": len(WEBM_BYTES)}
    page = applicant_client.get(IDENTITY_URL).content.decode()
    assert "Статус проверки: На проверке" in page
    assert 'name="video"' not in page  # one pending verification at a time


def test_mp4_is_recognised_by_its_bytes_not_its_name(applicant_client, applicant):
    upload = webm_upload(MP4_BYTES, name="video.webm", content_type="video/webm")
    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": upload})
    assert response.status_code == 302
    verification = IdentityVerification.objects.get(user=applicant)
    assert verification.video_content_type == "video/mp4"
    assert verification.video.name.endswith(".mp4")


def test_the_default_video_limit_is_50_mb():
    from portal.settings import base

    assert base.IDENTITY_VIDEO_MAX_BYTES == 50 * 1024 * 1024
    assert settings.IDENTITY_VIDEO_MAX_BYTES == 50 * 1024 * 1024


def test_a_video_over_the_limit_is_refused_and_typed_values_kept(applicant_client, applicant, settings):
    settings.IDENTITY_VIDEO_MAX_BYTES = 2048
    big = WEBM_BYTES[:4] + b"\x00" * 2045
    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": webm_upload(big)})
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert list(errors) == ["video"]
    assert errors["video"][0].code == "too_large"
    assert errors["video"][0].messages == ["Файл больше 2,0\xa0КБ. Запишите видео короче или сожмите файл."]
    html = response.content.decode()
    assert 'value="45 10"' in html and 'value="112-233-445 95"' in html and 'value="2015-03-15"' in html
    assert IdentityVerification.objects.count() == 0


def test_a_video_cut_off_while_streaming_gets_the_size_message_not_required(applicant_client, applicant, settings):
    """documents.uploads drops the file before it reaches the disk; the form still says why."""
    settings.IDENTITY_VIDEO_MAX_BYTES = 2048
    settings.UPLOAD_MAX_BYTES = 2048
    big = WEBM_BYTES[:4] + b"\x00" * 4000
    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": webm_upload(big)})
    assert response.status_code == 200
    assert response.wsgi_request.oversized_uploads == {"video"}
    assert "video" not in response.wsgi_request.FILES
    errors = response.context["form"].errors.as_data()
    assert list(errors) == ["video"]
    assert errors["video"][0].code == "too_large"
    html = response.content.decode()
    assert 'value="45 10"' in html and 'value="112-233-445 95"' in html
    assert IdentityVerification.objects.count() == 0


def test_a_video_at_the_limit_is_accepted(applicant_client, applicant, settings):
    settings.IDENTITY_VIDEO_MAX_BYTES = 2048
    exact = webm_sample_of_size(2048)
    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": webm_upload(exact)})
    assert response.status_code == 302
    assert IdentityVerification.objects.get(user=applicant).video_size == 2048


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"%PDF-1.7\n" + b"\x00" * 100, b"RIFF\x00\x00\x00\x00AVI " + b"\x00" * 50],
    ids=["png", "pdf", "avi"],
)
def test_wrong_magic_bytes_are_refused_whatever_the_name_says(applicant_client, content):
    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": webm_upload(content)})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<div class="error-message" id="id_video-error"><p>{WRONG_TYPE_MESSAGE}</p></div>' in html
    assert IdentityVerification.objects.count() == 0


def test_snils_checksum_error_is_shown_next_to_the_field(applicant_client):
    response = applicant_client.post(IDENTITY_URL, {**form_data(snils="112-233-445 96"), "video": webm_upload()})
    assert response.status_code == 200
    assert response.context["form"].errors == {"snils": [SNILS_CHECKSUM_MESSAGE]}
    html = response.content.decode()
    assert f'<div class="error-message" id="id_snils-error"><p>{SNILS_CHECKSUM_MESSAGE}</p></div>' in html
    assert 'value="112-233-445 96"' in html
    assert 'aria-describedby="id_snils-hint id_snils-error"' in html
    assert 'aria-invalid="true"' in html
    assert f'<a href="#id_snils">СНИЛС: {SNILS_CHECKSUM_MESSAGE}</a>' in html  # the error summary
    assert IdentityVerification.objects.count() == 0


def test_a_good_video_is_kept_when_other_fields_have_mistakes(applicant_client, applicant, settings):
    """The citizen fixes the SNILS and sends again without recording the video a second time."""
    response = applicant_client.post(IDENTITY_URL, {**form_data(snils="112-233-445 96"), "video": webm_upload()})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_kept_video
    token = form.data["video_token"]
    html = response.content.decode()
    assert f'name="video_token" value="{token}"' in html
    assert 'id="identity-video-kept"' in html
    kept_files = default_storage.listdir("verification/unsent")[1]
    assert len(kept_files) == 1

    # Somebody else's session cannot use the token.
    stranger = CitizenFactory(identity_level=IdentityLevel.STANDARD, identity_confirmed_at=None, snils=None)
    from django.test import Client

    other = Client()
    other.force_login(stranger)
    refused = other.post(IDENTITY_URL, {**form_data(), "video_token": token})
    assert refused.context["form"].errors == {"video": ["Запишите видео или выберите файл с видео."]}

    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video_token": token})
    assert response.status_code == 302
    verification = IdentityVerification.objects.get(user=applicant)
    with default_storage.open(verification.video.name, "rb") as stored:
        assert stored.read() == WEBM_BYTES
    assert verification.video_content_type == "video/webm"
    assert default_storage.listdir("verification/unsent")[1] == []


def test_kept_videos_of_abandoned_forms_are_purged_after_a_day(applicant_client):
    applicant_client.post(IDENTITY_URL, {**form_data(snils="1"), "video": webm_upload()})
    assert len(default_storage.listdir("verification/unsent")[1]) == 1
    assert identity_video_purge_expired() == 0
    assert identity_video_purge_expired(now=timezone.now() + datetime.timedelta(days=1, minutes=1)) == 1
    assert default_storage.listdir("verification/unsent")[1] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("passport_series", "451", "Серия паспорта — 4 цифры, например 45 10."),
        ("passport_number", "12345", "Номер паспорта — 6 цифр."),
        ("passport_division_code", "77-0001", "Код подразделения — 6 цифр в виде 770-001."),
        (
            "passport_issued_at",
            "1997-09-30",
            "Паспорта нынешнего образца выдают с 1 октября 1997 года. Проверьте дату.",
        ),
        # The factory's birth date is 17.05.1985: the 14th birthday is 17.05.1999.
        (
            "passport_issued_at",
            "1999-05-16",
            "Паспорт выдают с 14 лет, а эта дата раньше вашего 14-летия. Проверьте дату.",
        ),
        ("passport_issued_at", "15.13.2015", "Введите дату в виде ДД.ММ.ГГГГ, например 15.03.2015."),
    ],
)
def test_passport_fields_are_checked(applicant_client, field, value, message):
    response = applicant_client.post(IDENTITY_URL, {**form_data(**{field: value}), "video": webm_upload()})
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert IdentityVerification.objects.count() == 0


def test_issue_date_in_the_future_is_refused(applicant_client):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = applicant_client.post(IDENTITY_URL, {**form_data(passport_issued_at=tomorrow), "video": webm_upload()})
    assert response.context["form"].errors == {"passport_issued_at": ["Дата выдачи не может быть в будущем."]}


def test_issue_date_on_the_14th_birthday_and_in_russian_format_is_accepted(applicant_client, applicant):
    response = applicant_client.post(
        IDENTITY_URL, {**form_data(passport_issued_at="17.05.1999"), "video": webm_upload()}
    )
    assert response.status_code == 302
    assert IdentityVerification.objects.get(user=applicant).passport_issued_at == datetime.date(1999, 5, 17)


def test_a_simplified_account_cannot_submit(client, db):
    user = CitizenFactory(
        identity_level=IdentityLevel.SIMPLIFIED, email_confirmed_at=None, identity_confirmed_at=None, snils=None
    )
    client.force_login(user)
    page = client.get(IDENTITY_URL).content.decode()
    assert "Видеоверификация доступна после подтверждения телефона и e-mail." in page
    assert 'name="video"' not in page
    response = client.post(IDENTITY_URL, {**form_data(), "video": webm_upload()})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Сначала подтвердите телефон и e-mail: видеоверификация доступна для стандартной учётной записи."
    ]
    assert IdentityVerification.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    assert not default_storage.exists("verification")


def test_a_confirmed_account_cannot_submit_again(client, citizen):
    client.force_login(citizen)
    page = client.get(IDENTITY_URL).content.decode()
    assert "Ваша учётная запись подтверждена." in page
    response = client.post(IDENTITY_URL, {**form_data(), "video": webm_upload()})
    assert response.context["form"].non_field_errors() == ["Ваша учётная запись уже подтверждена."]
    assert IdentityVerification.objects.count() == 0


def test_only_one_pending_verification_at_a_time(applicant_client, applicant):
    verification_make(user=applicant)
    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": webm_upload()})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Вы уже отправили видео, оно на проверке. Дождитесь решения."
    ]
    assert IdentityVerification.objects.filter(user=applicant).count() == 1


# --- the verifier's decision in the admin ------------------------------------------------------------


def test_verifier_confirms_in_the_admin(
    applicant, verifier, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    verification = verification_make(user=applicant)
    staff = verified_staff_client(verifier)
    change_page = staff.get(reverse("admin:accounts_identityverification_change", args=[verification.pk]))
    assert change_page.status_code == 200
    html = change_page.content.decode()
    video_url = reverse("admin:accounts_identityverification_video", args=[verification.pk])
    assert f'src="{video_url}"' in html
    assert 'id="identity-confirm-form"' in html and 'id="identity-refuse-form"' in html
    assert 'name="_save"' not in html

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("admin:accounts_identityverification_confirm", args=[verification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_identityverification_changelist")

    verification.refresh_from_db()
    applicant.refresh_from_db()
    assert verification.status == VerificationStatus.CONFIRMED
    assert verification.verifier == verifier
    assert verification.decided_at is not None
    assert applicant.identity_level == IdentityLevel.CONFIRMED
    assert applicant.identity_confirmed_at == verification.decided_at
    assert applicant.snils == VALID_SNILS

    outbound = OutboundMessage.objects.filter(user=applicant, event="identity_confirmed")
    assert sorted(outbound.values_list("channel", "status")) == [("email", "sent"), ("sms", "sent")]
    assert sms_outbox == [
        {
            "to": applicant.phone.as_e164,
            "text": "Портал ОМС: личность подтверждена, учётная запись стала подтверждённой. "
            "Теперь можно подавать заявления.",
        }
    ]
    assert [mail.subject for mail in mailoutbox] == ["Личность подтверждена — Портал ОМС"]
    assert applicant.notifications.get(event="identity_confirmed").link == IDENTITY_URL
    event = AuditEvent.objects.get(kind=AuditEventKind.IDENTITY_CONFIRMED)
    assert (event.actor, event.subject, event.details) == (verifier, applicant, {"verification_id": verification.pk})

    citizen_client = verified_staff_client(applicant)  # any logged-in session will do for the page
    page = citizen_client.get(IDENTITY_URL).content.decode()
    assert "Статус проверки: Подтверждено" in page


def test_verifier_refuses_with_a_reason(
    applicant, verifier, sms_outbox, mailoutbox, client, django_capture_on_commit_callbacks
):
    verification = verification_make(user=applicant)
    staff = verified_staff_client(verifier)
    reason = "Паспорт в кадре не в фокусе, не читается дата выдачи."
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:accounts_identityverification_refuse", args=[verification.pk]), {"reason": reason}
        )
    assert response.status_code == 302
    verification.refresh_from_db()
    applicant.refresh_from_db()
    assert (verification.status, verification.refusal_reason, verification.verifier) == (
        VerificationStatus.REFUSED,
        reason,
        verifier,
    )
    assert verification.decided_at is not None
    assert applicant.identity_level == IdentityLevel.STANDARD
    assert applicant.snils is None
    assert sms_outbox == [
        {
            "to": applicant.phone.as_e164,
            "text": "Портал ОМС: в подтверждении личности отказано. Причина и как отправить видео заново — "
            "в личном кабинете.",
        }
    ]
    assert len(mailoutbox) == 1 and f"Причина: {reason}" in mailoutbox[0].body
    event = AuditEvent.objects.get(kind=AuditEventKind.IDENTITY_REFUSED)
    assert (event.actor, event.subject, event.details) == (verifier, applicant, {"verification_id": verification.pk})

    client.force_login(applicant)
    page = client.get(IDENTITY_URL).content.decode()
    assert "Статус проверки: Отказано" in page
    assert f'<span id="identity-refusal-reason">{reason}</span>' in page
    assert 'id="identity-resubmit"' in page and 'name="video"' not in page
    resubmit = client.get(f"{IDENTITY_URL}?resubmit=1").content.decode()
    assert 'name="video"' in resubmit
    response = client.post(IDENTITY_URL, {**form_data(), "video": webm_upload()})
    assert response.status_code == 302
    assert list(
        IdentityVerification.objects.filter(user=applicant).order_by("pk").values_list("status", flat=True)
    ) == [VerificationStatus.REFUSED, VerificationStatus.PENDING]


def test_refusal_without_a_reason_changes_nothing(applicant, verifier):
    verification = verification_make(user=applicant)
    staff = verified_staff_client(verifier)
    response = staff.post(
        reverse("admin:accounts_identityverification_refuse", args=[verification.pk]), {"reason": "  "}
    )
    # The change page again, the error next to the reason field (not a redirect that loses it).
    assert response.status_code == 200
    assert response.context["refusal_form"].errors == {"reason": ["Укажите причину отказа — её увидит гражданин."]}
    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_reason-error"><li>Укажите причину отказа — её увидит гражданин.</li></ul>' in html
    )
    assert 'aria-describedby="id_reason-hint id_reason-error"' in html
    assert 'aria-invalid="true"' in html
    verification.refresh_from_db()
    assert (verification.status, verification.verifier, verification.decided_at) == (
        VerificationStatus.PENDING,
        None,
        None,
    )
    assert AuditEvent.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_a_second_decision_on_a_decided_row_changes_nothing(applicant, verifier, django_capture_on_commit_callbacks):
    verification = verification_make(user=applicant)
    staff = verified_staff_client(verifier)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("admin:accounts_identityverification_confirm", args=[verification.pk]))
    verification.refresh_from_db()
    decided_at = verification.decided_at

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refuse = staff.post(
            reverse("admin:accounts_identityverification_refuse", args=[verification.pk]), {"reason": "Другое лицо"}
        )
        confirm = staff.post(reverse("admin:accounts_identityverification_confirm", args=[verification.pk]))
    assert callbacks == []
    for response in (refuse, confirm):
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:accounts_identityverification_change", args=[verification.pk])
    verification.refresh_from_db()
    assert (verification.status, verification.refusal_reason, verification.decided_at) == (
        VerificationStatus.CONFIRMED,
        "",
        decided_at,
    )
    assert (
        AuditEvent.objects.filter(kind__in=[AuditEventKind.IDENTITY_CONFIRMED, AuditEventKind.IDENTITY_REFUSED]).count()
        == 1
    )
    assert OutboundMessage.objects.count() == 2
    page = staff.get(reverse("admin:accounts_identityverification_change", args=[verification.pk])).content.decode()
    assert 'id="identity-decided"' in page and 'id="identity-confirm-form"' not in page


def test_only_a_verifier_may_decide_and_never_on_their_own_verification(applicant, support, reviewer, verifier):
    verification = verification_make(user=applicant)
    for staff in (support, reviewer):
        with pytest.raises(PermissionDenied):
            identity_verification_confirm(verification=verification, verifier=staff, request=None)
        with pytest.raises(PermissionDenied):
            identity_verification_refuse(verification=verification, verifier=staff, reason="нет", request=None)
    own = verification_make(user=verifier)
    with pytest.raises(PermissionDenied):
        identity_verification_confirm(verification=own, verifier=verifier, request=None)
    assert set(IdentityVerification.objects.values_list("status", flat=True)) == {VerificationStatus.PENDING}
    assert AuditEvent.objects.count() == 0


def test_confirming_a_snils_held_by_another_account_is_refused(applicant, verifier, other_citizen):
    other_citizen.snils = VALID_SNILS
    other_citizen.save(update_fields=["snils"])
    verification = verification_make(user=applicant)
    with pytest.raises(ValidationError) as error:
        identity_verification_confirm(verification=verification, verifier=verifier, request=None)
    assert error.value.messages == [
        "Этот СНИЛС уже указан в другой учётной записи. Подтверждение невозможно, откажите с причиной."
    ]
    verification.refresh_from_db()
    applicant.refresh_from_db()
    assert (verification.status, applicant.identity_level) == (VerificationStatus.PENDING, IdentityLevel.STANDARD)


def test_the_admin_change_form_cannot_be_posted(applicant, verifier):
    verification = verification_make(user=applicant)
    staff = verified_staff_client(verifier)
    url = reverse("admin:accounts_identityverification_change", args=[verification.pk])
    response = staff.post(url, {"status": VerificationStatus.CONFIRMED})
    assert response.status_code == 403
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.PENDING


# --- the private video URL --------------------------------------------------------------------------


def test_video_is_served_privately_to_the_verifier(applicant, verifier):
    verification = verification_make(user=applicant)
    response = verified_staff_client(verifier).get(
        reverse("admin:accounts_identityverification_video", args=[verification.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == WEBM_BYTES
    assert response["Content-Type"] == "video/webm"
    assert response["Content-Disposition"] == f'inline; filename="identity-{verification.pk}.webm"'
    # The admin's never_cache adds its own directives to ours; private and no-store are what matter.
    assert response["Cache-Control"] == "private, no-store, max-age=0, no-cache, must-revalidate"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(WEBM_BYTES))


def test_video_supports_byte_ranges(applicant, verifier):
    verification = verification_make(user=applicant)
    staff = verified_staff_client(verifier)
    url = reverse("admin:accounts_identityverification_video", args=[verification.pk])
    size = len(WEBM_BYTES)

    first = staff.get(url, headers={"Range": "bytes=0-3"})
    assert first.status_code == 206
    assert b"".join(first.streaming_content) == b"\x1a\x45\xdf\xa3"
    assert (first["Content-Range"], first["Content-Length"]) == (f"bytes 0-3/{size}", "4")

    tail = staff.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206
    assert b"".join(tail.streaming_content) == WEBM_BYTES[-10:]
    assert tail["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"

    beyond = staff.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{size}"


def test_video_is_refused_to_everyone_else(applicant, other_citizen, support, reviewer, client):
    verification = verification_make(user=applicant)
    url = reverse("admin:accounts_identityverification_video", args=[verification.pk])
    # Citizens (the owner too) are not staff: the admin sends them to its login page, no bytes.
    for person in (applicant, other_citizen):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('admin:login')}?next={url}"
        client.logout()
    # Staff of other groups, with the second factor: forbidden.
    for staff in (support, reviewer):
        response = verified_staff_client(staff).get(url)
        assert response.status_code == 403
        assert WEBM_BYTES[:4] not in response.content
    anonymous = client.get(url)
    assert anonymous.status_code == 302


def test_deleted_video_is_gone_for_the_verifier_too(applicant, verifier):
    verification = verification_make(user=applicant, status=VerificationStatus.REFUSED, decided_days_ago=40)
    identity_video_purge_expired()
    response = verified_staff_client(verifier).get(
        reverse("admin:accounts_identityverification_video", args=[verification.pk])
    )
    assert response.status_code == 404


# --- retention ------------------------------------------------------------------------------------


def test_videos_are_deleted_after_the_retention_period_once(applicant, other_citizen, verifier):
    expired = verification_make(
        user=applicant, status=VerificationStatus.REFUSED, decided_days_ago=31, verifier=verifier, submitted_days_ago=32
    )
    recent = verification_make(
        user=other_citizen, status=VerificationStatus.CONFIRMED, decided_days_ago=29, verifier=verifier
    )
    pending = verification_make(user=applicant, submitted_days_ago=90)
    expired_name, recent_name, pending_name = expired.video.name, recent.video.name, pending.video.name
    assert all(default_storage.exists(name) for name in (expired_name, recent_name, pending_name))

    assert identity_video_purge_task.delay().get() == 1
    assert identity_video_purge_task.delay().get() == 0

    expired.refresh_from_db()
    assert not default_storage.exists(expired_name)
    assert expired.video.name == ""
    assert expired.video_deleted_at is not None
    deleted_at = expired.video_deleted_at
    for untouched, name in ((recent, recent_name), (pending, pending_name)):
        untouched.refresh_from_db()
        assert untouched.video.name == name
        assert untouched.video_deleted_at is None
        assert default_storage.exists(name)
    # A rerun a day later still changes nothing on the purged row.
    identity_video_purge_expired(now=timezone.now() + datetime.timedelta(days=1))
    expired.refresh_from_db()
    assert expired.video_deleted_at == deleted_at


def test_retention_follows_the_setting(applicant, verifier, settings):
    settings.IDENTITY_VIDEO_RETENTION_DAYS = 7
    verification = verification_make(
        user=applicant, status=VerificationStatus.CONFIRMED, decided_days_ago=8, verifier=verifier
    )
    assert identity_video_purge_expired() == 1
    verification.refresh_from_db()
    assert verification.video_deleted_at is not None


def test_the_purge_runs_from_beat():
    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["accounts-identity-video-purge"]
    assert entry["task"] == "accounts.tasks.identity_video_purge_task"
    assert entry["task"] in app.tasks
    assert settings.IDENTITY_VIDEO_RETENTION_DAYS == 30


# --- the recorder in a real browser -----------------------------------------------------------------


@pytest.mark.browser
# serialized_rollback: the flush after a transactional test would otherwise drop the staff groups
# that the data migration made, and the tests after this one need them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_recording_in_the_browser_attaches_the_video_and_submits(browser, chromium_path, live_server):
    """Chromium's fake camera stands in for the citizen's: MediaRecorder -> file input -> server."""
    from django.test import Client

    from conftest import CHROMIUM_ARGS

    applicant = standard_citizen_make()
    session_client = Client()
    session_client.force_login(applicant)
    cookie = session_client.cookies[settings.SESSION_COOKIE_NAME].value

    # Another Chromium from the same Playwright, started with a fake camera and no permission prompt.
    camera_browser = browser.browser_type.launch(
        executable_path=chromium_path,
        headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
    )
    try:
        context = camera_browser.new_context(locale="ru-RU")
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}{IDENTITY_URL}")
        page.get_by_role("button", name="Включить камеру и начать запись").click()
        page.get_by_text("Идёт запись. Осталось секунд:").wait_for()
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Остановить запись").click()
        page.get_by_text("добавлено в форму").wait_for()
        attached = page.evaluate(
            "() => { const f = document.getElementById('id_video').files; return [f.length, f[0].type, f[0].size]; }"
        )
        assert attached[0] == 1 and attached[1] == "video/webm" and attached[2] > 0
        said_seconds = int(page.get_by_text("добавлено в форму").inner_text().split("(")[1].split(" ")[0])
        page.get_by_label("Серия паспорта").fill("45 10")
        page.get_by_label("Номер паспорта").fill("123456")
        page.get_by_label("Дата выдачи паспорта").fill("2015-03-15")
        page.get_by_label("Код подразделения").fill("770-001")
        page.get_by_label("СНИЛС").fill("112-233-445 96")  # a mistake: the video is kept
        page.get_by_role("button", name="Отправить на проверку").click()
        # The kept video plays back with its real length, and the player can seek in it.
        played = page.evaluate(
            """async () => {
              const v = document.getElementById('identity-video-kept-player');
              if (v.readyState < 1) await new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}));
              const duration = v.duration;
              v.currentTime = duration / 2;
              await new Promise(r => v.addEventListener('seeked', r, {once: true}));
              return [duration, v.currentTime, v.seekable.length ? v.seekable.end(0) : 0];
            }"""
        )
        assert 1.0 < played[0] < 3.5 and abs(played[0] - said_seconds) <= 1
        assert played[1] == pytest.approx(played[0] / 2, abs=0.05) and played[2] == pytest.approx(played[0])
        page.get_by_label("СНИЛС").fill("112-233-445 95")
        page.get_by_role("button", name="Отправить на проверку").click()
        page.get_by_text("Видео отправлено на проверку.").wait_for()
        context.close()
    finally:
        camera_browser.close()

    verification = IdentityVerification.objects.get(user=applicant)
    assert verification.status == VerificationStatus.PENDING
    assert verification.video_content_type == "video/webm"
    assert verification.video_size == attached[2] + 18  # Info's Duration written in (8-byte size + 11)
    with default_storage.open(verification.video.name, "rb") as stored:
        assert stored.read(4) == b"\x1a\x45\xdf\xa3"


# --- the verifier's pages: wording and layout ------------------------------------------------------


def test_the_change_page_has_a_russian_title_and_the_way_back_after_the_decision(applicant, verifier):
    verification = verification_make(user=applicant)
    response = verified_staff_client(verifier).get(
        reverse("admin:accounts_identityverification_change", args=[verification.pk])
    )
    html = response.content.decode()
    assert response.context["title"] == f"Видеоверификация №{verification.pk}"
    assert f"<h1>Видеоверификация №{verification.pk}</h1>" in html
    assert "Изменить видеоверификация" not in html
    # «Закрыть» no longer stands between the data and the decision: the only way back is after it.
    assert 'class="closelink"' in html
    assert html.count('class="closelink"') == 1
    assert html.index('id="identity-decision"') < html.index('id="identity-back"')
    # Both decisions look alike (no capitalised .default button next to a plain one).
    assert '<input type="submit" class="default" value="Подтвердить личность">' in html
    assert "text-transform: none" in html
    assert 'id="identity-refuse-form" novalidate' in html


def test_the_queue_opens_on_pending_and_all_stays_reachable(verifier, db):
    people = [standard_citizen_make() for _ in range(3)]
    pending = verification_make(user=people[0], submitted_days_ago=2)
    refused = verification_make(user=people[1], status=VerificationStatus.REFUSED, decided_days_ago=1)
    confirmed = verification_make(user=people[2], status=VerificationStatus.CONFIRMED, decided_days_ago=1)
    client = verified_staff_client(verifier)
    url = reverse("admin:accounts_identityverification_changelist")

    response = client.get(url)
    assert [row.pk for row in response.context["cl"].result_list] == [pending.pk]
    assert response.context["title"] == "Видеоверификации: очередь"
    html = response.content.decode()
    assert "Выберите видеоверификация" not in html
    assert '<li class="selected">\n    <a href="?status=pending">На проверке</a></li>' in html
    assert '<a href="?status=all">Все</a>' in html

    everything = client.get(url, {"status": "all"})
    assert [row.pk for row in everything.context["cl"].result_list] == [pending.pk, refused.pk, confirmed.pk]
    only_refused = client.get(url, {"status": "refused"})
    assert [row.pk for row in only_refused.context["cl"].result_list] == [refused.pk]


def test_the_queue_shows_the_decision_in_one_short_column(verifier, db):
    decider = CitizenFactory(last_name="Петров", first_name="Пётр", is_staff=True)
    refused = verification_make(
        user=standard_citizen_make(), status=VerificationStatus.REFUSED, decided_days_ago=0, verifier=decider
    )
    response = verified_staff_client(verifier).get(
        reverse("admin:accounts_identityverification_changelist"), {"status": "all"}
    )
    cl = response.context["cl"]
    assert list(cl.list_display) == [
        "action_checkbox",
        "id",
        "citizen",
        "submitted",
        "status",
        "decision",
        "video_state",
    ]
    when = timezone.localtime(refused.decided_at).strftime("%d.%m.%Y")
    assert f'<td class="field-decision">{when}, Петров П.</td>' in response.content.decode()


@pytest.mark.browser
def test_recording_buttons_wait_for_a_recording(applicant, page, client, settings):
    """Before anything is recorded only «Включить камеру…» is there; stop and retake are hidden and disabled."""
    client.force_login(applicant)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": page.live_server_url,
            }
        ]
    )
    for width, height in ((360, 740), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(page.live_server_url + IDENTITY_URL)
        recorder = page.locator("#video-recorder")
        assert recorder.is_visible()
        assert recorder.get_attribute("data-state") == "idle"
        assert page.get_by_role("button", name="Включить камеру и начать запись").is_visible()
        for name in ("Остановить запись", "Записать заново"):
            button = page.locator("#video-recorder button", has_text=name)
            assert not button.is_visible()
            assert button.is_disabled()
        # The preview never sticks out of the page.
        widths = page.evaluate(
            "() => [document.querySelector('[data-preview]').getBoundingClientRect().right,"
            " document.documentElement.clientWidth, document.documentElement.scrollWidth]"
        )
        assert widths[0] <= widths[1] and widths[2] == widths[1], (width, widths)


# --- issue 6 point 4: whole-request cap, one kept video, fake signatures ------------------------------


def test_an_anonymous_post_with_several_large_files_is_refused_before_it_is_read(client, settings, tmp_path):
    settings.ANONYMOUS_REQUEST_MAX_BYTES = 64 * 1024
    files = {f"file{index}": SimpleUploadedFile(f"{index}.bin", b"\x00" * 40 * 1024) for index in range(3)}
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y", **files})
    assert response.status_code == 413
    assert "Слишком большой запрос" in response.content.decode()


def test_a_logged_in_post_over_the_request_cap_is_refused(applicant_client, settings):
    settings.REQUEST_MAX_BYTES = 64 * 1024
    videos = {f"extra{index}": webm_upload(webm_sample_of_size(30 * 1024)) for index in range(3)}
    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": webm_upload(), **videos})
    assert response.status_code == 413
    assert IdentityVerification.objects.count() == 0


def test_at_most_one_unsent_video_is_kept_per_citizen(applicant_client, applicant):
    from django.core.files.storage import default_storage

    from accounts.verification.services import UNSENT_VIDEOS

    for _ in range(3):
        response = applicant_client.post(IDENTITY_URL, {**form_data(snils="112-233-445 96"), "video": webm_upload()})
        assert response.status_code == 200
    _dirs, files = default_storage.listdir(UNSENT_VIDEOS.directory)
    assert len([name for name in files if name.startswith(f"user{applicant.pk}-")]) == 1


@pytest.mark.parametrize(
    "content",
    [
        b"\x1a\x45\xdf\xa3" + b"\x00" * 500,  # the WebM signature, then nothing a player can read
        WEBM_BYTES[:40] + b"\x00" * 500,  # a real header, no Segment with tracks
        b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000,  # «ftyp», then box sizes that don't add up
        MP4_BYTES.replace(b"moov", b"free"),  # boxes fine, but no track table
    ],
    ids=["webm-magic-only", "webm-no-tracks", "mp4-ftyp-only", "mp4-no-moov"],
)
def test_a_file_with_a_video_signature_that_is_not_playable_is_refused(applicant_client, content):
    response = applicant_client.post(IDENTITY_URL, {**form_data(), "video": webm_upload(content)})
    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["video"][0].code == "not_playable"
    assert IdentityVerification.objects.count() == 0


def test_every_staff_viewing_of_a_video_is_audited_once_per_viewing(applicant, verifier):
    from django.core.cache import cache

    verification = verification_make(user=applicant)
    staff = verified_staff_client(verifier)
    url = reverse("admin:accounts_identityverification_video", args=[verification.pk])
    staff.get(url)
    staff.get(url, headers={"Range": "bytes=0-3"})  # the player seeking: the same viewing
    viewed = AuditEvent.objects.filter(kind=AuditEventKind.IDENTITY_VIDEO_VIEWED)
    assert [(e.actor, e.subject, e.details) for e in viewed] == [
        (verifier, applicant, {"verification_id": verification.pk})
    ]
    cache.delete(f"video-viewed:{verifier.pk}:{verification.pk}")  # the viewing window passed
    staff.get(url)
    assert AuditEvent.objects.filter(kind=AuditEventKind.IDENTITY_VIDEO_VIEWED).count() == 2


def test_the_verifier_page_does_not_report_a_date_of_birth_the_portal_never_asked(applicant, verifier):
    applicant.birth_date = None
    applicant.save(update_fields=["birth_date"])
    verification = verification_make(user=applicant)
    page = verified_staff_client(verifier).get(
        reverse("admin:accounts_identityverification_change", args=[verification.pk])
    )
    html = page.content.decode()
    assert "не указана" not in html and "Дата рождения" not in html
    applicant.birth_date = datetime.date(1990, 5, 17)
    applicant.save(update_fields=["birth_date"])
    html = (
        verified_staff_client(verifier)
        .get(reverse("admin:accounts_identityverification_change", args=[verification.pk]))
        .content.decode()
    )
    assert "Дата рождения: 17.05.1990" in html
