from __future__ import annotations

import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.constants import IdentityLevel
from accounts.models import User
from accounts.validators import snils_checksum


def _snils(n: int) -> str:
    first_nine = f"{100_000_000 + n * 7919:09d}"[:9]
    return f"{first_nine}{snils_checksum(first_nine):02d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.ru")
    phone = factory.Sequence(lambda n: f"+7916{n:07d}")
    last_name = "Смирнов"
    first_name = "Иван"
    patronymic = "Иванович"
    birth_date = datetime.date(1985, 5, 17)
    password = factory.PostGenerationMethodCall("set_password", "Пароль-для-тестов-1")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class CitizenFactory(UserFactory):
    """A citizen with both contacts confirmed and a confirmed identity (can submit requests)."""

    identity_level = IdentityLevel.CONFIRMED
    phone_confirmed_at = factory.LazyFunction(timezone.now)
    email_confirmed_at = factory.LazyFunction(timezone.now)
    identity_confirmed_at = factory.LazyFunction(timezone.now)
    snils = factory.Sequence(_snils)


class StaffFactory(UserFactory):
    is_staff = True
    phone = None
    email = factory.Sequence(lambda n: f"staff{n}@oms.localhost")
    identity_level = IdentityLevel.STANDARD
