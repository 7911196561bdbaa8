from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, SideChannelDevice
from phonenumber_field.modelfields import PhoneNumberField

from accounts.constants import AuditEventKind, IdentityLevel, Sex, VerificationStatus
from accounts.managers import UserManager
from accounts.security.crypto import EncryptedTextField, snils_lookup_hash
from accounts.validators import validate_snils


class LowercaseEmailField(models.EmailField):
    """An e-mail kept in lower case: saved and looked up lower-cased, so `email=` uses the unique
    index (an `iexact` lookup can't on PostgreSQL) and «Anna@Mail.ru» and «anna@mail.ru» are one."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.lower() if isinstance(value, str) else value

    def to_python(self, value):
        value = super().to_python(value)
        return value.lower() if isinstance(value, str) else value


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: a citizen, or a staff member (reviewer, operator, verifier).

    The e-mail is the Django username field (createsuperuser, admin); citizens log in with the
    phone, the e-mail or the SNILS (accounts.backends).
    """

    email = LowercaseEmailField(_("e-mail"), unique=True)
    phone = PhoneNumberField(_("телефон"), unique=True, null=True, blank=True)
    last_name = models.CharField(_("фамилия"), max_length=100, blank=True)
    first_name = models.CharField(_("имя"), max_length=100, blank=True)
    patronymic = models.CharField(_("отчество"), max_length=100, blank=True)
    birth_date = models.DateField(_("дата рождения"), null=True, blank=True)
    sex = models.CharField(_("пол"), max_length=10, choices=Sex.choices, blank=True)
    # Encrypted at rest (accounts.security.crypto); found by snils_hash, which save() keeps in step.
    snils = EncryptedTextField(_("СНИЛС"), null=True, blank=True, validators=[validate_snils])
    snils_hash = models.CharField(
        _("хэш СНИЛС для поиска"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    identity_level = models.CharField(
        _("уровень учётной записи"),
        max_length=20,
        choices=IdentityLevel.choices,
        default=IdentityLevel.SIMPLIFIED,
        db_index=True,
    )
    phone_confirmed_at = models.DateTimeField(_("телефон подтверждён"), null=True, blank=True)
    email_confirmed_at = models.DateTimeField(_("e-mail подтверждён"), null=True, blank=True)
    identity_confirmed_at = models.DateTimeField(_("личность подтверждена"), null=True, blank=True)
    # Sessions that started before this moment are ended («выйти на всех устройствах»).
    sessions_valid_after = models.DateTimeField(_("сеансы действительны после"), null=True, blank=True)
    # The language of every message the portal sends this person (notifications.notify renders in
    # it), set when they switch the site's language; not the language of whoever caused the event.
    language = models.CharField(_("язык сообщений"), max_length=10, choices=settings.LANGUAGES, default="ru")
    is_staff = models.BooleanField(_("сотрудник"), default=False)
    is_active = models.BooleanField(_("активна"), default=True)
    date_joined = models.DateTimeField(_("дата регистрации"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="accounts_user_email_lower_case"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs) -> None:
        # The lookup hash is derived from the SNILS, never set on its own: keep the two in step.
        self.snils_hash = snils_lookup_hash(self.snils)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "snils" in update_fields:
            kwargs["update_fields"] = {*update_fields, "snils_hash"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.patronymic) if part)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_identity_confirmed(self) -> bool:
        return self.identity_level == IdentityLevel.CONFIRMED


class IdentityVerification(models.Model):
    """A citizen's video verification: a selfie video with the open passport, and its data."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="identity_verifications",
        verbose_name=_("гражданин"),
    )
    video = models.FileField(_("видео"), upload_to="verification/%Y/%m/", blank=True)
    video_content_type = models.CharField(_("тип видеофайла"), max_length=50, blank=True)
    video_size = models.PositiveBigIntegerField(_("размер видео, байт"), default=0)
    # Passport data and SNILS are encrypted at rest (accounts.security.crypto) and emptied together with the
    # video once the retention period after the decision has passed (identity_video_delete).
    passport_series = EncryptedTextField(_("серия паспорта"), blank=True)
    passport_number = EncryptedTextField(_("номер паспорта"), blank=True)
    passport_issued_at = models.DateField(_("дата выдачи"))
    passport_division_code = EncryptedTextField(_("код подразделения"), blank=True)
    snils = EncryptedTextField(_("СНИЛС"), blank=True, validators=[validate_snils])
    status = models.CharField(
        _("статус"),
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.PENDING,
        db_index=True,
    )
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("верификатор"),
    )
    refusal_reason = models.TextField(_("причина отказа"), blank=True)
    submitted_at = models.DateTimeField(_("отправлено"), default=timezone.now)
    decided_at = models.DateTimeField(_("решение принято"), null=True, blank=True)
    video_deleted_at = models.DateTimeField(_("видео удалено"), null=True, blank=True)

    class Meta:
        verbose_name = _("видеоверификация")
        verbose_name_plural = _("видеоверификации")
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status=VerificationStatus.PENDING),
                name="one_pending_verification_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"Видеоверификация №{self.pk}"


class AuditEvent(models.Model):
    """Append-only record of security events. Never holds passwords, codes or full numbers."""

    at = models.DateTimeField(_("когда"), default=timezone.now, db_index=True)
    kind = models.CharField(_("событие"), max_length=40, choices=AuditEventKind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("чья учётная запись"),
    )
    ip_address = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)
    user_agent = models.CharField(_("браузер"), max_length=300, blank=True)
    details = models.JSONField(_("подробности"), default=dict, blank=True)

    class Meta:
        verbose_name = _("событие журнала безопасности")
        verbose_name_plural = _("журнал безопасности")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.at:%d.%m.%Y %H:%M}"


class ContactConfirmation(models.Model):
    """A code sent by SMS (or a link by e-mail) to prove the person holds a phone or mailbox.

    Only a hash of the code is stored. Used by registration and by a change of phone/e-mail.
    """

    class Channel(models.TextChoices):
        PHONE = "phone", _("Телефон")
        EMAIL = "email", _("E-mail")

    class Purpose(models.TextChoices):
        REGISTRATION = "registration", _("Регистрация")
        CONTACT_CHANGE = "contact_change", _("Смена контакта")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("пользователь")
    )
    channel = models.CharField(_("канал"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("цель"), max_length=20, choices=Purpose.choices, default=Purpose.REGISTRATION)
    target = models.CharField(_("телефон или e-mail"), max_length=254)
    code_hash = models.CharField(_("хеш кода"), max_length=128, blank=True)
    sent_at = models.DateTimeField(_("отправлено"), default=timezone.now)
    expires_at = models.DateTimeField(_("действует до"))
    failed_attempts = models.PositiveSmallIntegerField(_("неверных попыток"), default=0)
    confirmed_at = models.DateTimeField(_("подтверждено"), null=True, blank=True)

    class Meta:
        verbose_name = _("подтверждение контакта")
        verbose_name_plural = _("подтверждения контактов")
        indexes = [models.Index(fields=["user", "channel", "confirmed_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} — {self.get_purpose_display()}"


class KnownDevice(models.Model):
    """A browser the user has logged in from (a long-lived random cookie, stored hashed).

    A login from a browser not in this table alerts the phone and the e-mail.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_devices", verbose_name=_("пользователь")
    )
    token_hash = models.CharField(_("хеш метки браузера"), max_length=64)
    user_agent = models.CharField(_("браузер"), max_length=300, blank=True)
    first_seen_at = models.DateTimeField(_("первый вход"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("последний вход"), default=timezone.now)

    class Meta:
        verbose_name = _("известное устройство")
        verbose_name_plural = _("известные устройства")
        constraints = [models.UniqueConstraint(fields=["user", "token_hash"], name="known_device_unique")]

    def __str__(self) -> str:
        return self.user_agent[:60] or f"Устройство №{self.pk}"


# --- second factors (django-otp devices) ----------------------------------------------------------
# django-otp's SideChannelDevice and StaticToken keep codes in plain text; a database leak would then
# hand out working codes. These devices keep only a keyed hash (HMAC-SHA256 with SECRET_KEY): codes
# are short, so an unkeyed hash could be reversed by trying every value, a keyed one cannot without
# the key. Rotating SECRET_KEY therefore voids pending SMS codes and backup codes (new ones are made).


def otp_code_hash(*, device_key: str, code: str) -> str:
    """Keyed hash of a one-time code, bound to what it proves (a device, a contact) so equal codes
    hash differently and one code never confirms anything else."""
    message = f"{device_key}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


class SmsDevice(SideChannelDevice):
    """SMS codes to the account's confirmed phone: 6 digits, 10 minutes, 5 wrong tries per code.

    The inherited `token` column stays empty; `token_hash` holds the keyed hash instead. The rules
    themselves (resend pause, failures kept across a resend) live in accounts.security.second_factor.
    """

    token_hash = models.CharField(_("хеш кода"), max_length=64, blank=True)
    failure_count = models.PositiveSmallIntegerField(_("неверных попыток"), default=0)
    last_sent_at = models.DateTimeField(_("код отправлен"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS-коды")
        verbose_name_plural = _("SMS-коды")

    def generate_token(self, length: int = 6, valid_secs: int = 600, commit: bool = True) -> str:  # type: ignore[override]
        """Make a new code, keep only its hash, and return the code so the caller can send it."""
        import secrets

        code = f"{secrets.randbelow(10**length):0{length}d}"
        now = timezone.now()
        self.token = None
        self.token_hash = otp_code_hash(device_key=f"sms:{self.pk}", code=code)
        self.valid_until = now + timedelta(seconds=valid_secs)
        self.last_sent_at = now
        if commit:
            self.save(update_fields=["token", "token_hash", "valid_until", "last_sent_at", "failure_count"])
        return code

    def verify_token(self, token: str) -> bool:  # type: ignore[override]
        """True once for the right, unexpired code; every wrong try counts, 5 spend the code."""
        limit = settings.SMS_CODE_MAX_FAILURES
        now = timezone.now()
        if not self.token_hash or now >= self.valid_until or self.failure_count >= limit:
            return False
        expected = otp_code_hash(device_key=f"sms:{self.pk}", code=str(token).strip())
        if hmac.compare_digest(expected, self.token_hash):
            self.token_hash = ""
            self.valid_until = now
            self.failure_count = 0
            self.save(update_fields=["token_hash", "valid_until", "failure_count"])
            return True
        self.failure_count += 1
        self.save(update_fields=["failure_count"])
        return False


class BackupCodeDevice(Device):
    """A set of ten backup codes, shown once; each is usable once. Only hashes are kept."""

    class Meta:
        verbose_name = _("резервные коды")
        verbose_name_plural = _("резервные коды")

    def verify_token(self, token: str) -> bool:
        code = "".join(ch for ch in str(token).upper() if ch.isalnum())
        if not code:
            return False
        used = (
            BackupCode.objects.filter(
                device=self, code_hash=otp_code_hash(device_key=f"backup:{self.pk}", code=code), used_at=None
            ).update(used_at=timezone.now())
            == 1
        )
        return used

    @property
    def unused_count(self) -> int:
        return self.codes.filter(used_at=None).count()


class BackupCode(models.Model):
    device = models.ForeignKey(
        BackupCodeDevice, on_delete=models.CASCADE, related_name="codes", verbose_name=_("набор кодов")
    )
    code_hash = models.CharField(_("хеш кода"), max_length=64)
    used_at = models.DateTimeField(_("использован"), null=True, blank=True)

    class Meta:
        verbose_name = _("резервный код")
        verbose_name_plural = _("резервные коды")
        constraints = [models.UniqueConstraint(fields=["device", "code_hash"], name="backup_code_unique")]

    def __str__(self) -> str:
        return f"Резервный код №{self.pk}"
