"""Staff admin for accounts: users, the identity-verification queue, and the read-only audit log.

The admin site itself (second factor by TOTP only) is accounts.staff.site.PortalAdminSite.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter, SimpleListFilter
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts import validators
from accounts.constants import AuditEventKind, VerificationStatus
from accounts.contact.staff import contact_change_by_staff
from accounts.models import AuditEvent, ContactConfirmation, IdentityVerification, User
from accounts.security.crypto import snils_lookup_hash
from accounts.services import audit_record
from accounts.staff.forms import RefusalForm, StaffUserChangeForm, StaffUserCreationForm
from accounts.verification.services import (
    identity_verification_confirm,
    identity_verification_refuse,
    identity_video_delete,
    snils_change_by_staff,
)
from documents.serving import private_file_response

VIDEO_VIEW_AUDIT_SECONDS = 10 * 60
ContactChannel = ContactConfirmation.Channel


# --- users ------------------------------------------------------------------------------------


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts: staff look people up by e-mail, phone, SNILS or name; only a superuser changes them."""

    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    list_display = ("email", "full_name", "phone", "identity_level", "is_staff", "is_active", "date_joined")
    list_filter = ("identity_level", "is_staff", "is_superuser", "is_active", "groups")
    # SNILS is encrypted: get_search_results finds it through the lookup hash.
    search_fields = ("email", "phone", "last_name", "first_name", "patronymic")
    search_help_text = gettext_lazy("Поиск по e-mail, телефону, СНИЛС (только цифры) или ФИО")

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digest = snils_lookup_hash(search_term) if validators.snils_normalize(search_term).isdigit() else None
        if digest:
            results |= queryset.filter(snils_hash=digest)
        return results, may_have_duplicates

    ordering = ("-date_joined",)
    filter_horizontal = ("groups", "user_permissions")
    # The level changes only through verification (identity_verification_confirm) and registration.
    readonly_fields = (
        "password_status",
        "identity_level",
        "phone_confirmed_at",
        "email_confirmed_at",
        "identity_confirmed_at",
        "last_login",
        "date_joined",
        "sessions_valid_after",
    )
    fieldsets = (
        (None, {"fields": ("email", "password_status")}),
        (
            gettext_lazy("Личные данные"),
            {"fields": ("last_name", "first_name", "patronymic", "birth_date", "sex", "phone", "snils")},
        ),
        (
            gettext_lazy("Подтверждение"),
            {"fields": ("identity_level", "phone_confirmed_at", "email_confirmed_at", "identity_confirmed_at")},
        ),
        (
            gettext_lazy("Доступ"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (gettext_lazy("Даты"), {"fields": ("last_login", "date_joined", "sessions_valid_after")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # Django builds «Выберите пользователь для изменения» from the verbose name, which does not
        # decline in Russian; the heading names the list instead.
        return super().changelist_view(request, {**(extra_context or {}), "title": _("Пользователи")})

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        title = _("Пользователь: %(name)s") % {"name": obj} if obj is not None else _("Новый пользователь")
        # The heading already names the person: no second line repeating it.
        extra = {"title": title, "subtitle": None}
        try:
            return super().changeform_view(request, object_id, form_url, {**(extra_context or {}), **extra})
        except ValidationError as error:
            # The form checked these, but another account took the value in the meantime: the
            # admin's transaction is rolled back, nothing of this save is kept.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_exclude(self, request: HttpRequest, obj: User | None = None):
        # A new account is made by the add form, e-mail included. Only the change form leaves the
        # phone, e-mail and SNILS to the services (through StaffUserChangeForm.Meta.exclude, which
        # Django applies whenever this returns None — for the add form too).
        return super().get_exclude(request, obj) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        """The other fields as Django saves them; the phone, e-mail and SNILS through the services
        of the citizen's own changes (audit row, notices to the citizen, uniqueness)."""
        super().save_model(request, obj, form, change)
        if not change:
            return
        data = form.cleaned_data
        changed = set(form.changed_data)
        if "email" in changed:
            contact_change_by_staff(
                user=obj, channel=ContactChannel.EMAIL, value=data["email"], actor=request.user, request=request
            )
        if "phone" in changed and data.get("phone"):
            contact_change_by_staff(
                user=obj, channel=ContactChannel.PHONE, value=data["phone"].as_e164, actor=request.user, request=request
            )
        if "snils" in changed:
            snils_change_by_staff(user=obj, snils=data["snils"], actor=request.user, request=request)
        obj.refresh_from_db()

    @admin.display(description=gettext_lazy("ФИО"))
    def full_name(self, obj: User) -> str:
        return obj.full_name

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only staff see whether a password is set, without the «сменить пароль» link: that
        # page needs change_user and would only answer «403».
        return [(name, {**options, "fields": tuple(_swap_password(options["fields"]))}) for name, options in fieldsets]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
        fields = [*super().get_readonly_fields(request, obj), "password_state"]
        if not request.user.is_superuser:
            # change_user is for looking after accounts, not for granting power: only a superuser
            # makes superusers or gives permissions one by one (roles are the groups), and nobody
            # below one changes their own roles or staff status.
            fields += ["is_superuser", "user_permissions"]
            if obj is not None and obj.pk == request.user.pk:
                fields += ["is_staff", "is_active", "groups"]
        return tuple(fields)

    @admin.display(description=gettext_lazy("Пароль"))
    def password_state(self, obj: User) -> str:
        """Whether a password is set, never the hash (not even its algorithm or salt)."""
        if not obj.pk:
            return "—"
        return _("задан") if obj.has_usable_password() else _("не задан")

    @admin.display(description=gettext_lazy("Пароль"))
    def password_status(self, obj: User) -> str:
        """password_state with a link to Django's password form (which checks change_user itself)."""
        if not obj.pk:
            return "—"
        url = reverse("admin:auth_user_password_change", args=[obj.pk])
        return format_html('{} — <a href="{}">{}</a>', self.password_state(obj), url, _("сменить пароль"))


def _swap_password(fields) -> Iterator[str]:
    for field in fields:
        yield "password_state" if field == "password_status" else field


# --- identity verification ----------------------------------------------------------------------


def _private_video_response(*, verification: IdentityVerification, range_header: str) -> HttpResponse:
    """Serve a verification video inline, never cached, never sniffed; with a single byte Range."""
    content_type = verification.video_content_type or "application/octet-stream"
    extension = "webm" if content_type == "video/webm" else "mp4"
    return private_file_response(
        field=verification.video,
        content_type=content_type,
        filename=f"identity-{verification.pk}.{extension}",
        as_attachment=False,
        range_header=range_header,
    )


class VerificationStatusFilter(SimpleListFilter):
    """Status filter that opens on «На проверке»: that is the verifiers' work; «Все» stays one click away."""

    title = gettext_lazy("статус")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*VerificationStatus.choices, (self.ALL, _("Все"))]

    def _chosen(self) -> str:
        value = self.value()
        return value if value in {*VerificationStatus.values, self.ALL} else VerificationStatus.PENDING

    def choices(self, changelist):
        chosen = self._chosen()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": chosen == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[IdentityVerification]):
        chosen = self._chosen()
        return queryset if chosen == self.ALL else queryset.filter(status=chosen)


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(admin.ModelAdmin):
    """The verifiers' queue: pending first, oldest first; video beside the data; Confirm / Refuse."""

    change_form_template = "admin/accounts/identityverification/change_form.html"
    # Short columns, so the queue fits 1280 px beside the admin's side menu.
    list_display = ("id", "citizen", "submitted", "status", "decision", "video_state")
    list_display_links = ("id", "citizen")
    list_filter = (VerificationStatusFilter, ("submitted_at", DateFieldListFilter))
    search_fields = ("user__email", "user__last_name", "user__first_name")
    search_help_text = gettext_lazy("Поиск по e-mail или фамилии гражданина")
    list_select_related = ("user", "verifier")
    list_per_page = 50
    actions = ["delete_videos_now"]
    fieldsets = (
        (gettext_lazy("Гражданин"), {"fields": ("citizen_details",)}),
        (gettext_lazy("Видео"), {"fields": ("video_player", "video_info")}),
        (
            gettext_lazy("Паспорт и СНИЛС — сверьте с видео"),
            {
                "fields": (
                    "passport_series",
                    "passport_number",
                    "passport_issued_at",
                    "passport_division_code",
                    "snils_display",
                )
            },
        ),
        (
            # Not «Решение»: that is the heading of the verifier's decision block below the form.
            gettext_lazy("Статус проверки"),
            {"fields": ("status", "submitted_at", "verifier", "decided_at", "refusal_reason", "video_deleted_at")},
        ),
    )
    readonly_fields = (
        "citizen_details",
        "video_player",
        "video_info",
        "passport_series",
        "passport_number",
        "passport_issued_at",
        "passport_division_code",
        "snils_display",
        "status",
        "submitted_at",
        "verifier",
        "decided_at",
        "refusal_reason",
        "video_deleted_at",
    )

    def get_ordering(self, request: HttpRequest) -> list:
        # The queue: pending first, the oldest first (a column header click still re-sorts).
        pending_first = Case(
            When(status=VerificationStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [pending_first.asc(), "submitted_at", "pk"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # citizens submit on their own page

    def has_delete_permission(self, request: HttpRequest, obj: IdentityVerification | None = None) -> bool:
        return False  # decisions are evidence; the video alone goes after the retention period

    # --- columns and read-only fields ---

    @admin.display(description=gettext_lazy("Гражданин"), ordering="user__last_name")
    def citizen(self, obj: IdentityVerification) -> str:
        return obj.user.full_name or obj.user.email

    @admin.display(description=gettext_lazy("Отправлено"), ordering="submitted_at")
    def submitted(self, obj: IdentityVerification) -> str:
        return formats.date_format(timezone.localtime(obj.submitted_at), "d.m.Y H:i")

    @admin.display(description=gettext_lazy("Решение"), ordering="decided_at")
    def decision(self, obj: IdentityVerification) -> str:
        """When and by whom, in one short cell: «25.11.2026, Петров П.»."""
        if obj.decided_at is None:
            return "—"
        when = formats.date_format(timezone.localtime(obj.decided_at), "d.m.Y")
        if obj.verifier is None:
            return when
        initial = f" {obj.verifier.first_name[:1]}." if obj.verifier.first_name else ""
        return f"{when}, {obj.verifier.last_name or obj.verifier.email}{initial}"

    @admin.display(description=gettext_lazy("Видео"))
    def video_state(self, obj: IdentityVerification) -> str:
        if obj.video_deleted_at:
            return _("удалено")
        return _("есть") if obj.video else _("нет")

    @admin.display(description=gettext_lazy("Данные учётной записи"))
    def citizen_details(self, obj: IdentityVerification) -> str:
        user = obj.user
        details = format_html(
            "{}<br>{}: {}<br>{}: {}",
            user.full_name or "—",
            _("E-mail"),
            user.email,
            _("Учётная запись"),
            user.get_identity_level_display(),
        )
        # The portal never asks for the date of birth: show it only when the account has one,
        # never «не указана» as if the citizen had left something out.
        if user.birth_date:
            details += format_html("<br>{}: {}", _("Дата рождения"), user.birth_date.strftime("%d.%m.%Y"))
        return details

    @admin.display(description=gettext_lazy("Видео с паспортом"))
    def video_player(self, obj: IdentityVerification) -> str:
        if obj.video_deleted_at or not obj.video:
            when = obj.video_deleted_at.strftime("%d.%m.%Y") if obj.video_deleted_at else "—"
            return format_html("{} {}", _("Видео удалено по сроку хранения:"), when)
        url = reverse("admin:accounts_identityverification_video", args=[obj.pk])
        return format_html(
            '<video controls preload="metadata" width="480" src="{}" aria-label="{}"></video>'
            '<br><a href="{}" target="_blank" rel="noopener">{}</a>',
            url,
            _("Видео гражданина с паспортом"),
            url,
            _("Открыть видео в новой вкладке"),
        )

    @admin.display(description=gettext_lazy("Файл"))
    def video_info(self, obj: IdentityVerification) -> str:
        return f"{obj.video_content_type or '—'}, {filesizeformat(obj.video_size)}"

    @admin.display(description=gettext_lazy("СНИЛС"))
    def snils_display(self, obj: IdentityVerification) -> str:
        return validators.snils_display(obj.snils) or obj.snils

    # --- pages ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/video/", wrap(require_safe(self.video_view)), name="accounts_identityverification_video"),
            path(
                "<int:pk>/confirm/", wrap(require_POST(self.confirm_view)), name="accounts_identityverification_confirm"
            ),
            path("<int:pk>/refuse/", wrap(require_POST(self.refuse_view)), name="accounts_identityverification_refuse"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "title": _("Видеоверификации: очередь")})

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            # Nothing here is edited by hand: status moves only through Confirm / Refuse.
            raise PermissionDenied
        obj = self.get_object(request, object_id) if object_id else None
        can_decide = (
            obj is not None
            and obj.status == VerificationStatus.PENDING
            and self.has_change_permission(request, obj)
            and obj.user_id != request.user.pk
        )
        extra_context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "can_decide": can_decide,
            "refusal_form": RefusalForm(),
            **(extra_context or {}),
        }
        if obj is not None:
            extra_context["title"] = _("Видеоверификация №%(number)s") % {"number": obj.pk}
            extra_context["subtitle"] = None
        return super().changeform_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _change_url(pk: int) -> str:
        return reverse("admin:accounts_identityverification_change", args=[pk])

    def video_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The video, for staff with view_identityverification only (the citizen never gets a URL)."""
        verification = get_object_or_404(IdentityVerification, pk=pk)
        if not self.has_view_permission(request, verification):
            raise PermissionDenied
        if not verification.video or verification.video_deleted_at:
            raise Http404(_("Видео удалено."))
        # Who watched whose passport video is personal-data access: audit it. A player fetches one
        # video in many Range requests (and again on every seek); one row per staff member, video
        # and VIDEO_VIEW_AUDIT_SECONDS is one viewing.
        if cache.add(f"video-viewed:{request.user.pk}:{verification.pk}", 1, timeout=VIDEO_VIEW_AUDIT_SECONDS):
            audit_record(
                kind=AuditEventKind.IDENTITY_VIDEO_VIEWED,
                request=request,
                actor=request.user,
                subject=verification.user,
                details={"verification_id": verification.pk},
            )
        return _private_video_response(verification=verification, range_header=request.headers.get("Range", ""))

    def _change_page_with(self, request: HttpRequest, *, pk: int, refusal_form: RefusalForm) -> HttpResponse:
        """Render the change page for a refusal that failed its form (a POST shown as the GET page)."""
        page_request = copy.copy(request)
        page_request.method = "GET"
        page_request.POST = QueryDict()
        return self.changeform_view(page_request, str(pk), extra_context={"refusal_form": refusal_form})

    def _decided_redirect(self, request: HttpRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:accounts_identityverification_changelist"))

    def confirm_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        verification = get_object_or_404(IdentityVerification, pk=pk)
        if not self.has_change_permission(request, verification):
            raise PermissionDenied
        try:
            decided = identity_verification_confirm(verification=verification, verifier=request.user, request=request)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(self._change_url(pk))
        self.message_user(
            request, _("Личность подтверждена: %(name)s.") % {"name": decided.user.full_name}, messages.SUCCESS
        )
        return self._decided_redirect(request)

    def refuse_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        verification = get_object_or_404(IdentityVerification, pk=pk)
        if not self.has_change_permission(request, verification):
            raise PermissionDenied
        form = RefusalForm(request.POST)
        if not form.is_valid():
            # The same page again, with the error next to the reason field and the text kept.
            return self._change_page_with(request, pk=pk, refusal_form=form)
        try:
            decided = identity_verification_refuse(
                verification=verification, verifier=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(self._change_url(pk))
        self.message_user(request, _("Отказ сохранён: %(name)s.") % {"name": decided.user.full_name}, messages.SUCCESS)
        return self._decided_redirect(request)

    @admin.action(
        description=gettext_lazy("Удалить видео сейчас (только по принятым решениям)"), permissions=["change"]
    )
    def delete_videos_now(self, request: HttpRequest, queryset: QuerySet[IdentityVerification]) -> None:
        deleted, skipped = 0, []
        now = timezone.now()
        for verification in queryset:
            if identity_video_delete(verification_id=verification.pk, now=now):
                deleted += 1
            else:
                skipped.append(str(verification.pk))
        self.message_user(request, _("Удалено видео: %(count)d.") % {"count": deleted}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                _("Пропущены №%(ids)s: решение ещё не принято или видео уже удалено.") % {"ids": ", №".join(skipped)},
                messages.WARNING,
            )


# --- audit log ----------------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The security log: staff with view_auditevent read it; nobody, not even a superuser, edits it."""

    list_display = ("at", "kind", "actor", "subject", "ip_address")
    list_filter = ("kind", ("at", DateFieldListFilter))
    date_hierarchy = "at"
    search_fields = ("subject__email", "actor__email")
    search_help_text = gettext_lazy("Поиск по e-mail сотрудника или владельца учётной записи")
    list_select_related = ("actor", "subject")
    list_per_page = 100
    fields = ("at", "kind", "actor", "subject", "ip_address", "user_agent", "details")
    readonly_fields = fields

    def changelist_view(self, request: HttpRequest, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "title": _("Журнал безопасности")})

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        extra = {"title": _("Событие журнала: %(event)s") % {"event": obj}, "subtitle": None} if obj else {}
        return super().changeform_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
