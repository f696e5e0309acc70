"""The demo's outgoing mail, printed in the terminal that runs `make demo` (retail/demo.py sets it as
EMAIL_BACKEND unless one is given): the sign-up and sign-in codes, order and pick-up messages, gift
cards. Django's console backend writes the raw MIME message to stdout, which the demo discards (it
carries runserver's start-up lines) and which shows non-ASCII text encoded; this writes each message
to stderr, where the demo's warnings go, as a person reads it: who it is to, its subject, its text."""

import sys

from django.core.mail.backends.console import EmailBackend as ConsoleBackend

RULE = "─" * 72


class TerminalEmailBackend(ConsoleBackend):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("stream", sys.stderr)
        super().__init__(*args, **kwargs)

    def write_message(self, message):
        lines = [
            f"┌{RULE}",
            f"│ Mail to {', '.join(message.to + message.cc + message.bcc)}",
            f"│ From: {message.from_email}",
            f"│ Subject: {message.subject}",
            "│",
            *(f"│ {line}" for line in str(message.body).rstrip().splitlines()),
        ]
        names = [a.filename if hasattr(a, "filename") else a[0] for a in message.attachments]
        if names:
            lines.append(f"│ Attached: {', '.join(str(n) for n in names if n)}")
        lines.append(f"└{RULE}")
        self.stream.write("\n".join(lines) + "\n")
