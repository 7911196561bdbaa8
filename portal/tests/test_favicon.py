"""Every page names the portal's icon, the staff pages too (issue 6, point 11)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from accounts.tests.admin_helpers import verified_staff_client

pytestmark = pytest.mark.django_db

ICON = '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">'


def test_the_icon_exists():
    assert finders.find("img/favicon.svg")


def test_citizen_and_staff_pages_link_the_icon(client, verifier):
    assert ICON in client.get(reverse("home")).content.decode()
    assert ICON in client.get(reverse("admin:login")).content.decode()
    staff = verified_staff_client(verifier)
    for url in (reverse("admin:index"), reverse("admin:accounts_identityverification_changelist")):
        assert ICON in staff.get(url).content.decode(), url
