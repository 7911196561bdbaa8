from django.contrib import admin
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cabinet/", views.cabinet, name="cabinet"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("dev/outbox/", views.dev_outbox, name="dev-outbox"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Портал ОМС — администрирование"
admin.site.site_title = "Портал ОМС"
admin.site.index_title = "Рабочее место сотрудника"
