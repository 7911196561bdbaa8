"""Login, the second factor, sessions, password reset and the «Безопасность» page."""

from django.urls import path

from accounts.login import views as login_views
from accounts.security import views as security_views

urlpatterns = [
    path("login/", login_views.login_password, name="login"),
    path("login/code/", login_views.login_code, name="login_code"),
    path("login/backup-code/", login_views.login_backup, name="login_backup"),
    path("logout/", login_views.logout_view, name="logout"),
    path("logout/everywhere/", login_views.logout_all, name="logout_all"),
    path("session/keep-alive/", login_views.session_keepalive, name="session_keepalive"),
    path("not-me/<str:value>/", login_views.not_me, name="not_me"),
    path("password/reset/", login_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", login_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        login_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", login_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("security/", security_views.security, name="security"),
    path("security/confirm-password/", security_views.security_reauth, name="security_reauth"),
    path("security/totp/", security_views.security_totp_add, name="security_totp_add"),
    path("security/backup-codes/", security_views.security_backup_codes, name="security_backup_codes"),
    path("security/remove/", security_views.security_factor_remove, name="security_factor_remove"),
]
