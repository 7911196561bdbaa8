"""The contact-change page shows only the field of the chosen contact (issue 6, point 11).

It showed the phone and the e-mail fields together under a radio choice: people filled in both, or
the one they had not chosen.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/accounts/register/contact/"


def test_the_page_first_asks_what_to_change(client, citizen):
    client.force_login(citizen)
    html = client.get(URL).content.decode()
    assert 'href="?channel=phone">Номер телефона</a>' in html
    assert 'href="?channel=email">Адрес электронной почты</a>' in html
    assert 'name="new_phone"' not in html and 'name="new_email"' not in html and 'name="password"' not in html


@pytest.mark.parametrize(
    ("channel", "shown", "hidden"), [("phone", "new_phone", "new_email"), ("email", "new_email", "new_phone")]
)
def test_only_the_chosen_field_is_shown(client, citizen, channel, shown, hidden):
    client.force_login(citizen)
    html = client.get(f"{URL}?channel={channel}").content.decode()
    assert f'name="{shown}"' in html
    assert f'name="{hidden}"' not in html
    assert f'<input type="hidden" name="channel" value="{channel}">' in html
    assert 'name="password"' in html


def test_a_failed_submit_shows_the_chosen_field_with_its_error_only(client, citizen):
    client.force_login(citizen)
    assert reverse("accounts:contact-change") == URL
    response = client.post(URL, {"channel": "email", "new_email": "", "password": "Пароль-для-тестов-1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="new_email"' in html and 'name="new_phone"' not in html
    assert "Укажите новый адрес." in html
