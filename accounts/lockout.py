"""django-axes, with a reset on success that clears only the account that logged in.

Failures are counted per account and per client address. Axes' own reset deletes every
failure matching the successful log-in's address too, so an attacker could guess nine
passwords for someone else, log in to their own account from the same address, and
start again: the other account would never lock. Here a successful log-in clears only its
own account's failures, wherever they came from.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt


class AccountResetHandler(AxesDatabaseHandler):
    def reset_user_attempts(self, request, credentials=None):
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count
