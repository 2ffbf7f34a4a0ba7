"""Sending e-mail over SMTP (plain, STARTTLS or SSL) with the standard library."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

SECURITY_MODES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)  # never printed with the settings
    sender: str
    timeout_seconds: float = 10.0

    @property
    def configured(self) -> bool:
        return bool(self.host)


def build_email(
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html: str,
    attachment_name: str,
    attachment: bytes,
) -> EmailMessage:
    """A multipart message: plain text, its HTML alternative, and a CSV attachment."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message.add_attachment(attachment, maintype="text", subtype="csv", filename=attachment_name)
    return message


def send_email(settings: SmtpSettings, message: EmailMessage) -> None:
    """Deliver `message`; raises smtplib.SMTPException or OSError when it cannot."""
    if settings.security not in SECURITY_MODES:
        raise ValueError(
            f"SMTP security {settings.security!r} is not one of {', '.join(SECURITY_MODES)}"
        )
    context = ssl.create_default_context()
    if settings.security == "ssl":
        server = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout_seconds, context=context
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    with server:
        if settings.security == "starttls":
            server.starttls(context=context)
        if settings.user:
            server.login(settings.user, settings.password)
        server.send_message(message)
