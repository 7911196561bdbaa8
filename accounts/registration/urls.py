"""Registration, e-mail links and the change of phone or e-mail (mounted at /accounts/register/)."""

from django.urls import path

from accounts.registration import views

urlpatterns = [
    path("", views.register, name="register"),
    path("code/", views.register_code, name="register-code"),
    path("code/resend/", views.register_code_resend, name="register-code-resend"),
    path("phone-confirmed/", views.register_phone_confirmed, name="register-phone-confirmed"),
    path("email/<str:token>/", views.email_confirm, name="email-confirm"),
    path("contact/", views.contact_change, name="contact-change"),
    path("contact/verify/", views.contact_change_verify, name="contact-change-verify"),
    path("contact/code/", views.contact_change_code, name="contact-change-code"),
    path("contact/email-sent/", views.contact_change_email_sent, name="contact-change-email-sent"),
]
