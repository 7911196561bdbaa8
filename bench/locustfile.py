"""The load test's people (Locust). One `HttpUser` class per kind of person; a new scenario is one more
class below.

Run by `make loadtest` (bench/loadtest.py), which starts the servers, makes the people (bench/dataset.py)
and passes them in LOADTEST_SESSIONS (a JSON file): the browsing citizens' sessions, drafts ready to
send (each with its citizen's session and CSRF secret: one draft per submission), and reviewers'
logins (e-mail, password and the key of their TOTP app).

Cookies are kept by hand: the portal's cookies are __Host- and Secure, and over loopback http the
HTTP library would not send them back (the proxy header says the request came over TLS).
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import re
import threading
from urllib.parse import urlsplit

from locust import HttpUser, between, task
from locust.exception import StopUser

from bench.dataset import totp_code
from bench.pages import SUBMISSION_FORM_PATH

_DATA = json.loads(open(os.environ["LOADTEST_SESSIONS"], encoding="utf-8").read())  # noqa: SIM115
_SESSIONS = itertools.cycle(_DATA["load_sessions"])
_DRAFTS = iter(_DATA.get("submission_drafts", []))
_REVIEWERS = iter(_DATA.get("reviewers", []))
_LOCK = threading.Lock()
_REQUEST_LINK = re.compile(r'href="(/requests/\d+/)"')
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SUBMIT_KEY = re.compile(r'name="submit_key" value="([^"]*)"')
_EXPECTED = re.compile(r'name="expected_updated_at" value="([^"]+)"')
REVIEW_QUEUE_PATH = "/admin/oms_policy/policyrequest/"
_QUEUE_LINK = re.compile(r'href="/admin/oms_policy/policyrequest/(\d+)/change/')


class Person(HttpUser):
    """Someone with a browser: cookies kept by hand (see the module docstring), errors counted."""

    abstract = True

    def on_start(self) -> None:
        self.jar: dict[str, str] = {}
        self.client.headers.update({"X-Forwarded-Proto": "https", "Origin": f"https://{self._host()}"})

    def _host(self) -> str:
        return self.host.split("://", 1)[-1].rstrip("/")

    def _cookies(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.jar.items())}

    def _keep(self, response) -> None:
        for cookie in response.cookies:
            if cookie.value:
                self.jar[cookie.name] = cookie.value
            else:
                self.jar.pop(cookie.name, None)

    def page(self, path: str, name: str | None = None) -> str:
        """GET a page; anything but 200 (a redirect to the login page included) is a failure."""
        with self.client.get(
            path, name=name or path, allow_redirects=False, catch_response=True, headers=self._cookies()
        ) as response:
            self._keep(response)
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return ""
            response.success()
            return response.text

    def missing(self, what: str) -> None:
        """A page answered 200 without what the person needs from it: a failure too."""
        self.environment.events.request.fire(
            request_type="PAGE",
            name=what.split(":", 1)[0],
            response_time=0,
            response_length=0,
            exception=RuntimeError(what),
            context={},
        )

    def post(self, path: str, data: dict, *, name: str, referer: str, expect_location: str = "") -> str | None:
        """POST a form; a success is a redirect (to `expect_location` when given). Returns the Location."""
        headers = {**self._cookies(), "Referer": f"https://{self._host()}{referer}"}
        with self.client.post(
            path, data=data, name=name, allow_redirects=False, catch_response=True, headers=headers
        ) as response:
            self._keep(response)
            location = response.headers.get("Location", "")
            if response.status_code != 302 or expect_location not in location:
                response.failure(f"status {response.status_code}, location {location!r}")
                return None
            response.success()
            return location


class Citizen(Person):
    """A logged-in citizen (a session made by bench/dataset.py, one per simulated person)."""

    abstract = True
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        with _LOCK:
            session = next(_SESSIONS)
        self.jar[_DATA["cookie_name"]] = session


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


class CitizenSubmitting(Person):
    """Citizens sending «Отправить заявку»: each submission is another citizen with a draft ready to send
    (the check page, then the POST), who then opens the request's page. Stops when the drafts run out."""

    abstract = SUBMISSION_FORM_PATH is None
    weight = 2
    wait_time = between(1, 3)

    @task
    def submit(self) -> None:
        with _LOCK:
            draft = next(_DRAFTS, None)
        if draft is None:
            raise StopUser
        self.jar = {_DATA["cookie_name"]: draft["session"], _DATA["csrf_cookie_name"]: draft["csrf"]}
        check_path = f"/requests/{draft['request_id']}/step/5/"
        html = self.page(check_path, name="/requests/<id>/step/5/")
        if not html:
            return  # the failure is counted already
        token, key = _CSRF_FIELD.search(html), _SUBMIT_KEY.search(html)
        if not (token and key):
            self.missing("/requests/<id>/step/5/: no «Отправить заявку» form")
            return
        location = self.post(
            SUBMISSION_FORM_PATH.format(request_id=draft["request_id"]),
            {"csrfmiddlewaretoken": token.group(1), "submit_key": key.group(1)},
            name="/requests/<id>/submit/",
            referer=check_path,
            expect_location="sent=1",
        )
        if location:
            sent = urlsplit(location)
            self.page(f"{sent.path}?{sent.query}", name="/requests/<id>/?sent=1")


class ReviewerWorkingQueue(Person):
    """A reviewer: logs into the admin (password and TOTP code), opens the queue, claims a request,
    opens it, and approves it or asks for documents. One simulated person per reviewer account."""

    fixed_count = len(_DATA.get("reviewers", []))
    abstract = not _DATA.get("reviewers")
    wait_time = between(2, 5)

    def on_start(self) -> None:
        super().on_start()
        with _LOCK:
            login = next(_REVIEWERS, None)
        if login is None:
            raise StopUser
        login_path = "/admin/login/?next=/admin/"
        html = self.page(login_path, name="/admin/login/")
        token = _CSRF_FIELD.search(html)
        self.post(
            login_path,
            {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": login["email"],
                "password": login["password"],
                "otp_token": totp_code(login["totp_key"]),
            },
            name="/admin/login/",
            referer=login_path,
            expect_location="/admin/",
        )

    @task
    def work_one(self) -> None:
        queue = self.page(REVIEW_QUEUE_PATH, name="admin: queue")
        # The queue lists unclaimed requests and the reviewer's own; any of them may be taken.
        ids = _QUEUE_LINK.findall(queue)
        if not ids:
            return
        request_id = random.choice(ids[:20])
        change_path = f"{REVIEW_QUEUE_PATH}{request_id}/change/"
        html = self.page(change_path, name="admin: request")
        if not html:
            return
        if 'id="review-claim-form"' in html:
            expected, token = _EXPECTED.search(html), _CSRF_FIELD.search(html)
            if not (expected and token):
                self.missing("admin: request: the claim form has no token")
                return
            if not self.post(
                f"{REVIEW_QUEUE_PATH}{request_id}/claim/",
                {"csrfmiddlewaretoken": token.group(1), "expected_updated_at": expected.group(1)},
                name="admin: claim",
                referer=change_path,
                expect_location=change_path,
            ):
                return
            html = self.page(change_path, name="admin: request")
        if 'id="review-approve-form"' not in html:
            return  # another reviewer took it a moment earlier: back to the queue
        expected, token = _EXPECTED.search(html), _CSRF_FIELD.search(html)
        if not (expected and token):
            self.missing("admin: request: the decision forms have no token")
            return
        data = {"csrfmiddlewaretoken": token.group(1), "expected_updated_at": expected.group(1)}
        if random.random() < 0.7:
            self.post(
                f"{REVIEW_QUEUE_PATH}{request_id}/approve/",
                data,
                name="admin: approve",
                referer=change_path,
                expect_location=REVIEW_QUEUE_PATH,
            )
        else:
            due_on = datetime.date.today() + datetime.timedelta(days=10)
            data |= {
                "documents-slots": ["passport_registration"],
                "documents-note": "Страница с регистрацией плохо видна: загрузите её снова.",
                "documents-due_on": due_on.isoformat(),
            }
            self.post(
                f"{REVIEW_QUEUE_PATH}{request_id}/documents/",
                data,
                name="admin: request documents",
                referer=change_path,
                expect_location=REVIEW_QUEUE_PATH,
            )
