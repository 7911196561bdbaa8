from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentityLevel(models.TextChoices):
    # Until the phone and the e-mail are both confirmed the account is «упрощённая».
    SIMPLIFIED = "simplified", _("Упрощённая")
    STANDARD = "standard", _("Стандартная")
    CONFIRMED = "confirmed", _("Подтверждённая")


class Sex(models.TextChoices):
    MALE = "male", _("Мужской")
    FEMALE = "female", _("Женский")


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("На проверке")
    CONFIRMED = "confirmed", _("Подтверждено")
    REFUSED = "refused", _("Отказано")


class AuditEventKind(models.TextChoices):
    LOGIN = "login", _("Вход")
    LOGIN_FAILED = "login_failed", _("Неудачный вход")
    LOGOUT = "logout", _("Выход")
    LOCKED_OUT = "locked_out", _("Блокировка после неудачных попыток")
    SECOND_FACTOR_FAILED = "second_factor_failed", _("Неверный код второго фактора")
    FACTOR_ADDED = "factor_added", _("Добавлен способ входа")
    FACTOR_REMOVED = "factor_removed", _("Удалён способ входа")
    PASSWORD_CHANGED = "password_changed", _("Смена пароля")
    PASSWORD_RESET = "password_reset", _("Восстановление пароля")
    CONTACT_CHANGED = "contact_changed", _("Смена телефона или e-mail")
    SNILS_CHANGED = "snils_changed", _("Смена СНИЛС")
    SESSIONS_ENDED = "sessions_ended", _("Завершены все сеансы")
    REGISTERED = "registered", _("Регистрация")
    IDENTITY_SUBMITTED = "identity_submitted", _("Отправлена видеоверификация")
    IDENTITY_CONFIRMED = "identity_confirmed", _("Личность подтверждена")
    IDENTITY_REFUSED = "identity_refused", _("В подтверждении личности отказано")
    DOCUMENT_VIEWED = "document_viewed", _("Сотрудник открыл скан документа")
    IDENTITY_VIDEO_VIEWED = "identity_video_viewed", _("Сотрудник открыл видео верификации")


class StaffGroup(models.TextChoices):
    REVIEWERS = "reviewers", _("Проверяющие заявки")
    SUPPORT = "support_operators", _("Операторы поддержки")
    VERIFIERS = "identity_verifiers", _("Верификаторы личности")
