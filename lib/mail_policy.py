"""The sending policy: every email a stranger can make the site send to an address they
type (a receipt link, an account's confirmation link; invitations and reminders are to use
it too). Without it such
a feature is a mail relay, so:

- **Odd addresses are refused** before anything is counted (`check_recipient`): IP
  literals (`x@[127.0.0.1]`), single-label hosts (`x@localhost`), quoted or routed local
  parts (`"a b"@x.org`, `a%b@x.org`), trailing dots. A clear form error; a real person's
  address is none of these.
- **Caps per hour** (`may_send`), counted in the shared cache (lib/ratelimit.py), so they
  hold across every worker and node: per recipient address, per survey, per client address
  and site-wide (`MAIL_PER_*` settings, docs/operations.md). They are counted narrowest
  first and stop at the first one reached, so one client's refused attempts don't use up
  the survey's or the site's allowance.
- **A refusal looks like a sent email** to whoever asked, and leaves a log line: telling
  them would say whether someone else mailed that address this hour.
- **The mail is fixed text**: the subject is a fixed sentence with the site's name
  (`lib.email.site_name`), and the body carries the site's own link and nothing a
  survey's creator wrote (no title), so neither a stranger nor a creator can make it say
  anything.

The address itself is never kept: the counter's key is a keyed hash of it.
"""

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac

from .ratelimit import too_many

logger = logging.getLogger("canvass.mail")

HOUR = 3600

# An address as people have them: a dot-atom local part without the routing characters
# old relays honour (% !), at a host name of two or more labels ending in a letter TLD
# (or its punycode). Django's EmailField has checked the rest (length, syntax).
_LOCAL = re.compile(r"[A-Za-z0-9&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
# Names that never lead to a mailbox on the internet (RFC 6761, RFC 2606).
_SPECIAL_TLDS = {"localhost", "local", "internal", "invalid", "test", "example", "arpa"}


def check_recipient(address):
    """Raise ValidationError (a message for the form) unless `address` is an ordinary
    mailbox on a public host name."""
    local, _, domain = address.rpartition("@")
    try:
        host = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        host = ""
    labels = host.split(".")
    if (
        not _LOCAL.fullmatch(local)
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or not _TLD.fullmatch(labels[-1])
        or labels[-1] in _SPECIAL_TLDS
    ):
        raise ValidationError(
            "Enter an ordinary email address, like name@example.com: not an IP address, "
            "a quoted name or a local host.",
            code="odd_address",
        )


def recipient_key(address):
    """The recipient in counters and logs: a keyed hash, so no address is kept."""
    return salted_hmac("canvass.mail-policy", address.strip().lower()).hexdigest()[:16]


def may_send(*, kind, recipient, survey, ip):
    """Count one email of `kind` (e.g. "receipt") to `recipient`, asked for from client
    address `ip` about `survey` (None for an email about an account); False (and a log
    line) once a cap is reached, and then the caller sends nothing but answers exactly as
    if it had sent."""
    who = recipient_key(recipient)
    caps = [
        ("client", f"mail:client:{ip}", settings.MAIL_PER_CLIENT_PER_HOUR),
        ("recipient", f"mail:to:{who}", settings.MAIL_PER_RECIPIENT_PER_HOUR),
    ]
    if survey is not None:
        caps.append(("survey", f"mail:survey:{survey.pk}", settings.MAIL_PER_SURVEY_PER_HOUR))
    caps.append(("site", "mail:site", settings.MAIL_PER_HOUR))
    for cap, key, limit in caps:
        if too_many(key, limit=limit, window=HOUR):
            logger.warning(
                "email refused by the sending policy kind=%s cap=%s survey=%s ip=%s to=%s",
                kind, cap, getattr(survey, "pk", None), ip, who,
            )  # fmt: skip
            return False
    return True
