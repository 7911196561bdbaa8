"""The submission path: «Отправить заявку» POSTs per second (target ≥ 0.4 of the floor).

Each POST must write the request, its status change and its outbox rows and enqueue its tasks, so
every POST needs a citizen with a draft ready to submit: the data set gives one per load-test
citizen. Wired when the form lands: set `bench.pages.SUBMISSION_FORM_PATH` and fill
`submission_body` with the form's fields; until then `make bench` writes «not measured yet».
"""

from __future__ import annotations

from bench.pages import SUBMISSION_FORM_PATH


def submission_body(*, dataset: dict, index: int) -> dict[str, str]:
    """The POST fields of «Отправить заявку» for the `index`-th prepared draft (the form's names)."""
    raise NotImplementedError("the submission form has not landed: bench/pages.py SUBMISSION_FORM_PATH is None")


def submission_measure(*, shape, dataset: dict, seconds: int) -> str | None:
    """POSTs per second through the submission, or None while there is no form to post to."""
    if SUBMISSION_FORM_PATH is None:
        return None
    raise NotImplementedError("wire the wrk POST script here when the form lands (see the module docstring)")
