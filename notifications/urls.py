from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bell/", views.bell_panel, name="bell"),
    path("read-all/", views.mark_all_read, name="mark-all-read"),
    path("settings/", views.preferences, name="preferences"),
    path("<int:notification_id>/read/", views.mark_read, name="mark-read"),
    path("<int:notification_id>/open/", views.open_notification, name="open"),
]
