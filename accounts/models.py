from django.conf import settings
from django.db import models


class VerifiedEmail(models.Model):
    """The address a user proved they receive mail at. Changing the account's email makes
    it unverified again, because the two no longer match."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    email = models.EmailField()
    verified_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.email


def email_is_verified(user):
    return bool(user.email) and VerifiedEmail.objects.filter(user=user, email=user.email).exists()


class Preferences(models.Model):
    """A creator's defaults for new surveys."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # New surveys delete their responses this many days after closing; None keeps them.
    retention_days = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self):
        return f"Preferences of {self.user_id}"


def default_retention_days(user):
    return Preferences.objects.filter(user=user).values_list("retention_days", flat=True).first()
