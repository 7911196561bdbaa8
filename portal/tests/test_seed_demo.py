"""`seed_demo` and `demo_totp`: one account per role, idempotent, with working logins and codes."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import IdentityLevel, StaffGroup
from accounts.validators import validate_snils
from oms_policy.models import InsuranceCompany, Policy, Region
from oms_policy.validators import validate_enp
from portal.demo import DEMO_PASSWORD, demo_totp_key

User = get_user_model()
STAFF = {
    "reviewer@demo.oms.local": [StaffGroup.REVIEWERS],
    "support@demo.oms.local": [StaffGroup.SUPPORT],
    "verifier@demo.oms.local": [StaffGroup.VERIFIERS],
    "admin@demo.oms.local": [],
}


@pytest.fixture
def dev(settings):
    settings.DEBUG = True
    return settings


def _seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "policies": Policy.objects.count(),
        "devices": TOTPDevice.objects.count(),
        "memberships": User.groups.through.objects.count(),
        "regions": Region.objects.count(),
        "companies": InsuranceCompany.objects.count(),
    }


def _snapshot() -> list[tuple]:
    return sorted(
        User.objects.values_list(
            "email", "password", "phone", "identity_level", "phone_confirmed_at", "is_staff", "is_superuser"
        )
    )


@pytest.mark.django_db
def test_running_twice_gives_the_same_rows(dev):
    _seed()
    counts = _counts()
    users = _snapshot()
    keys = dict(TOTPDevice.objects.values_list("user__email", "key"))

    _seed()

    assert counts == {
        "users": 6,
        "policies": 1,
        "devices": 4,
        "memberships": 3,
        "regions": 89,
        "companies": 45,
    }
    assert _counts() == counts
    assert _snapshot() == users
    assert dict(TOTPDevice.objects.values_list("user__email", "key")) == keys


@pytest.mark.django_db
def test_each_role_is_in_its_group(dev):
    _seed()
    for email, groups in STAFF.items():
        user = User.objects.get(email=email)
        assert sorted(user.groups.values_list("name", flat=True)) == sorted(groups), email
        assert user.is_staff is True
        assert user.is_superuser is (email == "admin@demo.oms.local")
    for email in ("citizen@demo.oms.local", "citizen2@demo.oms.local"):
        user = User.objects.get(email=email)
        assert (user.is_staff, user.is_superuser, user.groups.count()) == (False, False, 0)


@pytest.mark.django_db
def test_the_confirmed_citizen_and_her_policy(dev):
    _seed()
    citizen = User.objects.get(email="citizen@demo.oms.local")
    assert (citizen.last_name, citizen.first_name, citizen.patronymic) == ("Иванова", "Анна", "Сергеевна")
    assert str(citizen.phone) == "+7 900 000-00-01"
    assert citizen.identity_level == IdentityLevel.CONFIRMED
    assert citizen.phone_confirmed_at is not None
    assert citizen.email_confirmed_at is not None
    assert citizen.identity_confirmed_at is not None
    assert citizen.birth_date is not None
    validate_snils(citizen.snils)

    policy = Policy.objects.select_related("insurance_company", "region").get(holder=citizen)
    validate_enp(policy.enp)
    assert (policy.enp, policy.status, policy.region.name, policy.insurance_company.name) == (
        "8451999122899990",
        "active",
        "г. Москва",
        "СОГАЗ-Мед",
    )
    assert policy.insurance_company.region == policy.region


@pytest.mark.django_db
def test_the_second_citizen_has_a_simplified_account(dev):
    _seed()
    user = User.objects.get(email="citizen2@demo.oms.local")
    assert user.identity_level == IdentityLevel.SIMPLIFIED
    assert (user.identity_confirmed_at, user.email_confirmed_at, user.snils) == (None, None, None)
    assert Policy.objects.filter(holder=user).count() == 0


@pytest.mark.django_db
def test_the_citizen_logs_in_with_the_phone_and_the_demo_password(dev):
    _seed()
    request = RequestFactory().post("/accounts/login/")
    user = authenticate(request, username="+7 900 000-00-01", password=DEMO_PASSWORD)
    assert user is not None
    assert user.email == "citizen@demo.oms.local"
    assert authenticate(request, username="+7 900 000-00-01", password="Demo-oms-2025!") is None


@pytest.mark.django_db
def test_the_demo_password_passes_the_password_validators_for_every_account(dev):
    _seed()
    for user in User.objects.all():
        assert user.check_password(DEMO_PASSWORD), user.email
        validate_password(DEMO_PASSWORD, user)


@pytest.mark.django_db
def test_a_weak_password_is_refused_and_nothing_is_written(dev):
    with pytest.raises(CommandError, match="password rejected"):
        _seed(password="password123")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_staff_get_a_fixed_confirmed_totp_device_and_the_table_shows_it(dev):
    output = _seed()
    for email in STAFF:
        device = TOTPDevice.objects.get(user__email=email)
        assert (device.name, device.confirmed, device.key) == ("demo", True, demo_totp_key(email=email))
        assert f"python manage.py demo_totp {email}" in output
        assert device.config_url in output
    assert TOTPDevice.objects.filter(user__is_staff=False).count() == 0
    assert "+79000000001 / citizen@demo.oms.local" in output
    assert "http://127.0.0.1:8000/dev/outbox/" in output
    assert output.count(DEMO_PASSWORD) == 6


@pytest.mark.django_db
def test_demo_totp_prints_a_code_the_device_accepts(dev):
    _seed()
    out = io.StringIO()
    call_command("demo_totp", "reviewer@demo.oms.local", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    # A fresh instance: verify_token records the time step it accepted (replay protection).
    device = TOTPDevice.objects.get(user__email="reviewer@demo.oms.local", name="demo")
    assert device.verify_token(code) is True
    # ...and another account's device does not accept it (the keys differ per account).
    other = TOTPDevice.objects.get(user__email="admin@demo.oms.local", name="demo")
    assert other.key != device.key


@pytest.mark.django_db
def test_demo_totp_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = True
    _seed()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_totp", "admin@demo.oms.local", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_totp", "admin@demo.oms.local", "--force", stdout=out)
    assert TOTPDevice.objects.get(user__email="admin@demo.oms.local").verify_token(out.getvalue().strip()) is True


@pytest.mark.django_db
def test_demo_totp_for_an_unknown_account(dev):
    with pytest.raises(CommandError, match="has no demo TOTP device"):
        call_command("demo_totp", "nobody@demo.oms.local", stdout=io.StringIO())


def test_seed_refuses_on_postgresql_without_debug_unless_forced(postgres, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="looks like production"):
        _seed()
    assert User.objects.count() == 0
    _seed(force=True)
    assert User.objects.count() == 6
