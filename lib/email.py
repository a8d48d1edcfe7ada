"""Emails: plain text with an HTML alternative, from three templates sharing one name."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

# For Celery tasks that send mail: SMTP errors are OSErrors, and a retry may find the
# server back (30 s, 1, 2, 4 ... minutes, then hourly; eight tries).
EMAIL_RETRIES = {
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "max_retries": 8,
}


def site_name():
    """The site as its emails name it: the host of SITE_URL, which the operator sets."""
    return urlsplit(settings.SITE_URL).hostname


def _plain(name, context):
    """Rendered without HTML escaping: the subject and plain-text body of a mail show
    "Q&A", not "Q&amp;A" (the HTML part is escaped as any page)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def send(template, to, context, headers=None):
    """Send `template`_subject.txt, `template`.txt and `template`.html (e.g.
    "accounts/email/verify_email") rendered with `context` to the address `to`."""
    subject = " ".join(_plain(f"{template}_subject.txt", context).split())
    text = _plain(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    message.send()
