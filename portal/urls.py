from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.language.views import language_set
from accounts.staff.site import PortalAdminSite
from portal import pwa, views
from support import views as support_views

# Every staff user needs a second factor, and only an authenticator app (TOTP) counts (accounts/staff/site.py).
admin.site.__class__ = PortalAdminSite

urlpatterns = [
    path("", views.home, name="home"),
    path("cabinet/", views.cabinet, name="cabinet"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("dev/outbox/", views.dev_outbox, name="dev-outbox"),
    # Django's set_language, wrapped: a signed-in person's messages follow the language they pick.
    path("i18n/setlang/", language_set, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("requests/", include("oms_policy.urls")),
    path("documents/", include("documents.urls")),
    path("support/", include("support.urls")),
    path("help/", support_views.help_page, name="help"),
    path("admin/", admin.site.urls),
    path("", include("oms_policy.policy_urls")),
    path("manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("sw.js", pwa.service_worker, name="pwa-service-worker"),
]

if settings.BENCH_FLOOR_ENABLED:  # `make bench` only: the floor pages it measures the portal against
    urlpatterns.append(path("bench/", include("bench.urls")))

admin.site.site_header = "Портал ОМС — администрирование"
admin.site.site_title = "Портал ОМС"
admin.site.index_title = "Рабочее место сотрудника"
