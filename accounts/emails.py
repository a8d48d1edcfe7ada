"""Account emails: plain text with an HTML alternative, built from templates."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

VERIFY_SALT = "canvass.verify-email"
VERIFY_MAX_AGE = timedelta(days=3)


def send(template, to, context):
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    text = render_to_string(f"accounts/email/{template}.txt", context)
    html = render_to_string(f"accounts/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def verification_token(user):
    # Bound to the address: after an email change an old link no longer verifies anything.
    return signing.dumps({"user": user.pk, "email": user.email}, salt=VERIFY_SALT)


def read_verification_token(token):
    """(user id, email) from a link, or None when it is forged, altered or expired."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:
        return None
    return data["user"], data["email"]


def send_verification(request, user):
    link = request.build_absolute_uri(
        reverse("accounts:verify_email", args=[verification_token(user)])
    )
    send("verify_email", user.email, {"user": user, "link": link, "days": VERIFY_MAX_AGE.days})
