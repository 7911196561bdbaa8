"""Registration and the e-mail links (mounted at /accounts/register/)."""

from django.urls import path

from accounts.registration import views

urlpatterns = [
    path("", views.register, name="register"),
    path("code/", views.register_code, name="register-code"),
    path("code/resend/", views.register_code_resend, name="register-code-resend"),
    path("phone-confirmed/", views.register_phone_confirmed, name="register-phone-confirmed"),
    path("email/<str:token>/", views.email_confirm, name="email-confirm"),
]
