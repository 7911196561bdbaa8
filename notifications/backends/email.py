"""E-mail for the embedded default: print to the console and keep a copy under OUTBOX_DIR/email/."""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

from notifications.backends.outbox import outbox_file_write


class OutboxEmailBackend(ConsoleEmailBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages:
            outbox_file_write(channel="email", to=", ".join(message.to), subject=message.subject, text=message.body)
        return sent
