"""Identity confirmation by video (included at /accounts/identity/ in the «accounts» namespace)."""

from django.urls import path

from accounts.verification import views as verification_views

urlpatterns = [
    path("", verification_views.identity, name="identity"),
    path("kept-video/", verification_views.identity_kept_video, name="identity_kept_video"),
]
