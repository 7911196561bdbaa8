"""accounts URLs, one module per topic so each can change on its own."""

from django.urls import include, path

app_name = "accounts"

urlpatterns = [
    path("", include("accounts.login.urls")),
    path("register/", include("accounts.registration.urls")),
    # The contact change keeps the address it had under registration (links and bookmarks point there).
    path("register/contact/", include("accounts.contact.urls")),
    path("identity/", include("accounts.verification.urls")),
]
