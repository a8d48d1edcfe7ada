"""Account emails: the confirmation link."""

from datetime import timedelta

from django.core import signing
from django.urls import reverse

from lib import mail_policy
from lib.email import send, site_name
from lib.proxy import client_ip

VERIFY_SALT = "canvass.verify-email"
VERIFY_MAX_AGE = timedelta(days=3)


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
    """Mail the confirmation link, unless the sending policy refuses: the address is typed
    by whoever signs up or changes it, so this is a stranger-triggered email. A refusal is
    silent: the page says "we sent a link" either way."""
    if not mail_policy.may_send(
        kind="verification", recipient=user.email, survey=None, ip=client_ip(request)
    ):
        return
    link = request.build_absolute_uri(
        reverse("accounts:verify_email", args=[verification_token(user)])
    )
    send(
        "accounts/email/verify_email",
        user.email,
        {"email": user.email, "link": link, "days": VERIFY_MAX_AGE.days, "site": site_name()},
    )
