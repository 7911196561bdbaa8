"""Authenticate by phone, e-mail or SNILS, whichever the citizen typed (as on Gosuslugi)."""

from __future__ import annotations

import phonenumbers
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.security.crypto import snils_lookup_hash
from accounts.validators import snils_normalize


def user_find_by_login(login: str):
    """Return the user whose e-mail, phone or SNILS is `login`, or None."""
    User = get_user_model()
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return User.objects.filter(email=login).first()
    digits = snils_normalize(login)
    if len(digits) == 11 and digits.isdigit() and not login.startswith(("+", "8", "7")):
        user = User.objects.filter(snils_hash=snils_lookup_hash(digits)).first()
        if user:
            return user
    try:
        number = phonenumbers.parse(login, "RU")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        user = User.objects.filter(phone=e164).first()
        if user:
            return user
    if digits.isdigit() and len(digits) == 11:
        return User.objects.filter(snils_hash=snils_lookup_hash(digits)).first()
    return None


class LoginBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = user_find_by_login(username)
        if user is None:
            # Spend the same time as a real check so timing does not reveal unknown logins.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
