"""The status table of a policy-update request: which move is allowed, and who may make it.

`oms_policy.services.policy_request_transition` is the one service that moves a request; it reads
this table. Anything else that writes `PolicyRequest.status` is a bug.
"""

from __future__ import annotations

from oms_policy.constants import ActorRole, RequestStatus

S = RequestStatus

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SUBMITTED): ActorRole.CITIZEN,
    # A reviewer takes the request («Взять в работу») or gives it back («Вернуть в очередь»).
    (S.SUBMITTED, S.IN_REVIEW): ActorRole.REVIEWER,
    (S.IN_REVIEW, S.SUBMITTED): ActorRole.REVIEWER,
    # Decisions: only the reviewer who holds the request.
    (S.IN_REVIEW, S.APPROVED): ActorRole.REVIEWER,
    (S.IN_REVIEW, S.REJECTED): ActorRole.REVIEWER,
    (S.IN_REVIEW, S.DOCUMENTS_REQUESTED): ActorRole.REVIEWER,
    # The citizen sends what was asked: back to the reviewer who asked.
    (S.DOCUMENTS_REQUESTED, S.IN_REVIEW): ActorRole.CITIZEN,
    # The deadline passed without the documents (a beat task).
    (S.DOCUMENTS_REQUESTED, S.EXPIRED): ActorRole.SYSTEM,
    # The electronic policy is made (a task after approval).
    (S.APPROVED, S.POLICY_ISSUED): ActorRole.SYSTEM,
    # The citizen withdraws while nothing is decided yet.
    (S.SUBMITTED, S.WITHDRAWN): ActorRole.CITIZEN,
    (S.IN_REVIEW, S.WITHDRAWN): ActorRole.CITIZEN,
    (S.DOCUMENTS_REQUESTED, S.WITHDRAWN): ActorRole.CITIZEN,
}


def allowed_role(old: str, new: str) -> str | None:
    """The role that may move a request from `old` to `new`, or None when the move is not allowed."""
    return TRANSITIONS.get((old, new))


def next_statuses(old: str, role: str) -> list[str]:
    return [new for (frm, new), who in TRANSITIONS.items() if frm == old and who == role]
