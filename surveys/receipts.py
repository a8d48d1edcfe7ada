"""A respondent's receipt: a code to quote, and a private link to their own response.

The link carries a random secret, derived from no id, signed with SECRET_KEY so a tampered
link is refused before any lookup. The database keeps only the secret's SHA-256: a copy of
it opens no response. The code finds a response for an operator (a withdrawal asked for by
email) but changes nothing by itself.
"""

import hashlib
import secrets

from django.core import signing
from django.urls import reverse

# Letters and digits without look-alikes (no 0/O, 1/I/L): 12 of them are 59 bits, so two
# responses in a billion-row database share a code with a chance of about one in a million.
CODE_LETTERS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

_signer = signing.Signer(salt="canvass.receipt")


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def new_receipt():
    """(code, secret) for a new response; store the code and digest(secret)."""
    code = "".join(secrets.choice(CODE_LETTERS) for _ in range(12))
    return f"{code[:4]}-{code[4:8]}-{code[8:]}", secrets.token_urlsafe(24)


def signed_link(secret):
    """The part of a receipt link that names the response: the secret, signed."""
    return _signer.sign(secret)


def receipt_path(secret):
    return reverse("receipts:show", args=[signed_link(secret)])


def secret_from_link(signed):
    """The secret in a receipt link, or None when the link was tampered with."""
    try:
        return _signer.unsign(signed)
    except signing.BadSignature:
        return None
