from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms_policy.constants import PolicyKind, PolicyStatus
from oms_policy.validators import validate_enp


class Region(models.Model):
    """A subject of the Russian Federation; `code` is its two-digit ОКАТО code."""

    code = models.CharField(_("код ОКАТО"), max_length=2, unique=True, validators=[RegexValidator(r"^\d{2}$")])
    name = models.CharField(_("название"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("регион")
        verbose_name_plural = _("регионы")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InsuranceCompany(models.Model):
    """A страховая медицинская организация (СМО) working in OMS in one region."""

    federal_code = models.CharField(
        _("федеральный код"), max_length=5, unique=True, validators=[RegexValidator(r"^\d{5}$")]
    )
    name = models.CharField(_("название"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="insurance_companies")
    is_active = models.BooleanField(_("работает в ОМС"), default=True)

    class Meta:
        verbose_name = _("страховая медицинская организация")
        verbose_name_plural = _("страховые медицинские организации")
        ordering = ["name", "federal_code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.federal_code})"


class Policy(models.Model):
    """A citizen's полис ОМС as the register knows it; at most one active per citizen."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policies")
    kind = models.CharField(_("вид"), max_length=20, choices=PolicyKind.choices, default=PolicyKind.UNIFIED)
    enp = models.CharField(_("ЕНП"), max_length=16, blank=True, validators=[validate_enp], db_index=True)
    series = models.CharField(_("серия"), max_length=10, blank=True)
    number = models.CharField(_("номер"), max_length=20, blank=True)
    insurance_company = models.ForeignKey(InsuranceCompany, on_delete=models.PROTECT, related_name="policies")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="policies")
    issued_on = models.DateField(_("дата выдачи"))
    status = models.CharField(
        _("статус"), max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.ACTIVE, db_index=True
    )

    class Meta:
        verbose_name = _("полис ОМС")
        verbose_name_plural = _("полисы ОМС")
        constraints = [
            models.UniqueConstraint(
                fields=["holder"], condition=Q(status="active"), name="one_active_policy_per_holder"
            ),
            models.CheckConstraint(
                condition=~Q(kind="unified") | Q(enp__regex=r"^\d{16}$"), name="unified_policy_has_enp"
            ),
        ]

    def __str__(self) -> str:
        return self.enp or f"{self.series} {self.number}".strip()
