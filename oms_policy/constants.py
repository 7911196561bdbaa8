from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyStatus(models.TextChoices):
    ACTIVE = "active", _("Действует")
    REPLACED = "replaced", _("Заменён")
    CANCELLED = "cancelled", _("Аннулирован")


class PolicyKind(models.TextChoices):
    UNIFIED = "unified", _("Полис единого образца (ЕНП)")
    TEMPORARY = "temporary", _("Временное свидетельство")
    OLD = "old", _("Полис старого образца")
