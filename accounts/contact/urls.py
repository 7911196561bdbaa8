"""The change of phone or e-mail (mounted at /accounts/register/contact/, where it has always been)."""

from django.urls import path

from accounts.contact import views

urlpatterns = [
    path("", views.contact_change, name="contact-change"),
    path("verify/", views.contact_change_verify, name="contact-change-verify"),
    path("code/", views.contact_change_code, name="contact-change-code"),
    path("email-sent/", views.contact_change_email_sent, name="contact-change-email-sent"),
]
