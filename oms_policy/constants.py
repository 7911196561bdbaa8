from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class PolicyStatus(models.TextChoices):
    ACTIVE = "active", _("Действует")
    REPLACED = "replaced", _("Заменён")
    CANCELLED = "cancelled", _("Аннулирован")


class PolicyKind(models.TextChoices):
    UNIFIED = "unified", _("Полис единого образца (ЕНП)")
    TEMPORARY = "temporary", _("Временное свидетельство")
    OLD = "old", _("Полис старого образца")


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Черновик")
    SUBMITTED = "submitted", _("Подана")
    IN_REVIEW = "in_review", _("На проверке")
    DOCUMENTS_REQUESTED = "documents_requested", _("Требуются документы")
    APPROVED = "approved", _("Одобрена")
    POLICY_ISSUED = "policy_issued", _("Полис выдан")
    REJECTED = "rejected", _("Отклонена")
    WITHDRAWN = "withdrawn", _("Отозвана")
    EXPIRED = "expired", _("Просрочена")


# Requests in these states are still «open»: a citizen may have one open request per kind of change.
OPEN_STATUSES = frozenset(
    {
        RequestStatus.SUBMITTED,
        RequestStatus.IN_REVIEW,
        RequestStatus.DOCUMENTS_REQUESTED,
        RequestStatus.APPROVED,
    }
)
FINAL_STATUSES = frozenset(
    {RequestStatus.POLICY_ISSUED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN, RequestStatus.EXPIRED}
)


class ChangeKind(models.TextChoices):
    RENEWAL = "renewal", _("Продление")
    DATA_CORRECTION = "data_correction", _("Исправление данных")
    SMO_CHANGE = "smo_change", _("Смена страховой медицинской организации")


class SmoChangeReason(models.TextChoices):
    YEARLY = "yearly", _("Ежегодная смена (раз в год, до 1 ноября)")
    RESIDENCE = "residence", _("Смена места жительства")


class ActorRole(models.TextChoices):
    CITIZEN = "citizen", _("Гражданин")
    REVIEWER = "reviewer", _("Проверяющий")
    SYSTEM = "system", _("Система")


class DocumentSlot(models.TextChoices):
    PASSPORT_PHOTO = "passport_photo", _("Паспорт: страница с фотографией")
    PASSPORT_REGISTRATION = "passport_registration", _("Паспорт: страница с регистрацией")
    CURRENT_POLICY = "current_policy", _("Текущий полис ОМС")
    REASON_DOCUMENT = "reason_document", _("Документ, подтверждающий причину изменения")


class VerifyState(models.TextChoices):
    """What the public verification page says about a policy document."""

    VALID = "valid", _("Действует")
    REPLACED = "replaced", _("Заменён")
    INVALID = "invalid", _("Недействителен")
    UNKNOWN = "unknown", _("Не найден")


# The first catalogue's titles and summaries (migration 0004_journey_service) for makemessages: the
# service pages show a row's text with {% translate %}, so these appear in English; a text edited in
# the admin is shown as typed.
SERVICE_CATALOGUE_TEXTS = (
    gettext_noop("Обновление полиса ОМС"),
    gettext_noop("Продлить полис, исправить в нём данные или сменить страховую компанию. Решение — за 5 рабочих дней."),
    gettext_noop("Смена страховой медицинской организации (СМО)"),
    gettext_noop("Выбрать другую страховую компанию: раз в год до 1 ноября или после переезда."),
    gettext_noop("Исправление данных в полисе ОМС"),
    gettext_noop("Сменили фамилию, паспорт или нашли ошибку в полисе — обновите данные."),
)
