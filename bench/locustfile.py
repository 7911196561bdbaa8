"""The load test's people (Locust). One `HttpUser` class per kind of person; a new scenario is one more
class below. A class whose page has not landed yet stays `abstract` (Locust does not start it).

Run by `make loadtest` (bench/loadtest.py), which starts the servers, makes the people's sessions
and passes them in LOADTEST_SESSIONS (a JSON file: {"cookie_name": ..., "load_sessions": [...]}).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import threading

from locust import HttpUser, between, task

from bench.pages import SUBMISSION_FORM_PATH

_DATA = json.loads(open(os.environ["LOADTEST_SESSIONS"], encoding="utf-8").read())  # noqa: SIM115
_SESSIONS = itertools.cycle(_DATA["load_sessions"])
_LOCK = threading.Lock()
_REQUEST_LINK = re.compile(r'href="(/requests/\d+/)"')
# The reviewers' queue: set to its path when the review pages land (and give the data set reviewers).
REVIEW_QUEUE_PATH: str | None = None


class Citizen(HttpUser):
    """A logged-in citizen (a session made by bench/dataset.py, one per simulated person)."""

    abstract = True
    wait_time = between(1, 3)

    def on_start(self) -> None:
        with _LOCK:
            session = next(_SESSIONS)
        # The session cookie is __Host- and Secure: over loopback http it is sent as a header.
        self.client.headers.update({"X-Forwarded-Proto": "https", "Cookie": f"{_DATA['cookie_name']}={session}"})

    def page(self, path: str, name: str | None = None) -> str:
        """GET a page; anything but 200 (a redirect to the login page included) is a failure."""
        with self.client.get(path, name=name or path, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return ""
            response.success()
            return response.text


class CitizenBrowsing(Citizen):
    """Looks at the cabinet, the notifications, the request list and one of their requests."""

    weight = 10

    @task(3)
    def cabinet(self) -> None:
        self.page("/cabinet/")

    @task(1)
    def notifications(self) -> None:
        self.page("/notifications/")

    @task(2)
    def requests(self) -> None:
        html = self.page("/requests/")
        links = _REQUEST_LINK.findall(html)
        if links:
            self.page(links[0], name="/requests/<id>/")


class CitizenSubmitting(Citizen):
    """Fills in and submits «Отправить заявку» — started once the form lands (bench/pages.py)."""

    abstract = SUBMISSION_FORM_PATH is None
    weight = 1

    @task
    def submit(self) -> None:
        raise NotImplementedError("the submission scenario is wired with bench/submission.py")


class ReviewerWorkingQueue(HttpUser):
    """Opens the queue, claims the oldest request, decides — started once the review pages land."""

    abstract = REVIEW_QUEUE_PATH is None
    weight = 1
    wait_time = between(2, 5)

    @task
    def queue(self) -> None:
        raise NotImplementedError("the reviewer scenario needs the review queue and reviewer sessions")
