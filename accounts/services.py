"""Every write to an account, as the settings pages and the email links make them."""

import logging

from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import Preferences, VerifiedEmail

logger = logging.getLogger("canvass.accounts")


def confirm_email(*, user, email):
    """`email` is confirmed as `user`'s (their verification link was followed)."""
    VerifiedEmail.objects.update_or_create(user=user, defaults={"email": email})
    logger.info("email confirmed user=%s", user.pk)


def change_email(*, user, email):
    """A new address, unconfirmed until its link is followed (the caller sends it): the
    confirmed one no longer matches it, so receipts and notifications wait."""
    user.email = email
    user.save(update_fields=["email"])
    logger.info("email changed user=%s", user.pk)


def set_retention(*, user, days):
    """How many days after closing new surveys of `user` keep their responses."""
    Preferences.objects.update_or_create(user=user, defaults={"retention_days": days})


@transaction.atomic
def replace_api_token(*, user, revoke=False):
    """The personal API token revoked, and unless `revoke`, a new one: the old one stops
    working in the same transaction. The new token, or None."""
    Token.objects.filter(user=user).delete()
    token = None if revoke else Token.objects.create(user=user)
    logger.info("api token %s user=%s", "revoked" if revoke else "created", user.pk)
    return token


@transaction.atomic
def delete_account(*, user):
    """The account, and with it every survey, response, file record and token it owns."""
    pk = user.pk
    user.delete()
    logger.info("account deleted user=%s", pk)
