from django.contrib import admin
from django.urls import include, path

from accounts.admin_site import PortalAdminSite
from portal import views
from support import views as support_views

# Every staff user needs a second factor, and only an authenticator app (TOTP) counts (accounts/admin_site.py).
admin.site.__class__ = PortalAdminSite

urlpatterns = [
    path("", views.home, name="home"),
    path("cabinet/", views.cabinet, name="cabinet"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("dev/outbox/", views.dev_outbox, name="dev-outbox"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("requests/", include("oms_policy.urls")),
    path("documents/", include("documents.urls")),
    path("support/", include("support.urls")),
    path("help/", support_views.help_page, name="help"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Портал ОМС — администрирование"
admin.site.site_title = "Портал ОМС"
admin.site.index_title = "Рабочее место сотрудника"
