"""Admin for the policy catalogue: reference data is edited here; policies are mostly read."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from oms_policy.models import InsuranceCompany, Policy, Region, Service
from oms_policy.validators import enp_normalize


def _user_admin_supports_autocomplete() -> bool:
    # accounts registers its User admin before us (INSTALLED_APPS order); autocomplete needs it to
    # exist and to have search_fields, otherwise `manage.py check` fails (admin.E039/E040).
    try:
        user_admin = admin.site.get_model_admin(get_user_model())
    except NotRegistered:
        return False
    return bool(user_admin.search_fields)


class InsuranceCompanyInline(admin.TabularInline):
    model = InsuranceCompany
    fields = ["federal_code", "name", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "company_count"]
    list_display_links = ["code", "name"]
    search_fields = ["code", "name"]
    ordering = ["code"]
    inlines = [InsuranceCompanyInline]

    def get_queryset(self, request):
        # One query for the count column instead of one per row.
        return super().get_queryset(request).annotate(company_count=Count("insurance_companies"))

    @admin.display(description=_("СМО"), ordering="company_count")
    def company_count(self, obj: Region) -> int:
        return obj.company_count


@admin.register(InsuranceCompany)
class InsuranceCompanyAdmin(admin.ModelAdmin):
    list_display = ["federal_code", "name", "region", "is_active"]
    list_display_links = ["federal_code", "name"]
    list_filter = ["is_active", "name", "region"]
    list_select_related = ["region"]
    search_fields = ["federal_code", "name", "region__name"]
    autocomplete_fields = ["region"]
    ordering = ["federal_code"]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Policies come from the register and from approved requests; the admin corrects, not creates.

    The status is read-only: it changes only through the policy-update workflow.
    """

    list_display = ["enp", "holder", "kind", "insurance_company", "region", "issued_on", "status"]
    list_filter = ["status", "kind", "region"]
    list_select_related = ["holder", "insurance_company", "region"]
    search_fields = ["=enp", "number", "holder__last_name", "holder__email"]
    search_help_text = _("ЕНП (16 цифр), номер полиса старого образца, фамилия или e-mail владельца")
    readonly_fields = ["status"]
    date_hierarchy = "issued_on"
    if _user_admin_supports_autocomplete():
        autocomplete_fields = ["holder", "insurance_company", "region"]
    else:
        raw_id_fields = ["holder"]
        autocomplete_fields = ["insurance_company", "region"]

    def get_search_results(self, request, queryset, search_term):
        # People paste the ЕНП in groups of four: "8451 9991 2289 9990" must find the policy.
        digits = enp_normalize(search_term)
        if len(digits) == 16 and digits.isdigit():
            return queryset.filter(enp=digits), False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A policy is history: it is replaced or cancelled, never deleted.
        return False


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    """The «Мои услуги» catalogue: what citizens see and the words they may search it by."""

    list_display = ["title", "slug", "change_kind", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "change_kind"]
    search_fields = ["title", "keywords", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "summary", "keywords", "change_kind", "is_active", "position"]


# The reviewers' queue and request page, rejection reasons, the look-up log (issue 9).
from oms_policy import review_admin  # noqa: E402, F401
