"""The indexes the reviewers' queue relies on exist in the migrated schema, with their conditions.

Their use on a large table is measured by bench/scale_bench.py (docs/benchmarks.md): on 1,000,000
requests the queue filtered by region, kind and overdue went from 14 ms of SQL (a bitmap AND of the
status and reviewer indexes over the whole table) to about 1 ms with request_open_region_kind.
"""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'oms_policy_policyrequest'")
        return dict(cursor.fetchall())


def test_open_requests_have_an_index_by_region_kind_and_submission_time():
    definition = _indexes()["request_open_region_kind"]
    assert "(region_id, change_kind, submitted_at)" in definition
    # Partial: only open requests, so it stays small whatever the number of decided ones.
    condition = definition.split(" WHERE ", 1)[1]
    for status in ("submitted", "in_review", "documents_requested"):
        assert f"'{status}'" in condition
    for status in ("draft", "approved", "policy_issued", "rejected", "withdrawn", "expired"):
        assert f"'{status}'" not in condition


def test_the_queue_indexes_are_all_there():
    assert {
        "request_review_queue",
        "request_review_unclaimed",
        "request_review_held",
        "request_open_region_kind",
        "request_applicant_created",
    } <= set(_indexes())
