"""Emails: plain text with an HTML alternative, from three templates sharing one name."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send(template, to, context):
    """Send `template`_subject.txt, `template`.txt and `template`.html (e.g.
    "accounts/email/verify_email") rendered with `context` to the address `to`."""
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
