"""The citizen's video-verification form: shape checks only (the rules live in the services)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import (
    snils_normalize,
    validate_division_code,
    validate_passport_number,
    validate_passport_series,
    validate_snils,
)
from accounts.verification.services import IdentityData, identity_video_unsent
from documents.sniffing import SNIFF_BYTES, VIDEO_CONTENT_TYPES, file_sniff
from documents.video_structure import video_is_playable, webm_duration_fixed

# Passports of the current model have been issued since 1 October 1997.
PASSPORT_FIRST_ISSUE_DATE = datetime.date(1997, 10, 1)
# A passport is first issued at 14.
PASSPORT_MIN_AGE_YEARS = 14

_SEPARATORS = re.compile(r"[\s\-]")


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _digits_field(
    *,
    label: str | Promise,
    help_text: str | Promise,
    max_length: int,
    validator: Callable[[str], None],
    required: str | Promise,
) -> forms.CharField:
    """A document number typed as digits, spaces and hyphens allowed: the numeric keyboard, no
    autocomplete, `validator` for the shape and `required` as the message for an empty field."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=max_length,
        validators=[validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": required},
    )


class IdentityVerificationForm(forms.Form):
    video = forms.FileField(
        label=_("Видео с паспортом"),
        help_text=_("Файл WebM или MP4 не больше 50 МБ, если не записываете видео на этой странице."),
        required=True,
        widget=forms.FileInput(attrs={"accept": "video/webm,video/mp4"}),
        error_messages={
            "required": _("Запишите видео или выберите файл с видео."),
            "empty": _("Файл пустой. Запишите видео ещё раз или выберите другой файл."),
        },
    )
    video_token = forms.CharField(required=False, widget=forms.HiddenInput)
    passport_series = _digits_field(
        label=_("Серия паспорта"),
        help_text=_("4 цифры, например 45 10."),
        max_length=6,
        validator=validate_passport_series,
        required=_("Укажите серию паспорта."),
    )
    passport_number = _digits_field(
        label=_("Номер паспорта"),
        help_text=_("6 цифр."),
        max_length=8,
        validator=validate_passport_number,
        required=_("Укажите номер паспорта."),
    )
    passport_issued_at = forms.DateField(
        label=_("Дата выдачи паспорта"),
        help_text=_("Как в паспорте, например 15.03.2015."),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Укажите дату выдачи паспорта."),
            "invalid": _("Введите дату в виде ДД.ММ.ГГГГ, например 15.03.2015."),
        },
    )
    passport_division_code = _digits_field(
        label=_("Код подразделения"),
        help_text=_("6 цифр в виде 770-001."),
        max_length=9,
        validator=validate_division_code,
        required=_("Укажите код подразделения."),
    )
    snils = _digits_field(
        label=_("СНИЛС"),
        help_text=_("11 цифр, например 112-233-445 95."),
        max_length=16,
        validator=validate_snils,
        required=_("Укажите СНИЛС."),
    )

    def __init__(self, *args, user: User, oversized_uploads: set[str] | frozenset[str] = frozenset(), **kwargs) -> None:
        self.user = user
        # Set by documents.uploads.SizeLimitedUploadHandler: the file was cut off while streaming.
        self.video_oversized = "video" in oversized_uploads
        self.birth_date: datetime.date | None = user.birth_date
        self.video_content_type = ""
        self.kept_video: File | None = None
        self.has_kept_video = False
        super().__init__(*args, **kwargs)
        token = self.data.get("video_token") if self.is_bound else None
        kept = identity_video_unsent(user=user, token=token) if token else None
        if kept is not None:
            # A FileField given no new file falls back to its initial value: the kept video.
            self.kept_video = kept[0]
            self.initial["video"] = self.kept_video
            self.has_kept_video = True
        if self.video_oversized:
            # The file never arrived; say why instead of «choose a file».
            self.fields["video"].required = False

    def clean_video(self) -> UploadedFile | File:
        video: UploadedFile | File = self.cleaned_data["video"]
        limit = settings.IDENTITY_VIDEO_MAX_BYTES
        if self.video_oversized or video.size > limit:
            raise forms.ValidationError(
                _("Файл больше %(limit)s. Запишите видео короче или сожмите файл.") % {"limit": filesizeformat(limit)},
                code="too_large",
            )
        video.seek(0)
        head = video.read(SNIFF_BYTES)
        video.seek(0)
        content_type = file_sniff(head)
        if content_type not in VIDEO_CONTENT_TYPES:
            raise forms.ValidationError(
                _("Это не видео в формате WebM или MP4. Запишите видео на этой странице или выберите другой файл."),
                code="wrong_type",
            )
        if not video_is_playable(video, content_type=content_type, size=video.size or 0):
            raise forms.ValidationError(
                _("Файл повреждён или это не видеозапись: его нельзя воспроизвести. Запишите видео заново."),
                code="not_playable",
            )
        self.video_content_type = content_type
        # A recording from the browser has no duration: without it the verifier's player shows no
        # length and cannot seek. Written in once here, so the kept copy and the sent one have it.
        return webm_duration_fixed(video) if content_type == "video/webm" else video

    def clean_passport_series(self) -> str:
        return _SEPARATORS.sub("", self.cleaned_data["passport_series"])

    def clean_passport_number(self) -> str:
        return _SEPARATORS.sub("", self.cleaned_data["passport_number"])

    def clean_passport_division_code(self) -> str:
        digits = _SEPARATORS.sub("", self.cleaned_data["passport_division_code"])
        return f"{digits[:3]}-{digits[3:]}"

    def clean_snils(self) -> str:
        return snils_normalize(self.cleaned_data["snils"])

    def clean_passport_issued_at(self) -> datetime.date:
        issued_at: datetime.date = self.cleaned_data["passport_issued_at"]
        if issued_at > timezone.localdate():
            raise forms.ValidationError(_("Дата выдачи не может быть в будущем."), code="future")
        if issued_at < PASSPORT_FIRST_ISSUE_DATE:
            raise forms.ValidationError(
                _("Паспорта нынешнего образца выдают с 1 октября 1997 года. Проверьте дату."), code="too_early"
            )
        if self.birth_date and issued_at < _add_years(self.birth_date, PASSPORT_MIN_AGE_YEARS):
            raise forms.ValidationError(
                _("Паспорт выдают с 14 лет, а эта дата раньше вашего 14-летия. Проверьте дату."),
                code="before_14",
            )
        return issued_at

    def video_kept_as(self, token: str) -> None:
        """Render the form again with the token of the video kept on the server."""
        self.data = self.data.copy()
        self.data["video_token"] = token
        self.has_kept_video = True

    def identity_data(self) -> IdentityData:
        data = self.cleaned_data
        return IdentityData(
            passport_series=data["passport_series"],
            passport_number=data["passport_number"],
            passport_issued_at=data["passport_issued_at"],
            passport_division_code=data["passport_division_code"],
            snils=data["snils"],
            video_content_type=self.video_content_type,
        )
