import datetime

import factory

from oms_policy.constants import ChangeKind
from oms_policy.models import InsuranceCompany, Policy, PolicyRequest, Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "45"
    name = "г. Москва"


class InsuranceCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InsuranceCompany
        django_get_or_create = ("federal_code",)

    federal_code = factory.Sequence(lambda n: f"45{900 + n % 100:03d}")
    name = "СОГАЗ-Мед"
    region = factory.SubFactory(RegionFactory)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    holder = factory.SubFactory("accounts.tests.factories.CitizenFactory")
    enp = "8451999122899990"
    insurance_company = factory.SubFactory(InsuranceCompanyFactory)
    region = factory.SelfAttribute("insurance_company.region")
    issued_on = datetime.date(2020, 3, 1)


class PolicyRequestFactory(factory.django.DjangoModelFactory):
    """A request as the form leaves it; pass `status` for other states (tests only: the service moves it)."""

    class Meta:
        model = PolicyRequest

    applicant = factory.SubFactory("accounts.tests.factories.CitizenFactory")
    change_kind = ChangeKind.RENEWAL
    current_policy_kind = "unified"
    current_policy_number = "8451999122899990"
    last_name = factory.SelfAttribute("applicant.last_name")
    first_name = factory.SelfAttribute("applicant.first_name")
    patronymic = factory.SelfAttribute("applicant.patronymic")
    sex = "female"
    birth_date = datetime.date(1985, 5, 17)
    region = factory.SubFactory(RegionFactory)
