"""The catalogue admin: changelists render with a fixed number of queries; ЕНП search."""

from __future__ import annotations

import pytest
from django.urls import reverse

from oms_policy.tests.factories import PolicyFactory


@pytest.fixture
def admin_client_logged_in(admin):
    # The admin requires a TOTP-verified session (accounts.staff.site.PortalAdminSite).
    from accounts.tests.admin_helpers import verified_staff_client

    return verified_staff_client(admin)


# Of the pinned counts, 5 are the frame of every admin page: session read, user, the header's
# unread-notifications count, and the session save (savepoint, update, release).


def test_insurance_company_changelist(admin_client_logged_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client_logged_in.get(reverse("admin:oms_policy_insurancecompany_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 45
    assert "СОГАЗ-Мед" in response.content.decode()


def test_region_changelist_counts_companies_in_one_query(admin_client_logged_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = admin_client_logged_in.get(reverse("admin:oms_policy_region_changelist"), {"q": "Моск"})
    assert response.status_code == 200
    counts = {region.code: region.company_count for region in response.context["cl"].result_list}
    assert counts == {"45": 7, "46": 6}


def test_policy_changelist_query_count_does_not_grow_with_rows(admin_client_logged_in, django_assert_max_num_queries):
    PolicyFactory.create_batch(5)
    with django_assert_max_num_queries(13):
        response = admin_client_logged_in.get(reverse("admin:oms_policy_policy_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 5


def test_policy_search_finds_the_enp_typed_in_groups(admin_client_logged_in):
    wanted = PolicyFactory(enp="2847040848000286")
    PolicyFactory(enp="8451999122899990")
    response = admin_client_logged_in.get(reverse("admin:oms_policy_policy_changelist"), {"q": "2847 0408 4800 0286"})
    assert [policy.pk for policy in response.context["cl"].result_list] == [wanted.pk]


def test_policies_cannot_be_deleted_in_the_admin(admin_client_logged_in):
    policy = PolicyFactory()
    response = admin_client_logged_in.get(reverse("admin:oms_policy_policy_delete", args=[policy.pk]))
    assert response.status_code == 403
