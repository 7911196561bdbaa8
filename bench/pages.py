"""What `make bench` and `bench/page_weight.py` measure: one line per page.

A new citizen page is one more `Page(...)` line below. `path` is formatted with the data set's ids
(bench/dataset.py: `request_id`, `citizen_id`); a page that has not landed yet has `path=None` and
is reported as «not measured yet» rather than given a number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str
    path: str | None
    server: str = "portal"  # which gunicorn serves it: "portal" or "floor" (stock Django)

    def url_path(self, dataset: dict) -> str:
        assert self.path is not None
        return self.path.format(**dataset)


# The floor, in the same run: stock Django's request path (bench/settings_floor.py, bench/views.py).
FLOOR = Page(
    "Floor: logged-in page (default middleware, DB session, 1 indexed query, 5 KB template)", "/bench/floor/", "floor"
)
BARE = Page("Bare Django view", "/bench/bare/", "floor")
# The same floor page behind the portal's own middleware and context processors: the difference to
# FLOOR is what the portal's request path costs before any page does its own work.
FLOOR_PORTAL = Page("Floor page through the portal's middleware", "/bench/floor/", "portal")

CITIZEN_PAGES = [
    Page("Кабинет (/cabinet/)", "/cabinet/"),
    Page("Уведомления (/notifications/)", "/notifications/"),
    Page("Мои заявления, 20 заявок (/requests/)", "/requests/"),
    Page("Заявка: 10 смен статуса, 6 документов (/requests/<id>/)", "/requests/{request_id}/"),
    Page("Мой полис (/policy/)", "/policy/"),
    Page("Чат с поддержкой, 12 сообщений (/support/)", "/support/"),
]

# «Отправить заявку» (the form's last step): POSTs per second through the whole submission
# (request, status change, outbox rows, tasks enqueued), measured by bench/submission.py.
SUBMISSION_FORM_PATH: str | None = "/requests/{request_id}/submit/"
