from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.admin_site import PortalAdminSite
from portal import views

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
    path("admin/", admin.site.urls),
]

if settings.BENCH_FLOOR_ENABLED:  # `make bench` only: the floor pages it measures the portal against
    urlpatterns.append(path("bench/", include("bench.urls")))

admin.site.site_header = "Портал ОМС — администрирование"
admin.site.site_title = "Портал ОМС"
admin.site.index_title = "Рабочее место сотрудника"
