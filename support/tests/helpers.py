from __future__ import annotations

from support import services
from support.constants import AuthorRole
from support.models import Conversation


def conversation_with(*, citizen, texts: tuple[str, ...] = ("Здравствуйте, вопрос по заявке",)) -> Conversation:
    conversation = services.conversation_open(citizen=citizen)
    for text in texts:
        services.message_post(conversation_id=conversation.pk, author=citizen, role=AuthorRole.CITIZEN, text=text)
    conversation.refresh_from_db()
    return conversation
