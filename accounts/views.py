import logging

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from lib.proxy import client_ip
from lib.ratelimit import too_many

from . import services
from .emails import read_verification_token, send_verification
from .forms import EmailChangeForm, PasswordConfirmForm, RetentionForm, SignUpForm
from .models import default_retention_days, email_is_verified

logger = logging.getLogger("canvass.accounts")

# Rate limits on account actions, per hour; past one, the page says to come back later.
HOUR = 3600
RESET_LIMIT_PER_HOUR = 5  # per email address; four times as many per client address
# Usernames are public (docs/security.md): sign-up says when one is taken. Every sign-up
# POST counts, so checking names in bulk from one address is slow.
SIGNUP_ATTEMPTS_PER_HOUR = 20
VERIFY_RESENDS_PER_HOUR = 5


def _hourly_limit_reached(key, limit):
    return too_many(key, limit=limit, window=HOUR)


def _slow_down(request):
    return render(request, "accounts/rate_limited.html", {"minutes": HOUR // 60}, status=429)


def signup(request):
    if request.user.is_authenticated:
        return redirect("surveys:list")
    if request.method == "POST":
        ip = client_ip(request)
        if _hourly_limit_reached(f"signup:ip:{ip}", SIGNUP_ATTEMPTS_PER_HOUR):
            logger.warning("sign-up rate-limited ip=%s", ip)
            return _slow_down(request)
    form = SignUpForm(request.POST or None)
    if form.is_valid():
        # Email addresses need not be unique: refusing a known one would tell anyone which
        # addresses have accounts. Verification proves who owns the address.
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        send_verification(request, user)
        messages.success(
            request,
            f"Welcome to Canvass, {user.username}. We sent a link to {user.email} to confirm "
            "your address.",
        )
        return redirect("surveys:list")
    return render(request, "registration/signup.html", {"form": form})


def verify_email(request, token):
    found = read_verification_token(token)
    user = None
    if found:
        user_id, email = found
        user = get_user_model().objects.filter(pk=user_id, email=email).first()
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    services.confirm_email(user=user, email=email)
    messages.success(request, f"Thank you: {email} is confirmed.")
    return redirect("accounts:settings" if request.user == user else "accounts:login")


@login_required
@require_POST
def resend_verification(request):
    if _hourly_limit_reached(f"verify:{request.user.pk}", VERIFY_RESENDS_PER_HOUR):
        return _slow_down(request)
    send_verification(request, request.user)
    messages.success(request, f"We sent a new link to {request.user.email}.")
    return redirect("accounts:settings")


def _settings_page(request, email_form=None, retention_form=None, status=200):
    return render(
        request,
        "accounts/settings.html",
        {
            "email_form": email_form or EmailChangeForm(user=request.user),
            "retention_form": retention_form
            or RetentionForm(initial={"retention_days": default_retention_days(request.user)}),
            "verified": email_is_verified(request.user),
            "api_token": Token.objects.filter(user=request.user).first(),
        },
        status=status,
    )


@login_required
def account_settings(request):
    return _settings_page(request)


@login_required
@require_POST
def retention(request):
    form = RetentionForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, retention_form=form, status=400)
    days = form.cleaned_data["retention_days"]
    services.set_retention(user=request.user, days=days)
    messages.success(request, "Saved. New surveys start with this.")
    return redirect("accounts:settings")


@login_required
@require_POST
def api_token(request):
    """Create (or replace) the personal API token, or revoke it."""
    revoke = request.POST.get("action") == "revoke"
    services.replace_api_token(user=request.user, revoke=revoke)
    if revoke:
        messages.success(request, "API token revoked: programs using it can no longer sign in.")
    else:
        messages.success(
            request, "New API token created. The previous one, if any, stops working."
        )
    return redirect("accounts:settings")


@login_required
@require_POST
def change_email(request):
    form = EmailChangeForm(request.POST, user=request.user)
    if not form.is_valid():
        return _settings_page(request, email_form=form, status=400)
    services.change_email(user=request.user, email=form.cleaned_data["email"])
    send_verification(request, request.user)
    messages.success(
        request, f"Email changed. Confirm {request.user.email} with the link we sent."
    )
    return redirect("accounts:settings")


@login_required
def delete_account(request):
    form = PasswordConfirmForm(request.POST or None, user=request.user)
    if form.is_valid():
        user = request.user
        logout(request)
        services.delete_account(user=user)
        messages.success(request, "Your account and all its surveys and responses are deleted.")
        return redirect("landing")
    # Through the relation, not the surveys app: surveys build on accounts, not around.
    counts = request.user.surveys.aggregate(
        surveys=Count("pk", distinct=True), responses=Count("submissions")
    )
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form, **counts},
        status=400 if form.is_bound else 200,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, with a per-address and per-client limit against mail bombing. The
    page a visitor sees afterwards is the same whether or not the address has an account."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"].lower()
        ip = client_ip(self.request)
        if _hourly_limit_reached(f"reset:email:{email}", RESET_LIMIT_PER_HOUR) or (
            _hourly_limit_reached(f"reset:ip:{ip}", 4 * RESET_LIMIT_PER_HOUR)
        ):
            logger.warning("password reset rate-limited ip=%s", ip)
            return _slow_down(self.request)
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:settings")

    def form_valid(self, form):
        # Django keeps this session and ends every other one: their stored password hash
        # no longer matches.
        response = super().form_valid(form)
        messages.success(self.request, "Password changed. Other devices have been logged out.")
        return response
