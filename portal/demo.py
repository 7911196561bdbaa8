"""Demo accounts for trying the portal locally: one per role, with fixed logins and second factors.

Called by `manage.py seed_demo` and `manage.py demo_totp`; never by the running site. Everything
here is keyed by e-mail, so running it twice leaves the same rows.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from base64 import b32encode
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import IdentityLevel, Sex, StaffGroup
from oms_policy.constants import PolicyKind, PolicyStatus
from oms_policy.models import InsuranceCompany, Policy, Region
from oms_policy.services import reference_data_ensure
from oms_policy.signing import signing_demo_pair_ensure, signing_paths

DEMO_PASSWORD = "Demo-oms-2026!"
DEMO_DEVICE_NAME = "demo"
# Fixed moments, so a second run writes the same values and the demo reads the same every time.
DEMO_CONFIRMED_AT = datetime.datetime(2026, 1, 15, 10, 0, tzinfo=datetime.UTC)

CITIZEN_EMAIL = "citizen@demo.oms.local"
CITIZEN_PHONE = "+79000000001"
CITIZEN_SNILS = "40165298761"
CITIZEN_ENP = "8451999122899990"
SIMPLIFIED_CITIZEN_EMAIL = "citizen2@demo.oms.local"
SIMPLIFIED_CITIZEN_PHONE = "+79000000002"
REVIEWER_EMAIL = "reviewer@demo.oms.local"
SUPPORT_EMAIL = "support@demo.oms.local"
VERIFIER_EMAIL = "verifier@demo.oms.local"
ADMIN_EMAIL = "admin@demo.oms.local"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    phone: str
    password: str
    is_staff: bool
    totp_secret: str = ""  # base32, for staff
    totp_url: str = ""  # otpauth://, for staff


def demo_totp_key(*, email: str) -> str:
    """The hex TOTP key of a demo account: fixed per e-mail and per deployment (SECRET_KEY).

    Deriving it keeps re-runs from changing a key someone already scanned; mixing in SECRET_KEY
    keeps it from being computable from the public source alone.
    """
    return hmac.new(settings.SECRET_KEY.encode(), f"demo-totp:{email}".encode(), hashlib.sha1).hexdigest()


def demo_totp_device(*, email: str) -> TOTPDevice:
    """The demo TOTP device of the account with this e-mail; DoesNotExist when not seeded."""
    return TOTPDevice.objects.select_related("user").get(user__email=email, name=DEMO_DEVICE_NAME)


def demo_totp_code(*, device: TOTPDevice) -> str:
    """The code an authenticator app would show now for `device` (does not consume it)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _user_upsert(*, email: str, password: str, groups: list[str], **fields):
    User = get_user_model()
    user, _created = User.objects.update_or_create(email=email, defaults=fields)
    # Re-hashing on every run would rewrite the row; only set the password when it differs.
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    if groups:
        user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def _staff_device(*, user) -> TOTPDevice:
    device, _created = TOTPDevice.objects.update_or_create(
        user=user,
        name=DEMO_DEVICE_NAME,
        defaults={"key": demo_totp_key(email=user.email), "confirmed": True},
    )
    return device


@transaction.atomic
def demo_accounts_seed(*, password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    """Create or refresh the demo accounts, the citizen's policy and the staff TOTP devices.

    Before: migrations applied (the staff groups exist). After: reference data is complete
    (reference_data_ensure); two citizens, three staff members (one per StaffGroup) and a
    superuser exist with `password`; each staff account has one confirmed TOTP device "demo";
    the confirmed citizen has one active policy. Running it again changes nothing. No tasks.
    """
    missing_groups = set(StaffGroup.values) - set(Group.objects.values_list("name", flat=True))
    if missing_groups:
        raise LookupError(f"Staff groups missing: {sorted(missing_groups)}; run `manage.py migrate` first.")
    validate_password(password)
    reference_data_ensure()

    confirmed = {
        "phone_confirmed_at": DEMO_CONFIRMED_AT,
        "email_confirmed_at": DEMO_CONFIRMED_AT,
        "identity_confirmed_at": DEMO_CONFIRMED_AT,
    }
    citizen = _user_upsert(
        email=CITIZEN_EMAIL,
        password=password,
        groups=[],
        phone=CITIZEN_PHONE,
        last_name="Иванова",
        first_name="Анна",
        patronymic="Сергеевна",
        birth_date=datetime.date(1988, 7, 14),
        sex=Sex.FEMALE,
        snils=CITIZEN_SNILS,
        identity_level=IdentityLevel.CONFIRMED,
        is_staff=False,
        is_superuser=False,
        is_active=True,
        **confirmed,
    )
    Policy.objects.update_or_create(
        holder=citizen,
        status=PolicyStatus.ACTIVE,
        defaults={
            "kind": PolicyKind.UNIFIED,
            "enp": CITIZEN_ENP,
            "series": "",
            "number": "",
            "insurance_company": InsuranceCompany.objects.get(federal_code="45001"),
            "region": Region.objects.get(code="45"),
            "issued_on": datetime.date(2019, 11, 20),
        },
    )
    _user_upsert(
        email=SIMPLIFIED_CITIZEN_EMAIL,
        password=password,
        groups=[],
        phone=SIMPLIFIED_CITIZEN_PHONE,
        last_name="Петров",
        first_name="Пётр",
        patronymic="Петрович",
        birth_date=datetime.date(1975, 3, 2),
        sex=Sex.MALE,
        identity_level=IdentityLevel.SIMPLIFIED,
        phone_confirmed_at=DEMO_CONFIRMED_AT,
        email_confirmed_at=None,
        identity_confirmed_at=None,
        is_staff=False,
        is_superuser=False,
        is_active=True,
    )
    accounts = [
        DemoAccount("Гражданин (подтверждённая) / Citizen (confirmed)", CITIZEN_EMAIL, CITIZEN_PHONE, password, False),
        DemoAccount(
            "Гражданин (упрощённая) / Citizen (simplified)",
            SIMPLIFIED_CITIZEN_EMAIL,
            SIMPLIFIED_CITIZEN_PHONE,
            password,
            False,
        ),
    ]
    staff = [
        ("Проверяющий / Reviewer", REVIEWER_EMAIL, "Проверяющая", "Ольга", [StaffGroup.REVIEWERS], False),
        ("Оператор поддержки / Support", SUPPORT_EMAIL, "Оператор", "Дмитрий", [StaffGroup.SUPPORT], False),
        ("Верификатор / Identity verifier", VERIFIER_EMAIL, "Верификатор", "Марина", [StaffGroup.VERIFIERS], False),
        ("Администратор / Administrator", ADMIN_EMAIL, "Администратор", "Сергей", [], True),
    ]
    for role, email, last_name, first_name, groups, is_superuser in staff:
        user = _user_upsert(
            email=email,
            password=password,
            groups=[str(group) for group in groups],
            phone=None,
            last_name=last_name,
            first_name=first_name,
            identity_level=IdentityLevel.STANDARD,
            is_staff=True,
            is_superuser=is_superuser,
            is_active=True,
            phone_confirmed_at=None,
            email_confirmed_at=DEMO_CONFIRMED_AT,
        )
        device = _staff_device(user=user)
        accounts.append(
            DemoAccount(
                role,
                email,
                "",
                password,
                True,
                totp_secret=b32encode(device.bin_key).decode(),
                totp_url=device.config_url,
            )
        )
    return accounts


def demo_signing_pair_ensure() -> tuple[Path, Path, bool]:
    """The self-signed demo key and certificate that sign policy PDFs, made under var/ if missing.

    Paths come from POLICY_SIGNING_KEY / POLICY_SIGNING_CERT. Returns (key, certificate, made now).
    """
    key_path, cert_path = signing_paths()
    made = signing_demo_pair_ensure(key_path=key_path, cert_path=cert_path)
    return key_path, cert_path, made
